/** Machine-readable codes of {@link TfjsModelError}. */
export type TfjsModelErrorCode =
  /** The target directory exists and overwriting was not asked for. */
  | 'TARGET_EXISTS'
  /** TF.js handed over artifacts this handler cannot write (a binary topology, no topology). */
  | 'UNSUPPORTED_ARTIFACTS'
  /** Writing the model or moving it into place failed. */
  | 'WRITE_FAILED'
  /** A verified `model.json` or weights manifest is not one TF.js can load. */
  | 'INVALID_MODEL_FILE';

/**
 * A failure of saving or loading a TF.js model that is not a signature failure (those are
 * `VerificationError`s of `@model-signing/verifying` and `SigningError`s of `@model-signing/signing`).
 */
export class TfjsModelError extends Error {
  /** What kind of failure this is. */
  readonly code: TfjsModelErrorCode;

  /**
   * @param code what kind of failure.
   * @param message one line saying what failed and what to do.
   * @param options the underlying error.
   */
  constructor(code: TfjsModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfjsModelError';
    this.code = code;
  }
}
