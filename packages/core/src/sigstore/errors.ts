/** Machine-readable codes of {@link SigstoreError}. */
export type SigstoreErrorCode =
  /** A ClientTrustConfig file cannot be read, is not valid JSON, or misses what the operation needs. */
  | 'TRUST_CONFIG_ERROR'
  /** The TUF repository of an instance cannot be bootstrapped or refreshed, or lacks a required target. */
  | 'TUF_ERROR'
  /** `--instance` names an instance that was never bootstrapped with `trust-instance`. */
  | 'INSTANCE_NOT_TRUSTED'
  /** The signing configuration offers no usable service of a kind signing needs. */
  | 'SIGNING_CONFIG_ERROR'
  /** No identity token could be obtained, or the token is malformed or expired. */
  | 'IDENTITY_TOKEN_ERROR'
  /** The interactive OAuth/OIDC flow failed. */
  | 'OIDC_ERROR'
  /** Fulcio, Rekor or the timestamp authority refused the request or could not be reached. */
  | 'SERVICE_ERROR';

/**
 * A Sigstore signing or trust failure with a one-line message a user can act on. Messages never contain
 * identity tokens, client secrets or authorization codes.
 */
export class SigstoreError extends Error {
  /** What kind of failure this is. */
  readonly code: SigstoreErrorCode;

  /**
   * @param code what kind of failure.
   * @param message one line naming the file, service or check that failed (no secrets).
   * @param options the underlying error, if any.
   */
  constructor(code: SigstoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigstoreError';
    this.code = code;
  }
}

// A JWT starts with the base64url of `{"`: "eyJ". Host names such as timestamp.sigstore.dev stay readable.
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

/**
 * Removes anything that looks like a JWT from `text`, and every literal secret given. Library errors such as
 * `@sigstore/sign`'s `invalid identity token: <token>` would otherwise leak the token into logs.
 */
export function redact(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out.replace(JWT_LIKE, '[REDACTED]');
}
