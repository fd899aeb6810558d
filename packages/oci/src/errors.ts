/** Machine-readable codes of {@link OciError}. */
export type OciErrorCode =
  | 'INVALID_REFERENCE'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'REGISTRY_ERROR'
  | 'UNREACHABLE'
  | 'DIGEST_MISMATCH'
  | 'INDEX_NOT_SUPPORTED'
  | 'INVALID_MANIFEST'
  | 'INVALID_ATTACHMENT'
  | 'LAYER_CONTENT_MISMATCH'
  | 'NO_SIGNATURE'
  | 'VERIFICATION_FAILED'
  | 'INVALID_OPTION'
  | 'CREDENTIALS';

/** A problem with an image reference, a registry, an image manifest or a signature attached to an image. */
export class OciError extends Error {
  /** What kind of problem this is. */
  readonly code: OciErrorCode;

  /** @param code what kind of problem; @param message one line a user can act on (never a secret). */
  constructor(code: OciErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OciError';
    this.code = code;
  }
}
