/** Machine-readable codes of {@link SigningError}. */
export type SigningErrorCode =
  /** A key, certificate or other input file cannot be read. */
  | 'READ_ERROR'
  /** The PEM text holds no usable key or certificate. */
  | 'INVALID_KEY'
  /** The key is not ECDSA on P-256, P-384 or P-521. */
  | 'UNSUPPORTED_KEY'
  /** The private key is encrypted and the password is missing or wrong. */
  | 'BAD_PASSWORD'
  /** A certificate cannot be parsed. */
  | 'INVALID_CERTIFICATE'
  /** The private key does not belong to the signing certificate. */
  | 'KEY_CERTIFICATE_MISMATCH'
  /** The signature file cannot be written. */
  | 'WRITE_ERROR'
  /** The model has no file to sign (after ignores) and empty models were not allowed. */
  | 'EMPTY_MODEL'
  /** The signer failed while signing. */
  | 'SIGN_ERROR'
  /** The configuration is incomplete or contradictory. */
  | 'CONFIG_ERROR'
  /** A signing method that this build does not include. */
  | 'NOT_AVAILABLE';

/** A signing failure with a one-line message a user can act on. Never carries secrets. */
export class SigningError extends Error {
  /** What kind of failure this is. */
  readonly code: SigningErrorCode;

  /**
   * @param code what kind of failure.
   * @param message one line naming the file or check that failed.
   * @param options the underlying error, if any.
   */
  constructor(code: SigningErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningError';
    this.code = code;
  }
}
