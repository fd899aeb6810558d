import { isStrictBase64 } from '@model-signing/manifest';
import { VerificationError } from './errors.js';

export { isStrictBase64 };

/**
 * Decodes standard, padded base64 and rejects anything else (decision 14). Node's decoder silently accepts
 * missing padding, URL-safe characters and junk, which a signature format must not.
 */
export function decodeBase64Strict(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string') {
    throw new VerificationError('INVALID_BUNDLE', `Invalid bundle: ${field} is missing or not a string`);
  }
  if (!isStrictBase64(value)) {
    throw new VerificationError('INVALID_BUNDLE', `Invalid bundle: ${field} is not standard padded base64`);
  }
  // The Buffer itself (a Uint8Array): a copy would double the memory of the payload of a large model.
  return Buffer.from(value, 'base64');
}
