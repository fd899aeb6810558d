import { type MismatchDetails, mismatchLines } from '@model-signing/manifest';

export type { MismatchDetails, ReportedDigest } from '@model-signing/manifest';

/** Machine-readable codes of {@link VerificationError}. */
export type VerificationErrorCode =
  /** No verifier was configured. */
  | 'NO_VERIFIER'
  /** The configuration is incomplete or contradictory. */
  | 'CONFIG_ERROR'
  /** A signature, key or certificate file cannot be read. */
  | 'READ_ERROR'
  /** The bundle is not JSON, or not a bundle the format allows. */
  | 'INVALID_BUNDLE'
  /** The bundle was made with another method than the verifier's. */
  | 'WRONG_METHOD'
  /** The public key is not the one the bundle names. */
  | 'KEY_MISMATCH'
  /** A key or certificate cannot be parsed. */
  | 'INVALID_KEY'
  /** A key is not ECDSA on P-256, P-384 or P-521. */
  | 'UNSUPPORTED_KEY'
  /** The DSSE signature does not verify. */
  | 'INVALID_SIGNATURE'
  /** The certificate chain does not lead to a trusted root, or a certificate is outside its validity. */
  | 'UNTRUSTED_CERTIFICATE'
  /** The signing certificate is not allowed to sign. */
  | 'CERTIFICATE_USAGE'
  /** A Sigstore certificate names another identity or OIDC issuer than the one required. */
  | 'IDENTITY_MISMATCH'
  /** A Sigstore transparency-log entry is missing, unproven or does not match the bundle. */
  | 'TRANSPARENCY_LOG'
  /** A Sigstore bundle has too few verifiable timestamps (tlog integration time or RFC 3161). */
  | 'TIMESTAMP'
  /** The DSSE payload type is not the in-toto statement type. */
  | 'PAYLOAD_TYPE'
  /** The signed statement is malformed. */
  | 'INVALID_PAYLOAD'
  /** Hashing the local model failed. */
  | 'HASHING_ERROR'
  /** The model does not match its signature: files are extra, missing or changed. */
  | 'MODEL_MISMATCH'
  /** A verification method this build does not include. */
  | 'NOT_AVAILABLE'
  /** The caller's AbortSignal fired. */
  | 'ABORTED';

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
