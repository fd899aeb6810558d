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

  /** The HTTP status the registry answered with, when the error comes from one. */
  readonly status: number | undefined;

  /**
   * @param code what kind of problem; @param message one line a user can act on (never a secret);
   * @param options the underlying error and the registry's HTTP status, if any.
   */
  constructor(code: OciErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'OciError';
    this.code = code;
    this.status = options?.status;
  }
}
