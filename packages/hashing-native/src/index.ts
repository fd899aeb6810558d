/**
 * The optional native engine of `@model-signing/hashing`: a Node-API addon, shipped prebuilt for linux x64
 * with glibc and built from source at install time elsewhere, that hashes a whole batch of files in one call
 * through the OpenSSL inside Node.js (no JavaScript work per file), and hashes one large file with BLAKE3 on
 * several threads along the BLAKE3 tree.
 *
 * Nothing here is needed for correctness: where no addon loads (none is prebuilt for the platform and the
 * install script could not build one, or was not allowed to run), {@link loadNativeHashing} returns null and
 * `@model-signing/hashing` uses its JavaScript engine, which gives the same digests.
 *
 * @packageDocumentation
 */
import { createRequire } from 'node:module';

/** Algorithm numbers of {@link NativeHashing.hashBatch}. */
export const NATIVE_ALGORITHMS = { sha256: 0, blake2b: 1, blake3: 2 } as const;

/** An algorithm number of {@link NATIVE_ALGORITHMS}. */
export type NativeAlgorithm = (typeof NATIVE_ALGORITHMS)[keyof typeof NATIVE_ALGORITHMS];

/** What a native job resolves with. */
export interface NativeBatchResult {
  /** The digests, one after the other (zeros for a file a probe left for later). */
  readonly digests: Uint8Array;
  /** For a probe: per file, its size when it was hashed, or `-size - 1` when it was left for later. */
  readonly sizes: Float64Array | null;
  /** The number of bytes hashed. */
  readonly bytes: number;
}

/**
 * The error a native job rejects with: shaped like Node's file-system errors, so that callers can map it as
 * they map those.
 */
export interface NativeFileError extends Error {
  /** The errno name, e.g. `ENOENT`, `ELOOP`, `EACCES`, or `ECANCELED` when the job was asked to stop. */
  readonly code: string;
  /** The negated errno value, as in Node's errors. */
  readonly errno: number;
  /** The call that failed: `open`, `read`, `fstat`, or `scandir` for a listing. */
  readonly syscall: string;
  /** The index of the failed path in the batch. */
  readonly index: number;
}

/**
 * The addon's functions. Each starts one job on a thread of its own and returns at once. `control` is a
 * `Float64Array(2)` shared with the job: the job keeps the bytes it has hashed so far in `control[0]` (for
 * progress), and stops with `ECANCELED` soon after `control[1]` is set to 1.
 */
export interface NativeHashing {
  /**
   * Hashes `paths` one after the other.
   *
   * @param algorithm see {@link NATIVE_ALGORITHMS}; `blake3` only when {@link NativeHashing.blake3} is true.
   * @param paths the files: an array, or one string of the paths separated by NUL characters (converted in
   *   one step, which is cheaper for large batches).
   * @param ranges `start, end` per path (`end` -1: to EOF), or null for whole files.
   * @param probeBytes when above 0, `paths` are whole files of unknown size: each one smaller than this is
   *   hashed, each larger one is left for later and its size reported (see {@link NativeBatchResult.sizes}).
   * @param noFollow open with `O_NOFOLLOW` (a final symlink fails with `ELOOP`).
   * @param control see {@link NativeHashing}.
   * @returns rejects with a {@link NativeFileError} at the first file that fails.
   */
  hashBatch(
    algorithm: NativeAlgorithm,
    paths: readonly string[] | string,
    ranges: Float64Array | null,
    probeBytes: number,
    noFollow: boolean,
    control: Float64Array,
  ): Promise<NativeBatchResult>;
  /**
   * Hashes the tasks of {@link NativeHashing.hashBatch} (SHA-256 or BLAKE2b: a digest that is sequential, so
   * each task runs on one thread at a time) on `threads` threads, in turns of 16 MiB, always continuing the
   * task with the most bytes left: the threads run out of work together instead of waiting for the last large
   * task. At most two tasks per thread are open at a time.
   *
   * @param sizes the bytes each task is expected to read (they set the order; reading stops at the range's end
   *   or at EOF, whichever comes first).
   * @param threads how many threads take turns (the job's own thread among them).
   * @returns the digests in task order (`sizes` null); rejects with a {@link NativeFileError} naming the
   *   index of the task that failed.
   */
  hashInTurns(
    algorithm: NativeAlgorithm,
    paths: readonly string[] | string,
    ranges: Float64Array | null,
    sizes: Float64Array,
    threads: number,
    noFollow: boolean,
    control: Float64Array,
  ): Promise<NativeBatchResult>;
  /**
   * BLAKE3 of a whole file, split over `threads` threads along the BLAKE3 tree (as `b3sum` does), each reading
   * its part in 1 MiB windows. Rejects with `ENODATA` when the file ends before the size it had when opened.
   * Present only when {@link NativeHashing.blake3} is true.
   */
  blake3File?: (
    path: string,
    threads: number,
    noFollow: boolean,
    control: Float64Array,
  ) => Promise<NativeBatchResult>;
  /**
   * Lists the directory `root` (absolute, without symlinks) as `@model-signing/hashing` walks a model: every
   * entry below it in the manifest's canonical order (format spec §3.5), directories descended into (never
   * through a symlink) rather than listed. The first entries come through `onChunk` while the rest is listed,
   * in order; the promise holds the last ones.
   *
   * @param ignore relative paths to leave out, with what lies beneath them, separated by NUL characters.
   * @param sizedFiles the size is taken for this many regular files, the first ones listed (`Infinity`: all).
   * @param control see {@link NativeHashing}; setting `control[1]` ends the listing with `ECANCELED`.
   * @returns the last entries, and `error` when a directory could not be listed (the listing ends there).
   */
  listTree(
    root: string,
    ignore: string,
    sizedFiles: number,
    control: Float64Array,
    onChunk: (names: string, kinds: Uint8Array, sizes: Float64Array) => void,
  ): Promise<NativeListing>;
  /**
   * Reads the `resources` list of a signed statement (its JSON text) into columns, without an object per
   * resource; null when the list is not in the plain form both tools write (objects of exactly the string
   * members `name`, `algorithm` and `digest`, printable ASCII without escapes, hex digests), which the caller
   * then parses as JSON. Synchronous.
   */
  readResourceList(json: Uint8Array): NativeResourceList | null;
  /** Whether BLAKE3 was built in (the build found the BLAKE3 C sources). */
  readonly blake3: boolean;
}

/** A statement's resources in columns ({@link NativeHashing.readResourceList}). */
export interface NativeResourceList {
  /** The names, joined with NUL characters. */
  readonly names: string;
  /** The algorithms, joined with NUL characters. */
  readonly algorithms: string;
  /** Every digest, decoded, one after the other. */
  readonly digests: Uint8Array;
  /** Where each digest ends in `digests`. */
  readonly ends: Uint32Array;
}

/** The kinds of listed entries ({@link NativeListing.kinds}). */
export const LISTED_KINDS = { file: 0, symlink: 1, other: 2 } as const;

/** Entries of {@link NativeHashing.listTree}: the last ones, or those of one chunk (`onChunk`). */
export interface NativeListing {
  /** Paths relative to the root, POSIX, each followed by a NUL character. */
  readonly names: string;
  /** Per entry, a value of {@link LISTED_KINDS}: a regular file, a symlink, or anything else. */
  readonly kinds: Uint8Array;
  /** Per entry, the size of a regular file when it was taken, else -1. */
  readonly sizes: Float64Array;
  /**
   * Why the listing ended early: a {@link NativeFileError} (syscall `scandir`; `EILSEQ` for a name that is not
   * UTF-8, `ECANCELED` when asked to stop) with the relative `path` of the directory (`.` for the root).
   */
  readonly error: (NativeFileError & { readonly path: string }) | null;
}

/** Why the addon is or is not in use. */
export interface NativeHashingStatus {
  /** True when the addon is loaded. */
  readonly available: boolean;
  /** True when it hashes BLAKE3 too. */
  readonly blake3: boolean;
  /**
   * Which addon is loaded: `built` from the sources at install time (`build/Release`), or the `prebuilt` one the
   * package ships for linux x64 with glibc (`prebuilds/linux-x64-glibc`).
   */
  readonly addon?: 'built' | 'prebuilt';
  /** Why it is not available (not built, disabled by `MODEL_SIGNING_NATIVE=0`, failed to load). */
  readonly reason?: string;
}

let loaded: NativeHashing | null | undefined;
let loadedAddon: 'built' | 'prebuilt' | undefined;
let reason: string | undefined;

/** What to do when no addon loads: approve the package's install script, which builds one. */
const APPROVE_BUILD =
  'approve its install script (pnpm: `pnpm approve-builds`, or onlyBuiltDependencies in pnpm-workspace.yaml; ' +
  'npm: `npm approve-scripts @model-signing/hashing-native`, without --ignore-scripts) with a C compiler present';

/** The platform the package's prebuilt addon is for, when this is it: linux x64 with glibc (not musl). */
function prebuiltFits(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64') return false;
  // The report's header names the glibc in use; it has none under musl. Its network part is slow and unneeded.
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean };
  const excluded = report.excludeNetwork;
  report.excludeNetwork = true;
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return typeof header?.glibcVersionRuntime === 'string';
  } finally {
    report.excludeNetwork = excluded;
  }
}

function firstLine(error: unknown): string {
  return (error as Error).message.split('\n')[0] ?? '';
}

/**
 * The addon, or null when it is not built, does not load, or `MODEL_SIGNING_NATIVE=0` turns it off (to
 * measure or test the JavaScript engine). Loaded once per thread: the one built at install time when there is
 * one, else the prebuilt one the package ships for linux x64 with glibc.
 */
export function loadNativeHashing(): NativeHashing | null {
  if (loaded !== undefined) return loaded;
  loaded = null;
  if (process.env.MODEL_SIGNING_NATIVE === '0') {
    reason = 'turned off by MODEL_SIGNING_NATIVE=0';
    return loaded;
  }
  const require = createRequire(import.meta.url);
  let builtError: unknown;
  try {
    loaded = require('../build/Release/hashing_native.node') as NativeHashing;
    loadedAddon = 'built';
    return loaded;
  } catch (error) {
    builtError = error;
  }
  const notBuilt = (builtError as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
  if (prebuiltFits()) {
    try {
      loaded = require('../prebuilds/linux-x64-glibc/hashing_native.node') as NativeHashing;
      loadedAddon = 'prebuilt';
      return loaded;
    } catch (error) {
      const why = notBuilt ? '' : `; the one built at install time did not either: ${firstLine(builtError)}`;
      reason = `the prebuilt addon did not load: ${firstLine(error)}${why}; ${APPROVE_BUILD}`;
      return loaded;
    }
  }
  const platform =
    process.platform === 'linux' && process.arch === 'x64'
      ? 'linux x64 without glibc'
      : `${process.platform} ${process.arch}`;
  reason = notBuilt
    ? `the addon is not built and none is prebuilt for ${platform}: ${APPROVE_BUILD}`
    : `the addon did not load: ${firstLine(builtError)}`;
  return loaded;
}

/** Whether the native engine is in use in this process, which addon, and why not when it is not. */
export function nativeHashingStatus(): NativeHashingStatus {
  const native = loadNativeHashing();
  return native
    ? { available: true, blake3: native.blake3, ...(loadedAddon === undefined ? {} : { addon: loadedAddon }) }
    : { available: false, blake3: false, ...(reason === undefined ? {} : { reason }) };
}
