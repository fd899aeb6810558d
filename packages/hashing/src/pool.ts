import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HashAlgorithm } from '@model-signing/manifest';
import { HashingError } from './errors.js';
import { type HashTask, hashTaskSync, ReadBuffer } from './file-io.js';
import { createHasher } from './hasher.js';
import type { BatchRequest, WorkerReply } from './protocol.js';

/** A task with the number of bytes it will read (for scheduling and progress). */
export interface SizedTask {
  /** The work. */
  readonly task: HashTask;
  /** Bytes to read. */
  readonly size: number;
}

/** How to run a list of tasks. */
export interface RunOptions {
  /** The algorithm of every task. */
  readonly algorithm: HashAlgorithm;
  /** Bytes per read. */
  readonly chunkSize: number;
  /** Upper bound on worker threads. */
  readonly maxWorkers: number;
  /** Cancels the run and terminates the workers. */
  readonly signal?: AbortSignal | undefined;
  /** Called with the number of bytes hashed since the last call. */
  readonly onBytes?: ((bytes: number) => void) | undefined;
  /** Called when a task is done, with its index. */
  readonly onTaskDone?: ((index: number) => void) | undefined;
}

/** A group of task indices sent to a worker in one message. */
export interface Batch {
  /** Indices into the task list. */
  readonly indices: number[];
  /** Bytes to read in all. */
  readonly bytes: number;
}

// Small files travel in batches so that message round trips do not dominate; a batch is closed at about this
// many bytes or tasks. Large tasks travel alone, largest first, so that unequal sizes still keep every worker busy.
const BATCH_BYTES = 8 << 20;
const BATCH_TASKS = 512;
// Below this much work, starting worker threads costs more than hashing on the calling thread.
const INLINE_BYTES = 4 << 20;
const INLINE_TASKS = 64;

/** Groups tasks into batches: largest first, small tasks together. */
export function planBatches(tasks: readonly SizedTask[]): Batch[] {
  const order = tasks.map((_, index) => index).sort((a, b) => tasks[b]!.size - tasks[a]!.size || a - b);
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

async function runInline(tasks: readonly SizedTask[], options: RunOptions): Promise<Uint8Array[]> {
  const hasher = await createHasher(options.algorithm);
  const buffers = new ReadBuffer();
  const results: Uint8Array[] = [];
  for (const [index, { task }] of tasks.entries()) {
    if (options.signal?.aborted) throw aborted();
    results.push(hashTaskSync(task, hasher, buffers, options.chunkSize, options.onBytes));
    options.onTaskDone?.(index);
    // Let an abort or other work in.
    if (index % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}

/**
 * A set of hashing worker threads. Created as soon as a walk shows that a model is worth hashing in parallel,
 * so that the threads boot while the walk goes on; always {@link WorkerPool.close}d by its creator.
 */
export class WorkerPool {
  readonly #workers: Worker[] = [];
  #onReply: ((worker: Worker, reply: WorkerReply) => void) | null = null;
  #onFailure: ((error: HashingError) => void) | null = null;
  #failure: HashingError | null = null;
  #closed = false;

  /** Starts `count` worker threads from the script at `url`. */
  constructor(url: URL, count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(url, { execArgv: workerExecArgv() });
      this.#workers.push(worker);
      worker.on('message', (reply: WorkerReply) => this.#onReply?.(worker, reply));
      worker.on('error', (error) =>
        this.#fail(
          new HashingError('WORKER_FAILED', `A hashing worker failed: ${error.message}`, { cause: error }),
        ),
      );
      worker.on('exit', (code) => {
        if (!this.#closed) {
          this.#fail(
            new HashingError('WORKER_FAILED', `A hashing worker stopped unexpectedly (exit code ${code})`),
          );
        }
      });
    }
  }

  /** A pool of up to `maxWorkers` threads, or null when the worker script is not built. */
  static start(maxWorkers: number): WorkerPool | null {
    const url = workerScriptUrl();
    return url ? new WorkerPool(url, Math.max(1, maxWorkers)) : null;
  }

  #fail(error: HashingError): void {
    this.#failure ??= error;
    this.#onFailure?.(error);
  }

  /** Terminates every thread and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled(this.#workers.map((worker) => worker.terminate()));
  }

  /** Hashes the batches on the pool's threads; the digests come back in task order. */
  run(tasks: readonly SizedTask[], batches: readonly Batch[], options: RunOptions): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      const results = new Array<Uint8Array>(tasks.length);
      let next = 0;
      let remaining = batches.length;
      let settled = false;

      const finish = (error?: HashingError) => {
        if (settled) return;
        settled = true;
        this.#onReply = null;
        this.#onFailure = null;
        options.signal?.removeEventListener('abort', onAbort);
        // On failure, the threads are gone before the caller hears of it, so that nothing outlives the call.
        if (error) void this.close().then(() => reject(error));
        else resolve(results);
      };
      const onAbort = () => finish(aborted());

      const dispatch = (worker: Worker) => {
        if (next >= batches.length) return;
        const id = next++;
        const request: BatchRequest = {
          id,
          algorithm: options.algorithm,
          chunkSize: options.chunkSize,
          tasks: batches[id]!.indices.map((index) => tasks[index]!.task),
        };
        worker.postMessage(request);
      };

      this.#onReply = (worker, reply) => {
        if (reply.kind === 'progress') {
          options.onBytes?.(reply.bytes);
          return;
        }
        if (reply.kind === 'error') {
          finish(new HashingError(reply.code, reply.message));
          return;
        }
        const batch = batches[reply.id]!;
        options.onBytes?.(reply.bytes);
        batch.indices.forEach((index, position) => {
          results[index] = reply.digests[position]!;
          options.onTaskDone?.(index);
        });
        remaining--;
        if (remaining === 0) finish();
        else dispatch(worker);
      };
      this.#onFailure = (error) => finish(error);

      if (this.#failure) return finish(this.#failure);
      if (options.signal?.aborted) return finish(aborted());
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (batches.length === 0) return finish();
      const count = Math.min(this.#workers.length, options.maxWorkers, batches.length);
      for (const worker of this.#workers.slice(0, Math.max(1, count))) dispatch(worker);
    });
  }
}

/** True when a job is small enough to hash on the calling thread rather than start worker threads. */
export function worthWorkers(files: number, bytes: number): boolean {
  return bytes > INLINE_BYTES || files > INLINE_TASKS;
}

/**
 * Hashes every task and returns the digests in task order. Work runs on `pool` (or a pool started here) of up
 * to `maxWorkers` threads; very small jobs run on the calling thread, and so does everything when the worker
 * script is not built. A pool passed in is left to its creator to close.
 */
export async function hashTasks(
  tasks: readonly SizedTask[],
  options: RunOptions,
  pool?: WorkerPool | null,
): Promise<Uint8Array[]> {
  if (options.signal?.aborted) throw aborted();
  if (tasks.length === 0) return [];
  const totalBytes = tasks.reduce((sum, { size }) => sum + size, 0);
  if (!worthWorkers(tasks.length, totalBytes)) return runInline(tasks, options);
  const batches = planBatches(tasks);
  if (pool) return pool.run(tasks, batches, options);
  const own = WorkerPool.start(Math.min(options.maxWorkers, batches.length));
  if (!own) return runInline(tasks, options);
  try {
    return await own.run(tasks, batches, options);
  } finally {
    await own.close();
  }
}
