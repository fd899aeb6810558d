import { isStrictBase64 } from '@model-signing/manifest';
import { fail } from './errors.js';

/**
 * Decodes standard, padded base64 and refuses anything else (decision 14): `atob` forgives missing padding and
 * white space, which a signature format must not. `field` names the value in the error.
 */
export function decodeBase64(value: unknown, field: string): Uint8Array {
  if (typeof value !== 'string')
    fail('INVALID_BUNDLE', `Invalid bundle: ${field} is missing or not a string`);
  if (!isStrictBase64(value)) {
    fail('INVALID_BUNDLE', `Invalid bundle: ${field} is not standard padded base64`);
  }
  return Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
}

/** Standard base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let text = '';
  // In slices: String.fromCharCode takes its bytes as arguments, and arguments are limited in number.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}
