import { fileResource, type Resource, shardResource } from '@model-signing/manifest';
import { HashingError } from './errors.js';
import type { NativeAddon } from './native.js';
import { type HashingPool, NativePool } from './native-pool.js';
import {
  BATCH_BYTES,
  BATCH_TASKS,
  type BatchResult,
  type HashSettings,
  hashInline,
  planBatches,
  type SizedTask,
  SMALL_TASK_BYTES,
  WorkerPool,
  worthWorkers,
} from './pool.js';
import type { HashProgress } from './progress.js';
import type { ModelFile } from './walk.js';

// Files of unknown size travel in batches of this many (about 16 MiB of 1-64 KiB files).
const PROBE_TASKS = 512;
// The walk takes the size of this many files before it leaves that to the threads.
const PROBE_AFTER_FILES = 64;

/** What one {@link HashRun} does. */
export interface HashRunOptions {
  /** Whole files, or shards of `shardSize` bytes. */
  readonly method: 'files' | 'shards';
  /** Bytes per shard (shards only). */
  readonly shardSize: number;
  /** Algorithm and read size. */
  readonly settings: HashSettings;
  /** Upper bound on worker threads. */
  readonly maxWorkers: number;
  /** Cancels the run. */
  readonly signal?: AbortSignal | undefined;
  /** Hears of progress once the walk is over (totals are known then). */
  readonly onProgress?: ((progress: HashProgress) => void) | undefined;
  /** The native engine, when loaded: it then does all the hashing, and no worker thread starts. */
  readonly native?: NativeAddon | null | undefined;
}

function aborted(): HashingError {
  return new HashingError('ABORTED', 'Hashing was cancelled');
}

/**
 * The hashing of one model, fed by the walk: files are turned into tasks as they are found; once the model is
 * big enough, worker threads start and small files are hashed at once (in batches) while the walk goes on;
 * larger tasks wait for the end of the walk and then go largest first. Tiny models are hashed on the calling
 * thread.
 */
export class HashRun {
  /** One task per file (files) or per shard (shards), in the order found. */
  readonly tasks: SizedTask[] = [];
  /** For each task, the index of its file. */
  readonly owners: number[] = [];
  /** For each task, its resource. */
  readonly resources: Resource[] = [];
  readonly #options: HashRunOptions;
  readonly #digests: Uint8Array[] = [];
  readonly #pending: Promise<void>[] = [];
  readonly #held: number[] = [];
  readonly #left: number[] = [];
  #stream: number[] = [];
  #streamBytes = 0;
  // Files of unknown size (the walk skipped their lstat once the threads were running); the threads hash the
  // small ones and send back the size of the others, which then join the large tasks.
  #probe: number[] = [];
  readonly #probing: Promise<void>[] = [];
  readonly #deferred: number[] = [];
  #pool: HashingPool | null = null;
  #failure: HashingError | null = null;
  #files = 0;
  #bytesHashed = 0;
  #filesHashed = 0;
  #totalBytes = 0;
  #reporting = false;
  readonly #onAbort = () => this.#fail(aborted());

  /** @param options what to do. */
  constructor(options: HashRunOptions) {
    this.#options = options;
    options.signal?.addEventListener('abort', this.#onAbort, { once: true });
    // Native jobs cost no start-up, so even a small model goes to them.
    if (options.native)
      this.#pool = new NativePool(options.native, options.maxWorkers, (n) => this.#bytes(n));
  }

  #fail(error: HashingError): void {
    this.#failure ??= error;
    this.#pool?.fail(error);
  }

  /**
   * Whether the walk must take the size of the next file: always in shard mode (shards need it), until the
   * threads run and for the first files (a model of a few large files is scheduled without a round trip); after
   * that, files of unknown size go to the threads, which take it themselves.
   */
  needsSize(): boolean {
    return this.#files < this.sizedFiles;
  }

  /** How many of the first files {@link needsSize} asks the size of, from the start of the walk. */
  get sizedFiles(): number {
    return this.#options.method === 'shards' || this.#pool === null
      ? Number.POSITIVE_INFINITY
      : PROBE_AFTER_FILES;
  }

  /** Adds a file found by the walk (`files` and `bytes`: running totals of the walk). */
  add(file: ModelFile, files: number, bytes: number): void {
    if (this.#failure) throw this.#failure;
    const owner = this.#files++;
    const first = this.tasks.length;
    const { method, shardSize } = this.#options;
    if (file.size < 0) {
      this.#push(owner, file, -1, fileResource(file.relative));
      this.#left[owner] = 1;
      this.#probe.push(first);
      if (this.#probe.length >= PROBE_TASKS) this.#flushProbe();
      return;
    }
    if (method === 'files') {
      this.#push(owner, file, file.size, fileResource(file.relative));
    } else {
      // Empty files have no shards and are absent from shard manifests (decision 5, as Python).
      for (let start = 0; start < file.size; start += shardSize) {
        const end = Math.min(start + shardSize, file.size);
        this.#push(
          owner,
          { path: file.path, display: file.display, start, end, check: file.check },
          end - start,
          shardResource(file.relative, start, end),
        );
      }
    }
    this.#left[owner] = this.tasks.length - first;
    if (this.tasks.length === first) this.#filesHashed++;
    if (!this.#pool && worthWorkers(files, bytes)) {
      this.#pool = WorkerPool.start(this.#options.maxWorkers, (n) => this.#bytes(n));
    }
    for (let index = first; index < this.tasks.length; index++) {
      const size = this.tasks[index]!.size;
      if (this.#pool && size < SMALL_TASK_BYTES) {
        this.#stream.push(index);
        this.#streamBytes += size;
        if (this.#streamBytes >= BATCH_BYTES || this.#stream.length >= BATCH_TASKS) this.#flush();
      } else {
        this.#held.push(index);
      }
    }
  }

  #push(owner: number, task: SizedTask['task'], size: number, resource: Resource): void {
    this.tasks.push({ task, size });
    this.owners.push(owner);
    this.resources.push(resource);
  }

  #flushProbe(): void {
    if (this.#probe.length === 0) return;
    const indices = this.#probe;
    this.#probe = [];
    const done = this.#pool!.submit(
      this.#options.settings,
      indices.map((index) => this.tasks[index]!.task),
      true,
      true,
    ).then(({ digests, sizes }) => {
      indices.forEach((index, position) => {
        const size = sizes![position]!;
        // Set in place: a new record per file would be 20,000 more objects for a model of small files.
        const sized = this.tasks[index]!;
        if (size >= 0) {
          sized.size = size;
          this.#digests[index] = digests[position]!;
          this.#taskDone(index);
        } else {
          sized.size = -size - 1;
          this.#deferred.push(index);
        }
      });
    });
    done.catch((error: HashingError) => {
      this.#failure ??= error;
    });
    this.#probing.push(done);
  }

  #flush(): void {
    if (this.#stream.length === 0) return;
    this.#submit(this.#stream, true);
    this.#stream = [];
    this.#streamBytes = 0;
  }

  #submit(indices: readonly number[], small: boolean): void {
    this.#track(
      indices,
      this.#pool!.submit(
        this.#options.settings,
        indices.map((index) => this.tasks[index]!.task),
        small,
      ),
    );
  }

  // Large SHA-256 or BLAKE2b tasks on the native engine: one job, every slot taking turns at the task with the
  // most bytes left, so that unequal sizes (a last shard, three files on two cores) still end together.
  #submitInTurns(pool: NativePool, indices: readonly number[]): void {
    this.#track(
      indices,
      pool.submitInTurns(
        this.#options.settings,
        indices.map((index) => this.tasks[index]!.task),
        Float64Array.from(indices, (index) => this.tasks[index]!.size),
      ),
    );
  }

  #track(indices: readonly number[], result: Promise<BatchResult>): void {
    const done = result.then(({ digests }) => {
      indices.forEach((index, position) => {
        this.#digests[index] = digests[position]!;
        this.#taskDone(index);
      });
    });
    // Handled at once so that a failure during the walk is not an unhandled rejection; `finish` reports it.
    done.catch((error: HashingError) => {
      this.#failure ??= error;
    });
    this.#pending.push(done);
  }

  #bytes(count: number): void {
    this.#bytesHashed += count;
    if (this.#reporting) this.#report();
  }

  #taskDone(index: number): void {
    const owner = this.owners[index]!;
    this.#left[owner]!--;
    if (this.#left[owner] === 0) {
      this.#filesHashed++;
      if (this.#reporting) this.#report();
    }
  }

  #report(): void {
    this.#options.onProgress?.({
      bytesHashed: this.#bytesHashed,
      totalBytes: this.#totalBytes,
      filesHashed: this.#filesHashed,
      totalFiles: this.#files,
    });
  }

  /** Called after the walk: hashes what is left and returns the digests in task order. */
  async finish(): Promise<Uint8Array[]> {
    if (this.#failure) throw this.#failure;
    if (this.#pool) {
      this.#flush();
      this.#flushProbe();
      // The sizes of the probed files are needed to order the large tasks and for the totals. Without probes,
      // no await: the large tasks then start before finish() returns, not after the work its caller does next
      // (loading node:crypto for the root digest, building the manifest), which would delay them by as much.
      if (this.#probing.length > 0) await Promise.all(this.#probing);
      this.#held.push(...this.#deferred);
    }
    this.#totalBytes = this.tasks.reduce((sum, { size }) => sum + size, 0);
    this.#reporting = this.#options.onProgress !== undefined;
    if (this.#reporting) this.#report();
    if (!this.#pool) {
      return hashInline(this.tasks, this.#options.settings, {
        signal: this.#options.signal,
        onBytes: (n) => this.#bytes(n),
        onTaskDone: (index) => this.#taskDone(index),
      });
    }
    this.#flush();
    const pool = this.#pool;
    if (
      pool instanceof NativePool &&
      this.#options.settings.algorithm !== 'blake3' &&
      this.#held.length > 1
    ) {
      this.#submitInTurns(pool, this.#held);
    } else {
      for (const batch of planBatches(this.tasks, this.#held)) {
        this.#submit(batch.indices, batch.bytes < BATCH_BYTES && batch.indices.length > 1);
      }
    }
    await Promise.all(this.#pending);
    return this.#digests;
  }

  /** Stops the worker threads (always called, whatever the outcome). */
  async close(): Promise<void> {
    this.#options.signal?.removeEventListener('abort', this.#onAbort);
    await this.#pool?.close();
  }
}
