import { ManifestError } from './errors.js';

/** Lower-case hex of `bytes`, the form digests take in JSON. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Decodes hex strictly: only `[0-9a-fA-F]`, even length. Python's `bytes.fromhex` is laxer (spaces);
 * a signed digest has no reason to need that.
 */
export function fromHex(hex: string, what: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
    throw new ManifestError('INVALID_STATEMENT', `${what} is not a hex string: ${JSON.stringify(hex)}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
