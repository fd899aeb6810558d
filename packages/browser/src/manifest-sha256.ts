/**
 * Stands in for `@model-signing/manifest`'s own sha256 module in the browser bundle, where node:crypto does not
 * exist: the root digest is computed synchronously there, so a hash-wasm hasher is made ready beforehand
 * ({@link loadSha256}, which every verification awaits first).
 * @module
 */
import { Buffer } from 'buffer';
import { createSHA256, type IHasher } from 'hash-wasm';

let hasher: IHasher | undefined;

/** Makes {@link sha256} usable; resolves once the hasher is compiled. */
export async function loadSha256(): Promise<void> {
  hasher ??= await createSHA256();
}

/** SHA-256 of `data`, as the manifest package's own function gives it. */
export function sha256(data: Uint8Array): Buffer {
  if (!hasher) throw new Error('SHA-256 is not loaded yet: await loadSha256() first');
  hasher.init();
  hasher.update(data);
  return Buffer.from(hasher.digest('binary'));
}

/** Nothing to warm up: {@link loadSha256} did it. */
export function warmUpSha256(): void {}
