import { createHash } from 'node:crypto';
import { OciError } from './errors.js';

/** The digest algorithms a registry digest may use. */
export type DigestAlgorithm = 'sha256' | 'sha512';

/** The algorithm part of `sha256:<hex>` / `sha512:<hex>`. */
export function digestAlgorithm(digest: string): DigestAlgorithm {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new OciError('INVALID_MANIFEST', `Unsupported digest algorithm in '${digest}'`);
  }
  return algorithm;
}

/** `<algorithm>:<hex>` of `bytes`. */
export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Fails closed when `bytes` do not hash to `expected`. */
export function checkDigest(bytes: Uint8Array, expected: string, what: string): void {
  const actual = digestOf(bytes, digestAlgorithm(expected));
  if (actual !== expected) {
    throw new OciError('DIGEST_MISMATCH', `${what}: content digest is ${actual}, expected ${expected}`);
  }
}
