import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import type { HashAlgorithm } from '@model-signing/manifest';
import { HashingError } from './errors.js';
import { type HashTask, hashTaskSync, ReadBuffer } from './file-io.js';
import { createHasher } from './hasher.js';
import { LocalHasher } from './local.js';
import { type BatchRequest, encodeBatch, type WorkerReply } from './protocol.js';

// Loaded when a worker starts: the native engine needs none, and the module is a few ms of start-up.
function workerThreads(): typeof import('node:worker_threads') {
  return createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
}

/** A task with the number of bytes it will read (for scheduling and progress). */
export interface SizedTask {
  /** The work. */
  readonly task: HashTask;
  /** Bytes to read; -1 until known for a file whose size the walk did not take (set in place then). */
  size: number;
}

/** How to hash: the same for every task of one model. */
export interface HashSettings {
  /** The algorithm of every task. */
  readonly algorithm: HashAlgorithm;
  /** Bytes per read. */
  readonly chunkSize: number;
}

/** A group of task indices sent to a worker in one message. */
export interface Batch {
  /** Indices into the task list. */
  readonly indices: number[];
  /** Bytes to read in all. */
  readonly bytes: number;
}

/**
 * Small files travel in batches so that message round trips do not dominate; a batch is closed at about this
 * many bytes or tasks. Large tasks travel alone, largest first, so that unequal sizes still keep every worker
 * busy. Tasks below {@link SMALL_TASK_BYTES} are sent while the walk is still going on.
 */
export const BATCH_BYTES = 8 << 20;
/** See {@link BATCH_BYTES}. */
export const BATCH_TASKS = 512;
/** Tasks smaller than this are hashed as soon as they are found; larger ones once the walk is over. */
export const SMALL_TASK_BYTES = 1 << 20;
// Small batches a worker thread may have queued (see #pump).
const SMALL_QUEUE_DEPTH = 3;
// Below this much work, starting worker threads costs more than hashing on the calling thread.
const INLINE_BYTES = 4 << 20;
const INLINE_TASKS = 64;

/** True when a job is big enough to be worth worker threads rather than the calling thread. */
export function worthWorkers(files: number, bytes: number): boolean {
  return bytes > INLINE_BYTES || files > INLINE_TASKS;
}

/** Groups tasks into batches: largest first, small tasks together. */
export function planBatches(tasks: readonly SizedTask[], indices?: readonly number[]): Batch[] {
  const order = [...(indices ?? tasks.map((_, index) => index))].sort(
    (a, b) => tasks[b]!.size - tasks[a]!.size || a - b,
  );
  const batches: Batch[] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const index of order) {
    current.push(index);
    bytes += tasks[index]!.size;
    if (bytes >= BATCH_BYTES || current.length >= BATCH_TASKS) {
      batches.push({ indices: current, bytes });
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0) batches.push({ indices: current, bytes });
  return batches;
}

/**
 * The compiled worker script, next to this module once built; when this module runs from `src/` (tests),
 * the one in `dist/`. Null when neither exists.
 */
export function workerScriptUrl(): URL | null {
  for (const candidate of ['./worker.js', '../dist/worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  return null;
}

// Workers inherit the process's Node options; those about how the main script is given (`-e`, `--input-type`)
// make a worker fail to start, and the worker script needs none of them.
function workerExecArgv(): string[] {
  return process.execArgv.filter((arg) => !/^(?:--input-type|--eval|-e|--print|-p)(?:=|$)/.test(arg));
}

function aborted(): HashingError {
  return new HashingError('ABORTED', 'Hashing was cancelled');
}

/** Hashes tasks one after the other on the calling thread (small models, or no built worker script). */
export async function hashInline(
  tasks: readonly SizedTask[],
  settings: HashSettings,
  hooks: {
    signal?: AbortSignal | undefined;
    onBytes?: (bytes: number) => void;
    onTaskDone?: (index: number) => void;
  },
): Promise<Uint8Array[]> {
  const hasher = await createHasher(settings.algorithm);
  const buffers = new ReadBuffer();
  const results: Uint8Array[] = [];
  for (const [index, { task }] of tasks.entries()) {
    if (hooks.signal?.aborted) throw aborted();
    results.push(hashTaskSync(task, hasher, buffers, settings.chunkSize, hooks.onBytes));
    hooks.onTaskDone?.(index);
    // Let an abort or other work in.
    if (index % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

/** What a worker returns for one batch. */
export interface BatchResult {
  /** The digests in task order (zeros for files a probe left for later). */
  readonly digests: Uint8Array[];
  /** For a probe batch, the sizes as {@link WorkerReply} `sizes` encodes them; null otherwise. */
  readonly sizes: Float64Array | null;
}

/** A batch waiting in a pool's queue, with the promise it settles. */
export interface QueuedBatch {
  /** Algorithm and read size. */
  readonly settings: HashSettings;
  /** The tasks, hashed in order. */
  readonly tasks: readonly HashTask[];
  /** Whole files of unknown size (see the protocol's `probe`). */
  readonly probe: boolean;
  /**
   * Small tasks: such batches may queue up on a slot, so that it never waits for the (busy) calling thread;
   * large ones go one at a time per slot, so that the largest-first order keeps every slot busy to the end.
   */
  readonly small: boolean;
  /** Settles the batch's promise. */
  readonly resolve: (result: BatchResult) => void;
  /** Rejects the batch's promise. */
  readonly reject: (error: HashingError) => void;
}

type Job = QueuedBatch;

/**
 * Adds a batch to a pool's `queue` (a probe counts as small) and lets the pool start what it can; the promise
 * settles with the batch, or rejects at once when the pool has already failed.
 */
export function enqueue<B extends QueuedBatch>(
  queue: B[],
  failure: HashingError | null,
  batch: Omit<B, 'resolve' | 'reject'>,
  pump: () => void,
): Promise<BatchResult> {
  if (failure) return Promise.reject(failure);
  return new Promise((resolve, reject) => {
    queue.push({ ...batch, small: batch.small || batch.probe, resolve, reject } as B);
    pump();
  });
}

interface Slot {
  /** The thread, or null for the calling thread. */
  readonly worker: Worker | null;
  readonly inFlight: number[];
}

/**
 * Hashing worker threads with a queue of batches. Started as soon as a walk shows that a model is worth
 * hashing in parallel, so that the threads boot, and small files get hashed, while the walk goes on. The
 * creator always {@link WorkerPool.close}s it; on any failure or abort every thread is terminated before the
 * pending batches are rejected.
 */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  readonly #jobs = new Map<number, Job>();
  readonly #onBytes: ((bytes: number) => void) | undefined;
  #nextId = 0;
  #failure: HashingError | null = null;
  #closed = false;
  readonly #local: LocalHasher | null;
  readonly #localQueue: BatchRequest[] = [];
  #localRun: Promise<void> | null = null;

  /**
   * Starts `count` hashing slots: worker threads from the script at `url`, one of them replaced by the calling
   * thread when `useCallingThread` (and `count` ≥ 2); `onBytes` hears of bytes hashed.
   */
  constructor(url: URL, count: number, onBytes?: (bytes: number) => void, useCallingThread = false) {
    this.#onBytes = onBytes;
    const local = useCallingThread && count >= 2;
    this.#local = local ? new LocalHasher() : null;
    for (let i = 0; i < (local ? count - 1 : count); i++) {
      const worker = new (workerThreads().Worker)(url, { execArgv: workerExecArgv() });
      const slot: Slot = { worker, inFlight: [] };
      this.#slots.push(slot);
      worker.on('message', (reply: WorkerReply) => this.#reply(slot, reply));
      worker.on('error', (error) =>
        this.fail(
          new HashingError('WORKER_FAILED', `A hashing worker failed: ${error.message}`, { cause: error }),
        ),
      );
      worker.on('exit', (code) => {
        if (!this.#closed) {
          this.fail(
            new HashingError('WORKER_FAILED', `A hashing worker stopped unexpectedly (exit code ${code})`),
          );
        }
      });
    }
    // First, so that it takes the first batch while the worker threads boot.
    if (local) this.#slots.unshift({ worker: null, inFlight: [] });
  }

  /**
   * A pool of `count` hashing slots (the calling thread one of them when `count` ≥ 2), or null when the worker
   * script is not built.
   */
  static start(count: number, onBytes?: (bytes: number) => void): WorkerPool | null {
    const url = workerScriptUrl();
    return url ? new WorkerPool(url, Math.max(1, count), onBytes, true) : null;
  }

  /**
   * Queues a batch; resolves with its digests in task order. A `probe` batch holds whole files of unknown size
   * (the protocol's `probe`); it counts as small.
   */
  submit(
    settings: HashSettings,
    tasks: readonly HashTask[],
    small: boolean,
    probe = false,
  ): Promise<BatchResult> {
    return enqueue(this.#queue, this.#failure, { settings, tasks, small, probe }, () => this.#pump());
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#failure) {
      const small = this.#queue[0]!.small;
      let best: Slot | undefined;
      for (const slot of this.#slots) {
        // A worker thread keeps a few small batches queued, so that it never waits while the calling thread is
        // busy (walking, building the manifest, hashing); the calling thread takes one at a time.
        const limit = small && slot.worker ? SMALL_QUEUE_DEPTH : 1;
        if (slot.inFlight.length < limit && (!best || slot.inFlight.length < best.inFlight.length))
          best = slot;
      }
      if (!best) return;
      const job = this.#queue.shift()!;
      const id = this.#nextId++;
      this.#jobs.set(id, job);
      best.inFlight.push(id);
      const request = encodeBatch(id, job.settings, job.tasks, job.probe);
      if (best.worker) {
        best.worker.postMessage(request, request.ranges ? [request.ranges.buffer as ArrayBuffer] : []);
      } else {
        this.#localQueue.push(request);
        this.#localRun ??= this.#runLocal(best);
      }
    }
  }

  // The calling thread's batches, one after the other (they share one buffer); stops at a failure or close.
  async #runLocal(slot: Slot): Promise<void> {
    const stopped = () => this.#failure !== null || this.#closed;
    // Started from #pump: let the caller finish its turn (the walk, the other submissions) first.
    await new Promise((resolve) => setImmediate(resolve));
    while (this.#localQueue.length > 0 && !stopped()) {
      const request = this.#localQueue.shift()!;
      const reply = await this.#local!.handle(request, stopped, (bytes) => this.#onBytes?.(bytes));
      if (stopped()) break;
      this.#reply(slot, reply);
    }
    this.#localRun = null;
  }

  #reply(slot: Slot, reply: WorkerReply): void {
    if (this.#failure) return;
    if (reply.kind === 'progress') {
      this.#onBytes?.(reply.bytes);
      return;
    }
    if (reply.kind === 'error') {
      this.fail(new HashingError(reply.code, reply.message));
      return;
    }
    const job = this.#jobs.get(reply.id);
    this.#jobs.delete(reply.id);
    slot.inFlight.splice(slot.inFlight.indexOf(reply.id), 1);
    this.#onBytes?.(reply.bytes);
    const digests: Uint8Array[] = [];
    for (let offset = 0; offset < reply.digests.length; offset += reply.digestSize) {
      digests.push(reply.digests.subarray(offset, offset + reply.digestSize));
    }
    job?.resolve({ digests, sizes: reply.sizes });
    this.#pump();
  }

  /** Stops everything: terminates the threads, then rejects every pending batch with `error`. */
  fail(error: HashingError): void {
    if (this.#failure) return;
    this.#failure = error;
    const pending = [...this.#jobs.values(), ...this.#queue.splice(0)];
    this.#jobs.clear();
    void this.close().then(() => {
      for (const job of pending) job.reject(error);
    });
  }

  /** Terminates every thread and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#slots.map((slot) => slot.worker?.terminate()), this.#localRun]);
  }
}
