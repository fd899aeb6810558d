import type { Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { HashAlgorithm } from '@model-signing/manifest';
import type { IHasher } from 'hash-wasm';
import { HashingError } from './errors.js';

// node:crypto is loaded on first use: the native engine never needs it here, and loading it is about 9 ms of
// a command's start-up.
let createHash: typeof import('node:crypto').createHash | undefined;

function newHash(name: string): Hash {
  createHash ??= (createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash;
  return createHash(name);
}

/** A hash algorithm as the API accepts it: the manifest names plus Python's config name `blake2`. */
export type HashingAlgorithmName = HashAlgorithm | 'blake2';

/** An incremental hash of one algorithm; reusable after {@link Hasher.reset}. */
export interface Hasher {
  /** The manifest name of the algorithm (`sha256`, `blake2b`, `blake3`). */
  readonly algorithm: HashAlgorithm;
  /** The digest length in bytes (32, 64, 32). */
  readonly digestSize: number;
  /** Feeds more bytes. */
  update(data: Uint8Array): void;
  /** The digest of everything fed since creation or the last reset; the hasher is reset afterwards. */
  digest(): Uint8Array;
  /** Forgets everything fed so far. */
  reset(): void;
}

/** Digest sizes in bytes, by manifest algorithm name. */
export const DIGEST_SIZES: Readonly<Record<HashAlgorithm, number>> = { sha256: 32, blake2b: 64, blake3: 32 };

/** Maps an API algorithm name to the manifest name, failing with Python's message for unknown names. */
export function toManifestAlgorithm(name: string): HashAlgorithm {
  // Same mapping as the manifest's parseHashAlgorithm; repeated here so that worker threads, which load this
  // module, start without loading the manifest package.
  switch (name) {
    case 'sha256':
      return 'sha256';
    case 'blake2':
    case 'blake2b':
      return 'blake2b';
    case 'blake3':
      return 'blake3';
    default:
      throw new HashingError('INVALID_ARGUMENT', `Unsupported hashing method ${name}`);
  }
}

// OpenSSL through node:crypto is the fastest SHA-256 and BLAKE2b available to Node (SHA-NI, AVX2).
class NodeHasher implements Hasher {
  readonly algorithm: HashAlgorithm;
  readonly digestSize: number;
  readonly #opensslName: string;
  // Created on first use, so that a reset followed by a digest costs one context, not two (it shows with many
  // small files).
  #hash: Hash | null = null;

  constructor(algorithm: 'sha256' | 'blake2b') {
    this.algorithm = algorithm;
    this.digestSize = DIGEST_SIZES[algorithm];
    this.#opensslName = algorithm === 'sha256' ? 'sha256' : 'blake2b512';
  }

  update(data: Uint8Array): void {
    this.#hash ??= newHash(this.#opensslName);
    this.#hash.update(data);
  }

  digest(): Uint8Array {
    const hash = this.#hash ?? newHash(this.#opensslName);
    this.#hash = null;
    return new Uint8Array(hash.digest());
  }

  reset(): void {
    this.#hash = null;
  }
}

// The subset of @napi-rs/blake-hash's Blake3Hasher used here.
interface NativeBlake3 {
  update(input: Uint8Array): unknown;
  digestBuffer(): Uint8Array;
  reset(): void;
}
type NativeBlake3Constructor = new () => NativeBlake3;

// BLAKE3 from the blake3 Rust crate (SIMD, AVX2/AVX-512) through @napi-rs/blake-hash, whose prebuilt binaries
// come as per-platform npm packages. Loaded lazily and optionally: where no binary exists for the platform,
// hash-wasm (portable, about 4x slower) takes over.
let nativeBlake3: NativeBlake3Constructor | null | undefined;

function loadNativeBlake3(): NativeBlake3Constructor | null {
  if (nativeBlake3 === undefined) {
    nativeBlake3 = null;
    // MODEL_SIGNING_BLAKE3=wasm forces the fallback (tests and benchmarks of the portable path).
    if (process.env.MODEL_SIGNING_BLAKE3 !== 'wasm') {
      try {
        const module = createRequire(import.meta.url)('@napi-rs/blake-hash') as {
          Blake3Hasher?: NativeBlake3Constructor;
        };
        nativeBlake3 = module.Blake3Hasher ?? null;
      } catch {
        nativeBlake3 = null;
      }
    }
  }
  return nativeBlake3;
}

/** Which BLAKE3 implementation this process uses: `native` (SIMD) or `wasm` (portable fallback). */
export function blake3Implementation(): 'native' | 'wasm' {
  return loadNativeBlake3() ? 'native' : 'wasm';
}

class NativeBlake3Hasher implements Hasher {
  readonly algorithm = 'blake3' as const;
  readonly digestSize = 32;
  readonly #hasher: NativeBlake3;

  constructor(hasher: NativeBlake3) {
    this.#hasher = hasher;
  }

  update(data: Uint8Array): void {
    this.#hasher.update(data);
  }

  digest(): Uint8Array {
    const out = new Uint8Array(this.#hasher.digestBuffer());
    this.#hasher.reset();
    return out;
  }

  reset(): void {
    this.#hasher.reset();
  }
}

// Node has no BLAKE3; hash-wasm is the portable implementation.
class WasmBlake3Hasher implements Hasher {
  readonly algorithm = 'blake3' as const;
  readonly digestSize = 32;
  readonly #hasher: IHasher;

  constructor(hasher: IHasher) {
    this.#hasher = hasher;
    this.#hasher.init();
  }

  update(data: Uint8Array): void {
    this.#hasher.update(data);
  }

  digest(): Uint8Array {
    const out = this.#hasher.digest('binary');
    this.#hasher.init();
    return out;
  }

  reset(): void {
    this.#hasher.init();
  }
}

/** Options of {@link createHasher}. */
export interface CreateHasherOptions {
  /** Force a BLAKE3 implementation (tests, benchmarks). Default: native when available, else wasm. */
  readonly blake3?: 'native' | 'wasm';
}

/** Creates an incremental hasher; `algorithm` may be a manifest name or Python's config name `blake2`. */
export async function createHasher(
  algorithm: HashingAlgorithmName | string,
  options: CreateHasherOptions = {},
): Promise<Hasher> {
  const name = toManifestAlgorithm(algorithm);
  if (name === 'blake3') {
    const Native = options.blake3 === 'wasm' ? null : loadNativeBlake3();
    if (options.blake3 === 'native' && !Native) {
      throw new HashingError('INVALID_ARGUMENT', 'The native BLAKE3 implementation is not available here');
    }
    if (Native) return new NativeBlake3Hasher(new Native());
    // Loaded only when needed: importing hash-wasm costs about 100 ms per thread.
    const { createBLAKE3 } = await import('hash-wasm');
    return new WasmBlake3Hasher(await createBLAKE3());
  }
  return new NodeHasher(name);
}

/** The digest of `data` with `algorithm` (a manifest name or `blake2`). */
export async function hashBytes(
  algorithm: HashingAlgorithmName | string,
  data: Uint8Array | string,
): Promise<Uint8Array> {
  const hasher = await createHasher(algorithm);
  hasher.update(typeof data === 'string' ? new TextEncoder().encode(data) : data);
  return hasher.digest();
}
