// The optional native engine, @model-signing/hashing-native, as this package loads it: an optional dependency,
// so a missing or unbuilt addon only means the JavaScript engine (worker threads) does the hashing.
import { fromFsError, HashingError, symlinkMessage } from './errors.js';

/** The result of one native job. */
export interface NativeJobResult {
  /** The digests, one after the other. */
  readonly digests: Uint8Array;
  /** For a probe: per file its size, or `-size - 1` when it was left for later. */
  readonly sizes: Float64Array | null;
  /** Bytes hashed. */
  readonly bytes: number;
}

/** The addon as used here (typed locally: it is an optional dependency). */
export interface NativeAddon {
  hashBatch(
    algorithm: number,
    paths: readonly string[] | string,
    ranges: Float64Array | null,
    probeBytes: number,
    noFollow: boolean,
    control: Float64Array,
  ): Promise<NativeJobResult>;
  blake3File?: (
    path: string,
    threads: number,
    noFollow: boolean,
    control: Float64Array,
  ) => Promise<NativeJobResult>;
  readonly blake3: boolean;
}

/** Whether the native engine is in use, and why not when it is not. */
export interface NativeEngineStatus {
  /** True when files are hashed by the native engine (SHA-256 and BLAKE2b at least). */
  readonly available: boolean;
  /** True when BLAKE3 is hashed natively too (one large file on several threads). */
  readonly blake3: boolean;
  /** Why it is not in use. */
  readonly reason?: string;
}

let addon: NativeAddon | null | undefined;
let status: NativeEngineStatus = { available: false, blake3: false, reason: 'not loaded yet' };

/** Loads the addon once; null when it is not installed, not built, or turned off (`MODEL_SIGNING_NATIVE=0`). */
export async function loadNativeAddon(): Promise<NativeAddon | null> {
  if (addon !== undefined) return addon;
  addon = null;
  try {
    const module = await import('@model-signing/hashing-native');
    addon = module.loadNativeHashing();
    status = module.nativeHashingStatus();
  } catch {
    status = { available: false, blake3: false, reason: '@model-signing/hashing-native is not installed' };
  }
  return addon;
}

/**
 * Which engine hashes in this process: the native one (`available`, and whether it covers BLAKE3) or, with
 * the `reason`, the JavaScript one (worker threads; the same digests, slower on many small files).
 */
export async function nativeEngine(): Promise<NativeEngineStatus> {
  await loadNativeAddon();
  return status;
}

/**
 * Maps an addon error (shaped like Node's fs errors, with the index of the failed path) to the error the
 * JavaScript engine raises for the same file.
 */
export function nativeError(error: unknown, displays: readonly string[], noFollow: boolean): HashingError {
  const { code, index } = error as { code?: string; index?: number };
  const display = displays[index ?? 0] ?? displays[0] ?? '';
  if (code === 'ELOOP' && noFollow) return new HashingError('SYMLINK', symlinkMessage(display));
  if (code === 'ECANCELED') return new HashingError('ABORTED', 'Hashing was cancelled');
  if (code === 'ENODATA') {
    return new HashingError(
      'UNREADABLE',
      `Cannot read '${display}': it got shorter while it was being hashed`,
    );
  }
  return fromFsError(error, display, 'read');
}
