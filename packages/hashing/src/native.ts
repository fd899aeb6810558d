// The optional native engine, @model-signing/hashing-native, as this package loads it: an optional dependency,
// so a missing or unbuilt addon only means the JavaScript engine (worker threads) does the hashing.
import type { ResourceColumns } from '@model-signing/manifest';
import { changedMessage, fromFsError, HashingError, symlinkMessage } from './errors.js';
import { type DirectoryLister, type ListedEntries, ListingFailure } from './walk.js';

/** The result of one native job. */
export interface NativeJobResult {
  /** The digests, one after the other. */
  readonly digests: Uint8Array;
  /** For a probe: per file its size, or `-size - 1` when it was left for later. */
  readonly sizes: Float64Array | null;
  /** Bytes hashed. */
  readonly bytes: number;
}

/**
 * The addon as used here (typed locally: it is an optional dependency). `root` and `identities` are the
 * checks of the tasks (protocol's `TaskChecks`): a path with an identity (`dev, ino`, NaN for none) must open
 * that file; any other path below `root` is opened from `root` one component at a time, following no symlink.
 * A file that is not the expected one fails with `EXDEV`.
 */
export interface NativeAddon {
  hashBatch(
    algorithm: number,
    paths: readonly string[] | string,
    ranges: Float64Array | null,
    probeBytes: number,
    noFollow: boolean,
    control: Float64Array,
    root?: string | null,
    identities?: Float64Array | null,
  ): Promise<NativeJobResult>;
  hashInTurns(
    algorithm: number,
    paths: readonly string[] | string,
    ranges: Float64Array | null,
    sizes: Float64Array,
    threads: number,
    noFollow: boolean,
    control: Float64Array,
    root?: string | null,
    identities?: Float64Array | null,
  ): Promise<NativeJobResult>;
  blake3File?: (
    path: string,
    threads: number,
    noFollow: boolean,
    control: Float64Array,
    root?: string | null,
    identity?: Float64Array | null,
  ) => Promise<NativeJobResult>;
  listTree?: (
    root: string,
    ignore: string,
    sizedFiles: number,
    control: Float64Array,
    onChunk: (names: string, kinds: Uint8Array, sizes: Float64Array) => void,
  ) => Promise<NativeListTail>;
  readResourceList(json: Uint8Array): ResourceColumns | null;
  readonly blake3: boolean;
}

/** The last entries of a native listing, and why it ended early, if it did. */
export interface NativeListTail {
  readonly names: string;
  readonly kinds: Uint8Array;
  readonly sizes: Float64Array;
  readonly error: (Error & { code: string; path: string }) | null;
}

function listedEntries(names: string, kinds: Uint8Array, sizes: Float64Array): ListedEntries {
  // Every name ends with a NUL: the last piece of the split is empty.
  return { names: names.split('\0', kinds.length), kinds, sizes };
}

/** The addon's directory listing as a {@link DirectoryLister}, when the addon has one. */
export function nativeLister(native: NativeAddon): DirectoryLister | undefined {
  const listTree = native.listTree;
  if (!listTree) return undefined;
  return async function* list(root, ignore, sizedFiles, signal) {
    const control = new Float64Array(2);
    const chunks: ListedEntries[] = [];
    let wake: (() => void) | null = null;
    let over = false;
    const stop = () => {
      control[1] = 1;
    };
    signal?.addEventListener('abort', stop, { once: true });
    const listing = listTree(root, ignore.join('\0'), sizedFiles, control, (names, kinds, sizes) => {
      chunks.push(listedEntries(names, kinds, sizes));
      wake?.();
    }).finally(() => {
      over = true;
      wake?.();
    });
    // Handled where it is awaited below; this only keeps an early stop from leaving it unhandled.
    listing.catch(() => {});
    try {
      for (;;) {
        while (chunks.length > 0) yield chunks.shift()!;
        if (over) break;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = null;
      }
      // Every chunk came before the listing settled.
      const tail = await listing;
      yield listedEntries(tail.names, tail.kinds, tail.sizes);
      if (tail.error) throw new ListingFailure(tail.error.code, tail.error.path, tail.error.message);
    } finally {
      // Stopped early (a failure met in the entries, or the caller gave up): the listing stops too.
      stop();
      signal?.removeEventListener('abort', stop);
      await listing.catch(() => {});
    }
  };
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
 * Reads a signed statement's resources list (its JSON text) into columns with the native engine, when a hash
 * has loaded it; null otherwise, or when the list is not in the plain form it reads: then JSON.parse does.
 * Meant for `readStatement`'s `readResourceColumns` (`@model-signing/manifest`): a verification calls it once
 * the local model's walk is over, by which time the engine is loaded.
 */
export function readResourceColumns(json: Uint8Array): ResourceColumns | null {
  return addon?.readResourceList(json) ?? null;
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
  if (code === 'EXDEV') return new HashingError('CHANGED', changedMessage(display));
  if (code === 'ENODATA') {
    return new HashingError(
      'UNREADABLE',
      `Cannot read '${display}': it got shorter while it was being hashed`,
    );
  }
  return fromFsError(error, display, 'read');
}
