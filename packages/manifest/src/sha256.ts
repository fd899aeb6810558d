import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');

// node:crypto takes about 9 ms to load, a fair share of a command's start-up: it is loaded when a digest is
// first needed, or ahead of that by warmUpSha256() while the hashing threads work.
let crypto: Crypto | undefined;

function load(): Crypto {
  crypto ??= createRequire(import.meta.url)('node:crypto') as Crypto;
  return crypto;
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  return load().createHash('sha256').update(data).digest();
}

/**
 * Loads what {@link sha256} needs now: called while something else is busy (files being hashed on other
 * threads), so that the root digest does not pay for it afterwards.
 */
export function warmUpSha256(): void {
  load();
}
