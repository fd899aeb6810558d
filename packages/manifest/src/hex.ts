import { ManifestError } from './errors.js';

/** Lower-case hex of `bytes`, the form digests take in JSON. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Decodes hex strictly: only `[0-9a-fA-F]`, even length. Python's `bytes.fromhex` is laxer (spaces);
 * a signed digest has no reason to need that. `what` names the value in the error.
 */
export function fromHex(hex: string, what: string): Uint8Array {
  // Node's decoder stops at the first pair that is not hex, so a full-length result means every character was
  // hex and the length even (a signed statement has one digest per resource: this runs 20,000 times).
  const decoded = Buffer.from(hex, 'hex');
  if (decoded.length * 2 !== hex.length) {
    throw new ManifestError('INVALID_STATEMENT', `${what} is not a hex string: ${JSON.stringify(hex)}`);
  }
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
}
