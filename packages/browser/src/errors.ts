import { type MismatchDetails, mismatchLines } from '@model-signing/manifest';

export type { MismatchDetails, ReportedDigest } from '@model-signing/manifest';

/**
 * The failure codes of a verification, the same list as `VerificationErrorCode` of `@model-signing/verifying`
 * (a test keeps the two equal): a web app and a Node.js backend that verify the same model report the same
 * code. Mirrored rather than imported so that this package depends on nothing built for Node.js.
 */
export const VERIFICATION_ERROR_CODES = [
  'NO_VERIFIER',
  'CONFIG_ERROR',
  'READ_ERROR',
  'INVALID_BUNDLE',
  'WRONG_METHOD',
  'KEY_MISMATCH',
  'INVALID_KEY',
  'UNSUPPORTED_KEY',
  'INVALID_SIGNATURE',
  'UNTRUSTED_CERTIFICATE',
  'CERTIFICATE_USAGE',
  'IDENTITY_MISMATCH',
  'TRANSPARENCY_LOG',
  'TIMESTAMP',
  'PAYLOAD_TYPE',
  'INVALID_PAYLOAD',
  'HASHING_ERROR',
  'MODEL_MISMATCH',
  'NOT_AVAILABLE',
  'ABORTED',
] as const;

/** Machine-readable codes of {@link VerificationError} (see `@model-signing/verifying` for their meaning). */
export type VerificationErrorCode = (typeof VERIFICATION_ERROR_CODES)[number];

/** A verification failure with a one-line message naming the failed check. */
export class VerificationError extends Error {
  /** What kind of failure this is. */
  readonly code: VerificationErrorCode;
  /** Per-file details when the model does not match its signature. */
  readonly details: MismatchDetails | undefined;

  /**
   * @param code what kind of failure.
   * @param message one line naming the file or check that failed.
   * @param options the underlying error and, for model mismatches, the per-file details.
   */
  constructor(
    code: VerificationErrorCode,
    message: string,
    options?: { cause?: unknown; details?: MismatchDetails },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VerificationError';
    this.code = code;
    this.details = options?.details;
  }

  /** One line per extra, missing and mismatched file (empty when there are no details). */
  detailLines(): string[] {
    return this.details ? mismatchLines(this.details) : [];
  }
}

/** Throws a {@link VerificationError}. */
export function fail(code: VerificationErrorCode, message: string, cause?: unknown): never {
  throw new VerificationError(code, message, cause === undefined ? undefined : { cause });
}
