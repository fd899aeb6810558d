import { availableParallelism } from 'node:os';
import {
  compareCodePoints,
  DEFAULT_SHARD_SIZE,
  type Digest,
  type HashAlgorithm,
  Manifest,
  normalizeIgnorePaths,
  type Resource,
  resourceAlgorithm,
  type Serialization,
  warmUpSha256,
} from '@model-signing/manifest';
import type { Tracer } from '@opentelemetry/api';
import { HashingError } from './errors.js';
import { DEFAULT_CHUNK_SIZE, validateChunkSize, validateShardSize } from './file-io.js';
import { type HashingAlgorithmName, toManifestAlgorithm } from './hasher.js';
import { GIT_IGNORE_PATHS, IgnoreSet, modelRelativeEntries, toModelRelative } from './ignore.js';
import { modelName } from './model-name.js';
import { loadNativeAddon, type NativeAddon, nativeEngine, nativeLister } from './native.js';
import type { HashProgress } from './progress.js';
import { HashRun } from './scheduler.js';
import { type ModelFile, walkModel } from './walk.js';

/** Options of {@link Config.useFileSerialization}. */
export interface FileSerializationOptions {
  /** `sha256` (default), `blake2` / `blake2b` (BLAKE2b-512) or `blake3`. */
  readonly hashingAlgorithm?: HashingAlgorithmName;
  /** Bytes per read; 0 reads each file in one go (bounded internally). Default 1 MiB. Never changes digests. */
  readonly chunkSize?: number;
  /** Threads that hash (the calling thread is one of them when there are two or more). Default: the available parallelism. */
  readonly maxWorkers?: number;
  /** Follow symlinks (see {@link Config.setAllowSymlinks}); overrides the current setting when given. */
  readonly allowSymlinks?: boolean;
  /** Model-relative paths to ignore; unlike Python's, they filter as well as being recorded. */
  readonly ignorePaths?: Iterable<string>;
}

/** Options of {@link Config.useShardSerialization}. */
export interface ShardSerializationOptions extends FileSerializationOptions {
  /** Bytes per shard, > 0. Default 1 000 000 000. */
  readonly shardSize?: number;
}

/** Options of one {@link Config.hash} call. */
export interface HashOptions {
  /**
   * Hash only these model-relative files instead of walking the model (verification with
   * `--ignore-unsigned-files`). Names are validated; missing files are left out of the manifest.
   */
  readonly filesToHash?: Iterable<string>;
  /** Cancels hashing; the promise rejects with a `HashingError` of code `ABORTED`. */
  readonly signal?: AbortSignal;
  /** Called as hashing progresses. */
  readonly onProgress?: (progress: HashProgress) => void;
  /**
   * Which engine hashes: `native` (the optional `@model-signing/hashing-native` addon: native threads, one call
   * per batch of files, BLAKE3 of one file on every core), `javascript` (worker threads and `node:crypto`), or
   * `auto` (the default: native when it is installed and covers the algorithm). Both give the same digests;
   * `native` fails with `INVALID_ARGUMENT` when the addon is not available.
   */
  readonly engine?: 'auto' | 'native' | 'javascript';
  /**
   * Called once the walk is over (every file found) while files are still being hashed: the calling thread has
   * little left to do from then on, so that is the moment for other work on it (a verifier reads the signed
   * resources then).
   */
  readonly onWalked?: () => void;
}

/** Options of {@link Config.setIgnoredPaths}. */
export interface SetIgnoredPathsOptions {
  /** Paths relative to the model directory (not the CWD); absolute paths must lie inside the model. */
  readonly paths: Iterable<string>;
  /** Also ignore `.git`, `.gitattributes`, `.github` and `.gitignore` at the top of the model. Default true. */
  readonly ignoreGitPaths?: boolean;
}

/** Options of {@link Config.addIgnoredPaths}. */
export interface AddIgnoredPathsOptions {
  /** The model the paths belong to. */
  readonly modelPath: string;
  /**
   * Paths relative to the model directory (not the CWD), as Python's `add_ignored_paths` takes them, or
   * absolute; those outside the model are dropped.
   */
  readonly paths: Iterable<string>;
}

/**
 * Test seam, not exported by the package: called once the walk is over and before any file it found is
 * opened (for a model too small to be hashed while it is walked), so that tests can change the model there.
 * @internal
 */
export const hashingHooks: { afterWalk: ((files: readonly ModelFile[]) => void) | null } = {
  afterWalk: null,
};

// The global that @opentelemetry/api (major version 1) sets once an SDK registers a provider. Without it the
// API is a no-op, so it is not even loaded: that saves about 20 ms of start-up for every CLI run.
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

async function activeTracer(): Promise<Tracer | null> {
  if ((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL] === undefined) return null;
  const { trace } = await import('@opentelemetry/api');
  return trace.getTracer('@model-signing/hashing');
}

function validateMaxWorkers(maxWorkers: number | undefined): void {
  if (maxWorkers !== undefined && (!Number.isSafeInteger(maxWorkers) || maxWorkers < 1)) {
    throw new HashingError('INVALID_ARGUMENT', `max_workers must be a positive integer, got ${maxWorkers}.`);
  }
}

/**
 * How to turn a model into a manifest, mirroring Python's `model_signing.hashing.Config`: files or shards
 * serialization, the hash, ignore paths and the symlink policy. Setters return the config for chaining.
 */
export class Config {
  #method: 'files' | 'shards' = 'files';
  #algorithm: HashAlgorithm = 'sha256';
  #chunkSize = DEFAULT_CHUNK_SIZE;
  #shardSize = DEFAULT_SHARD_SIZE;
  #maxWorkers: number | undefined;
  #allowSymlinks = false;
  #ignoredPaths: string[] = [];
  #serializationIgnorePaths: string[] = [];
  #ignoreGitPaths = true;

  /**
   * A config reproducing a recorded serialization (decision 8): method, hash, shard size, the recorded ignore
   * paths (which already include the git names when they were used) and the recorded symlink setting.
   */
  static fromSerialization(serialization: Serialization): Config {
    const config = new Config();
    if (serialization.method === 'shards') {
      config.useShardSerialization({
        hashingAlgorithm: serialization.hashType,
        shardSize: serialization.shardSize,
      });
    } else {
      config.useFileSerialization({ hashingAlgorithm: serialization.hashType });
    }
    return config
      .setIgnoredPaths({ paths: serialization.ignorePaths, ignoreGitPaths: false })
      .setAllowSymlinks(serialization.allowSymlinks);
  }

  /** An independent copy (verifiers use one so that they never change a caller's config). */
  clone(): Config {
    const copy = new Config();
    copy.#method = this.#method;
    copy.#algorithm = this.#algorithm;
    copy.#chunkSize = this.#chunkSize;
    copy.#shardSize = this.#shardSize;
    copy.#maxWorkers = this.#maxWorkers;
    copy.#allowSymlinks = this.#allowSymlinks;
    copy.#ignoredPaths = [...this.#ignoredPaths];
    copy.#serializationIgnorePaths = [...this.#serializationIgnorePaths];
    copy.#ignoreGitPaths = this.#ignoreGitPaths;
    return copy;
  }

  /** Hash whole files: one resource per file. */
  useFileSerialization(options: FileSerializationOptions = {}): this {
    const algorithm = toManifestAlgorithm(options.hashingAlgorithm ?? 'sha256');
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    validateChunkSize(chunkSize);
    validateMaxWorkers(options.maxWorkers);
    this.#method = 'files';
    this.#algorithm = algorithm;
    this.#chunkSize = chunkSize;
    this.#maxWorkers = options.maxWorkers;
    if (options.allowSymlinks !== undefined) this.#allowSymlinks = options.allowSymlinks;
    this.#serializationIgnorePaths = [...(options.ignorePaths ?? [])];
    return this;
  }

  /** Hash files in shards of `shardSize` bytes: one resource per shard. BLAKE3 never shards (files instead). */
  useShardSerialization(options: ShardSerializationOptions = {}): this {
    const algorithm = toManifestAlgorithm(options.hashingAlgorithm ?? 'sha256');
    if (algorithm === 'blake3') return this.useFileSerialization(options);
    const shardSize = options.shardSize ?? DEFAULT_SHARD_SIZE;
    validateShardSize(shardSize);
    this.useFileSerialization(options);
    this.#method = 'shards';
    this.#shardSize = shardSize;
    return this;
  }

  /** Replaces the ignore list. Paths are relative to the model directory (not the CWD). */
  setIgnoredPaths(options: SetIgnoredPathsOptions): this {
    this.#ignoredPaths = [...options.paths];
    this.#ignoreGitPaths = options.ignoreGitPaths ?? true;
    return this;
  }

  /**
   * Adds paths to the ignore list, as Python's `add_ignored_paths`: a relative path is relative to the model
   * directory `modelPath` (not the current directory), an absolute one is taken as given; paths outside the
   * model are dropped. (The CLI's `--ignore-paths` are relative to the current directory instead: resolve them
   * with {@link resolveCliIgnorePaths}.)
   */
  addIgnoredPaths(options: AddIgnoredPathsOptions): this {
    this.#ignoredPaths.push(...modelRelativeEntries(options.modelPath, options.paths));
    return this;
  }

  /**
   * Follow symlinks (decision 9; `--allow-symlinks` in the CLI), at signing and at verification: a link to a
   * regular file is hashed with its target's content under the link's name wherever it points (a Hugging Face
   * hub cache keeps every file of a snapshot as a link to `../../blobs/<sha>`); a link to a directory adds
   * nothing, as in Python; cycles, dangling links and links to FIFOs, devices or sockets fail, naming the link.
   * Off by default: then every symlink fails.
   */
  setAllowSymlinks(allow: boolean): this {
    this.#allowSymlinks = allow;
    return this;
  }

  /** `files` or `shards`. */
  get method(): 'files' | 'shards' {
    return this.#method;
  }

  /** The hash, by its manifest name. */
  get hashAlgorithm(): HashAlgorithm {
    return this.#algorithm;
  }

  /** Bytes per shard (shards serialization). */
  get shardSize(): number {
    return this.#shardSize;
  }

  /** Whether symlinks are followed. */
  get allowSymlinks(): boolean {
    return this.#allowSymlinks;
  }

  /** Whether the git names are ignored. */
  get ignoreGitPaths(): boolean {
    return this.#ignoreGitPaths;
  }

  /** The configured ignore paths, as given. */
  get ignoredPaths(): readonly string[] {
    return [...this.#ignoredPaths, ...this.#serializationIgnorePaths];
  }

  /** The effective ignore paths for `modelPath`: normalised, model-relative, sorted, git names included. */
  effectiveIgnorePaths(modelPath: string): string[] {
    const entries = this.ignoredPaths.map((entry) => toModelRelative(entry, modelPath));
    if (this.#ignoreGitPaths) entries.push(...GIT_IGNORE_PATHS);
    return normalizeIgnorePaths(entries);
  }

  /** The serialization description this config records for `modelPath`. */
  serialization(modelPath: string): Serialization {
    const ignorePaths = this.effectiveIgnorePaths(modelPath);
    return this.#method === 'shards'
      ? {
          method: 'shards',
          hashType: this.#algorithm as 'sha256' | 'blake2b',
          shardSize: this.#shardSize,
          allowSymlinks: this.#allowSymlinks,
          ignorePaths,
        }
      : { method: 'files', hashType: this.#algorithm, allowSymlinks: this.#allowSymlinks, ignorePaths };
  }

  /**
   * Hashes the model at `modelPath` (a directory or a single file) into a manifest, inside an OpenTelemetry
   * span `hash` when an OpenTelemetry SDK is registered.
   */
  async hash(modelPath: string, options: HashOptions = {}): Promise<Manifest> {
    const tracer = await activeTracer();
    if (!tracer) return this.#hash(modelPath, options);
    const { SpanStatusCode } = await import('@opentelemetry/api');
    return tracer.startActiveSpan('hash', async (span) => {
      try {
        span.setAttributes({
          'model_signing.serialization': this.#method,
          'model_signing.hash_algorithm': this.#algorithm,
        });
        const manifest = await this.#hash(modelPath, options);
        span.setAttribute('model_signing.resources', manifest.size);
        return manifest;
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  async #engine(engine: 'auto' | 'native' | 'javascript'): Promise<NativeAddon | null> {
    if (!['auto', 'native', 'javascript'].includes(engine)) {
      throw new HashingError(
        'INVALID_ARGUMENT',
        `Unknown hashing engine ${JSON.stringify(engine)}: use 'auto', 'native' or 'javascript'`,
      );
    }
    if (engine === 'javascript') return null;
    const addon = await loadNativeAddon();
    // An addon built without the BLAKE3 sources leaves BLAKE3 to the JavaScript engine.
    const usable = addon && (this.#algorithm !== 'blake3' || addon.blake3) ? addon : null;
    if (!usable && engine === 'native') {
      const status = await nativeEngine();
      const why = addon ? 'it was built without BLAKE3' : (status.reason ?? 'it is not installed');
      throw new HashingError('INVALID_ARGUMENT', `The native hashing engine is not available: ${why}`);
    }
    return usable;
  }

  async #hash(modelPath: string, options: HashOptions): Promise<Manifest> {
    const serialization = this.serialization(modelPath);
    if (options.signal?.aborted) throw new HashingError('ABORTED', 'Hashing was cancelled');
    const native = await this.#engine(options.engine ?? 'auto');
    const run = new HashRun({
      native,
      method: this.#method,
      shardSize: this.#shardSize,
      settings: { algorithm: this.#algorithm, chunkSize: this.#chunkSize },
      maxWorkers: this.#maxWorkers ?? availableParallelism(),
      signal: options.signal,
      onProgress: options.onProgress,
    });
    try {
      const files = await walkModel(modelPath, {
        allowSymlinks: this.#allowSymlinks,
        ignore: new IgnoreSet(serialization.ignorePaths),
        filesToHash: options.filesToHash ? [...options.filesToHash] : undefined,
        signal: options.signal,
        needsSize: () => run.needsSize(),
        onFile: (file, count, bytes) => run.add(file, count, bytes),
        lister: native ? nativeLister(native) : undefined,
        sizedFiles: run.sizedFiles,
      });
      hashingHooks.afterWalk?.(files);
      const finishing = run.finish();
      options.onWalked?.();
      // The root digest needs node:crypto; it loads while the threads hash rather than after.
      warmUpSha256();
      // Every resource is known once the walk is over, so the manifest (ordering, name checks) is built while
      // the threads hash; its items are ours and get their digests when hashing is done. A hashing error still
      // wins over a manifest error, as when the manifest was built afterwards.
      const algorithm = resourceAlgorithm(serialization);
      const unknown: Digest = { algorithm, value: new Uint8Array(0) };
      // A walk lists files in canonical order and a file's shards follow by offset; a list given by the caller
      // is in any order.
      const order = options.filesToHash
        ? canonicalOrder(files, run.owners, run.resources)
        : run.resources.map((_, index) => index);
      const items: { resource: Resource; digest: Digest }[] = order.map((index) => ({
        resource: run.resources[index]!,
        digest: unknown,
      }));
      let manifest: Manifest;
      try {
        manifest = new Manifest(modelName(modelPath), items, serialization);
      } catch (error) {
        await finishing;
        throw error;
      }
      const digests = await finishing;
      order.forEach((index, position) => {
        items[position]!.digest = { algorithm, value: digests[index]! };
      });
      return manifest;
    } finally {
      await run.close();
    }
  }
}

// The canonical order (format spec §3.5), computed with each path split once; the manifest sorts again, but
// sorted input costs it one comparison per item. Path components compare by code point, a prefix first, then
// shards by offsets.
function canonicalOrder(
  files: readonly ModelFile[],
  owners: readonly number[],
  resources: readonly Resource[],
): number[] {
  const keys = files.map((file) => file.relative.split('/'));
  const start = (resource: Resource) => (resource.kind === 'shard' ? resource.start : -1);
  const byFile = (a: number, b: number): number => {
    if (a === b) return 0;
    const left = keys[a]!;
    const right = keys[b]!;
    const length = Math.min(left.length, right.length);
    for (let i = 0; i < length; i++) {
      const order = compareCodePoints(left[i]!, right[i]!);
      if (order !== 0) return order;
    }
    return left.length - right.length;
  };
  return resources
    .map((_, index) => index)
    .sort((a, b) => byFile(owners[a]!, owners[b]!) || start(resources[a]!) - start(resources[b]!));
}

/** Hashes a model with the default config (Python's `model_signing.hashing.hash`). */
export function hash(modelPath: string, options: HashOptions = {}): Promise<Manifest> {
  return new Config().hash(modelPath, options);
}
