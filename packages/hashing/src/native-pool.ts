// Hashing on the native engine: every batch is one job on a thread of the addon, so the calling thread only
// walks the model and hands out work; no worker thread boots and nothing is done per file in JavaScript.
import type { HashAlgorithm } from '@model-signing/manifest';
import type { HashingError } from './errors.js';
import type { HashTask } from './file-io.js';
import { type NativeAddon, type NativeJobResult, nativeError } from './native.js';
import { type BatchResult, enqueue, type HashSettings, type QueuedBatch } from './pool.js';
import { PROBE_BYTES, taskChecks, taskRanges } from './protocol.js';

const ALGORITHM_NUMBERS: Readonly<Record<HashAlgorithm, number>> = { sha256: 0, blake2b: 1, blake3: 2 };
// Small batches may run two per slot, so that a slot never waits for the calling thread (busy walking) to hand
// out the next one; large tasks run one per slot, so that the largest-first order keeps every core busy.
const SMALL_JOBS_PER_SLOT = 2;
// How often the bytes hashed so far by running jobs are read for progress.
const PROGRESS_INTERVAL_MS = 200;

// A batch, or with `sizes` (the bytes of each task), large tasks hashed in turns on every slot.
type Job = QueuedBatch & { readonly sizes?: Float64Array | undefined };

interface Running {
  readonly control: Float64Array;
  readonly small: boolean;
  // Tasks in turns, or a BLAKE3 file, use every slot by themselves.
  readonly wide: boolean;
  reported: number;
  readonly settled: Promise<void>;
}

/** The pool interface {@link HashRun} uses; also implemented by the worker-thread pool. */
export interface HashingPool {
  /** Queues a batch; resolves with its digests in task order. */
  submit(
    settings: HashSettings,
    tasks: readonly HashTask[],
    small: boolean,
    probe?: boolean,
  ): Promise<BatchResult>;
  /** Stops everything and rejects every pending batch with `error`. */
  fail(error: HashingError): void;
  /** Waits until nothing runs any more. */
  close(): Promise<void>;
}

/**
 * Batches run as native jobs, at most one large job per slot (`count` slots) and two small ones; one large file
 * with BLAKE3 is hashed by a job that splits it over every slot, alone, and so are the large tasks given to
 * {@link NativePool.submitInTurns}.
 */
export class NativePool implements HashingPool {
  readonly #native: NativeAddon;
  readonly #count: number;
  readonly #onBytes: ((bytes: number) => void) | undefined;
  readonly #queue: Job[] = [];
  readonly #running = new Set<Running>();
  #failure: HashingError | null = null;
  #timer: NodeJS.Timeout | null = null;

  /** @param native the addon; @param count hashing slots (threads); @param onBytes hears of bytes hashed. */
  constructor(native: NativeAddon, count: number, onBytes?: (bytes: number) => void) {
    this.#native = native;
    this.#count = Math.max(1, count);
    this.#onBytes = onBytes;
  }

  submit(
    settings: HashSettings,
    tasks: readonly HashTask[],
    small: boolean,
    probe = false,
  ): Promise<BatchResult> {
    return enqueue(this.#queue, this.#failure, { settings, tasks, small, probe }, () => this.#pump());
  }

  /**
   * Queues large SHA-256 or BLAKE2b tasks to be hashed on every slot in turns, the task with the most bytes left
   * first, so that the slots run out of work together (see the addon's `hashInTurns`); `sizes`: the bytes of
   * each task. Resolves with their digests in task order.
   */
  submitInTurns(
    settings: HashSettings,
    tasks: readonly HashTask[],
    sizes: Float64Array,
  ): Promise<BatchResult> {
    return enqueue<Job>(
      this.#queue,
      this.#failure,
      { settings, tasks, small: false, probe: false, sizes },
      () => this.#pump(),
    );
  }

  #wide(job: Job): boolean {
    if (job.sizes) return true;
    return (
      job.settings.algorithm === 'blake3' &&
      !job.small &&
      job.tasks.length === 1 &&
      job.tasks[0]!.start === 0 &&
      job.tasks[0]!.end === null &&
      this.#native.blake3File !== undefined
    );
  }

  #hasRoom(job: Job): boolean {
    let large = 0;
    let small = 0;
    for (const running of this.#running) {
      if (running.wide) return false;
      if (running.small) small++;
      else large++;
    }
    if (this.#wide(job)) return large === 0 && small < this.#count;
    return job.small ? small < this.#count * SMALL_JOBS_PER_SLOT : large + small < this.#count;
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#failure && this.#hasRoom(this.#queue[0]!)) {
      this.#start(this.#queue.shift()!);
    }
  }

  #start(job: Job): void {
    const control = new Float64Array(2);
    const wide = this.#wide(job);
    let started: Promise<NativeJobResult>;
    try {
      started = this.#launch(job, wide, control);
    } catch (error) {
      started = Promise.reject(error);
    }
    const running: Running = {
      control,
      small: job.small,
      wide,
      reported: 0,
      settled: started.then(
        (result) => this.#done(running, job, result),
        (error: unknown) => this.#failed(running, job, error),
      ),
    };
    this.#running.add(running);
    if (!job.small && this.#onBytes)
      this.#timer ??= setInterval(() => this.#progress(), PROGRESS_INTERVAL_MS);
  }

  // The addon call for a job: tasks in turns, one BLAKE3 file on every slot, or a batch on one thread.
  #launch(job: Job, wide: boolean, control: Float64Array): Promise<NativeJobResult> {
    const algorithm = ALGORITHM_NUMBERS[job.settings.algorithm];
    // One string for all the paths: the addon converts it once rather than once per path.
    const paths = () => job.tasks.map((task) => task.path).join('\0');
    // Every file is opened as the walk found it: below the root through no symlink, or a link's own target.
    const { root, identities } = taskChecks(job.tasks);
    if (job.sizes) {
      return this.#native.hashInTurns(
        algorithm,
        paths(),
        taskRanges(job.tasks),
        job.sizes,
        this.#count,
        false,
        control,
        root,
        identities,
      );
    }
    if (wide) {
      return this.#native.blake3File!(job.tasks[0]!.path, this.#count, false, control, root, identities);
    }
    return this.#native.hashBatch(
      algorithm,
      paths(),
      taskRanges(job.tasks),
      job.probe ? PROBE_BYTES : 0,
      // Probed files were taken on the word of their directory entry: a symlink swapped in must fail.
      job.probe,
      control,
      root,
      identities,
    );
  }

  #progress(): void {
    for (const running of this.#running) {
      const bytes = running.control[0]!;
      if (bytes > running.reported) {
        this.#onBytes?.(bytes - running.reported);
        running.reported = bytes;
      }
    }
  }

  #finished(running: Running): void {
    this.#running.delete(running);
    if (this.#running.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #done(running: Running, job: Job, result: NativeJobResult): void {
    this.#finished(running);
    if (this.#failure) {
      job.reject(this.#failure);
      return;
    }
    if (result.bytes > running.reported) this.#onBytes?.(result.bytes - running.reported);
    const size = result.digests.length / job.tasks.length;
    const digests: Uint8Array[] = [];
    for (let offset = 0; offset < result.digests.length; offset += size) {
      digests.push(result.digests.subarray(offset, offset + size));
    }
    job.resolve({ digests, sizes: result.sizes });
    this.#pump();
  }

  #failed(running: Running, job: Job, error: unknown): void {
    this.#finished(running);
    const mapped =
      this.#failure ??
      nativeError(
        error,
        job.tasks.map((task) => task.display),
        job.probe,
      );
    job.reject(mapped);
    this.fail(mapped);
  }

  fail(error: HashingError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const running of this.#running) running.control[1] = 1;
    for (const job of this.#queue.splice(0)) job.reject(error);
  }

  async close(): Promise<void> {
    if (!this.#failure) {
      // Nothing should run any more; anything that still does is told to stop.
      for (const running of this.#running) running.control[1] = 1;
    }
    await Promise.all([...this.#running].map((running) => running.settled));
  }
}
