/** Machine-readable codes of {@link ManifestError}. */
export type ManifestErrorCode =
  | 'INVALID_RESOURCE_NAME'
  | 'DUPLICATE_RESOURCE'
  | 'INVALID_SERIALIZATION'
  | 'INVALID_STATEMENT'
  | 'INCONSISTENT_ROOT_DIGEST';

/** A manifest, resource name, serialization description or statement that is malformed. */
export class ManifestError extends Error {
  /** What kind of problem this is. */
  readonly code: ManifestErrorCode;

  /** @param code what kind of problem; @param message one line a user can act on. */
  constructor(code: ManifestErrorCode, message: string) {
    super(message);
    this.name = 'ManifestError';
    this.code = code;
  }
}
