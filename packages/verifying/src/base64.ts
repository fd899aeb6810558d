import { VerificationError } from './errors.js';

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded base64 and rejects anything else (decision 14). Node's decoder silently accepts
 * missing padding, URL-safe characters and junk, which a signature format must not.
 */
export function decodeBase64Strict(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') {
    throw new VerificationError('INVALID_BUNDLE', `Invalid bundle: ${field} is missing or not a string`);
  }
  if (!STRICT_BASE64.test(value)) {
    throw new VerificationError('INVALID_BUNDLE', `Invalid bundle: ${field} is not standard padded base64`);
  }
  return new Uint8Array(Buffer.from(value, 'base64'));
}
