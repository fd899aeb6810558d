/** Machine-readable codes of {@link Pkcs11Error}. */
export type Pkcs11ErrorCode =
  /** The text is not a well-formed `pkcs11:` URI (RFC 7512 grammar). */
  | 'URI_MALFORMED'
  /** The URI parses but an attribute value is invalid (slot-id, library-version, type, module-path, ...). */
  | 'URI_INVALID'
  /** The PIN could not be obtained (unsupported pin-source, unreadable PIN file). */
  | 'PIN_UNAVAILABLE'
  /** No PKCS #11 module was found (module-path missing, module-name not found in the search directories). */
  | 'MODULE_NOT_FOUND'
  /** The module exists but an allow-list refuses it. */
  | 'MODULE_NOT_ALLOWED'
  /** The module (or the native graphene-pk11/pkcs11js binding) could not be loaded or initialised. */
  | 'MODULE_LOAD_FAILED'
  /** No slot or token matches the URI's `slot-id` and/or `token`. */
  | 'TOKEN_NOT_FOUND'
  /** `C_Login` failed: wrong or locked PIN. */
  | 'LOGIN_FAILED'
  /** No private key with the URI's `id` and/or `object` label. */
  | 'KEY_NOT_FOUND'
  /** The private key exists but the token holds no matching public-key object. */
  | 'PUBLIC_KEY_NOT_FOUND'
  /** The key is not an EC key on P-256, P-384 or P-521. */
  | 'UNSUPPORTED_KEY'
  /** The token failed to sign. */
  | 'SIGN_FAILED'
  /** The key was used after `close()`. */
  | 'KEY_CLOSED'
  /** Any other PKCS #11 failure (the `CKR_*` name is in the message). */
  | 'TOKEN_ERROR';

/**
 * Every failure of `@model-signing/pkcs11`. Messages are one line a user can act on and never contain a PIN.
 */
export class Pkcs11Error extends Error {
  /** What kind of problem this is. */
  readonly code: Pkcs11ErrorCode;

  /** @param code what kind of problem; @param message one line a user can act on (never a PIN). */
  constructor(code: Pkcs11ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Pkcs11Error';
    this.code = code;
  }
}

/**
 * Replaces the values of `pin-value` attributes in URI-like text by `***`, so that a URI can be quoted in an
 * error or a log line. Works on malformed text too, since that is exactly when a URI gets quoted.
 */
export function redactPin(text: string): string {
  return text.replace(/(pin-value=)[^&;?#\s]*/gi, '$1***');
}
