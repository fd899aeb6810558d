// Hashing on the calling thread, as one more slot of the worker pool. On a 2-core machine the main thread is
// otherwise idle while the threads hash (and while they boot), so using it in place of a second worker thread
// saves that thread's start-up and lets hashing begin as soon as the walk finds work.
import type { HashAlgorithm } from '@model-signing/manifest';
import { HashingError } from './errors.js';
import { probeTaskSync, ReadBuffer, taskChunks } from './file-io.js';
import { createHasher, type Hasher } from './hasher.js';
import { type BatchRequest, batchTask, PROBE_BYTES, PROGRESS_STEP, type WorkerReply } from './protocol.js';

// The calling thread yields after about this many bytes, so that it still answers the worker threads (their
// replies, the next batch) and the walk goes on: a few milliseconds of hashing.
const YIELD_BYTES = 8 << 20;

/** Hashes batches on the calling thread, yielding often; it answers as a worker thread would. */
export class LocalHasher {
  readonly #hashers = new Map<HashAlgorithm, Hasher>();
  readonly #buffers = new ReadBuffer();
  #sinceYield = 0;

  async #hasher(algorithm: HashAlgorithm): Promise<Hasher> {
    let hasher = this.#hashers.get(algorithm);
    if (!hasher) {
      hasher = await createHasher(algorithm);
      this.#hashers.set(algorithm, hasher);
    }
    return hasher;
  }

  async #pause(bytes: number, stopped: () => boolean): Promise<void> {
    this.#sinceYield += bytes;
    if (this.#sinceYield < YIELD_BYTES) return;
    this.#sinceYield = 0;
    await new Promise((resolve) => setImmediate(resolve));
    if (stopped()) throw new HashingError('ABORTED', 'Hashing was cancelled');
  }

  /**
   * Handles one batch; `stopped` is asked at every yield and ends the batch with `ABORTED` when true;
   * `onBytes` hears of progress as a worker thread's progress messages would tell it. Returns the reply a
   * worker thread would send.
   */
  async handle(
    request: BatchRequest,
    stopped: () => boolean,
    onBytes?: (bytes: number) => void,
  ): Promise<WorkerReply> {
    try {
      const hasher = await this.#hasher(request.algorithm);
      const count = request.paths.length;
      const digests = new Uint8Array(count * hasher.digestSize);
      const sizes = request.probe ? new Float64Array(count) : null;
      let bytes = 0;
      for (let i = 0; i < count; i++) {
        const task = batchTask(request, i);
        if (sizes) {
          const probed = probeTaskSync(task, hasher, this.#buffers, PROBE_BYTES);
          if (probed.digest) {
            digests.set(probed.digest, i * hasher.digestSize);
            sizes[i] = probed.size;
            bytes += probed.size;
          } else {
            sizes[i] = -probed.size - 1;
          }
          await this.#pause(probed.digest ? probed.size : 0, stopped);
          continue;
        }
        hasher.reset();
        for (const chunk of taskChunks(task, this.#buffers, request.chunkSize)) {
          hasher.update(chunk);
          bytes += chunk.length;
          if (bytes >= PROGRESS_STEP && onBytes) {
            onBytes(bytes);
            bytes = 0;
          }
          await this.#pause(chunk.length, stopped);
        }
        digests.set(hasher.digest(), i * hasher.digestSize);
      }
      return { kind: 'done', id: request.id, digests, digestSize: hasher.digestSize, bytes, sizes };
    } catch (error) {
      const code = error instanceof HashingError ? error.code : 'WORKER_FAILED';
      const message = error instanceof Error ? error.message : String(error);
      return { kind: 'error', id: request.id, code, message };
    }
  }
}
