import type { HashAlgorithm } from '@model-signing/manifest';
import type { HashReply, HashRequest, Piece, WorkerSource } from './protocol.js';

/** A source that is a URL the server does not have (404 Not Found). */
export class SourceNotFound extends Error {}

/** One source to hash on a worker; `open` runs only when a worker is free (sources are fetched lazily). */
export interface HashJob {
  /** The hash. */
  readonly algorithm: HashAlgorithm;
  /** Shards of this size, or the whole source. */
  readonly shardSize?: number | undefined;
  /** Gives the source when the job starts, with what to transfer to the worker (a stream). */
  open(): Promise<{ source: WorkerSource; transfer: Transferable[] }>;
}

interface Slot {
  readonly worker: Worker;
  busy: boolean;
}

/**
 * A fixed set of hashing workers running queued jobs, at most one each. Workers start with the first job and
 * end with {@link HashPool.close}.
 */
export class HashPool {
  readonly #url: string | URL;
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: { job: HashJob; resolve: (pieces: Piece[]) => void; reject: (error: Error) => void }[] =
    [];
  readonly #onBytes: (bytes: number) => void;
  // Fails a running job (a terminated worker never answers).
  readonly #running = new Set<(error: Error) => void>();
  #nextId = 0;
  #closed: Error | undefined;

  /**
   * @param url the worker script (`hash-worker.js`).
   * @param size how many workers.
   * @param onBytes told how many more bytes were hashed, as the workers go.
   */
  constructor(url: string | URL, size: number, onBytes: (bytes: number) => void = () => {}) {
    this.#url = url;
    this.#size = Math.max(1, size);
    this.#onBytes = onBytes;
  }

  /** Hashes one source; its digests, offsets relative to the source. */
  run(job: HashJob): Promise<Piece[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(this.#closed);
      this.#queue.push({ job, resolve, reject });
      this.#pump();
    });
  }

  /** Stops every worker; queued and running jobs fail with `reason`. */
  close(reason: Error = new Error('The hashing workers were stopped')): void {
    this.#closed ??= reason;
    for (const slot of this.#slots) slot.worker.terminate();
    this.#slots.length = 0;
    for (const stop of [...this.#running]) stop(this.#closed);
    for (const queued of this.#queue.splice(0)) queued.reject(this.#closed);
  }

  #slot(): Slot | undefined {
    const idle = this.#slots.find((s) => !s.busy);
    if (idle || this.#slots.length >= this.#size) return idle;
    const slot = { worker: new Worker(this.#url, { type: 'module' }), busy: false };
    this.#slots.push(slot);
    return slot;
  }

  #pump(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const slot = this.#slot();
      if (!slot) return;
      const next = this.#queue.shift()!;
      slot.busy = true;
      this.#start(slot, next.job)
        .then(next.resolve, next.reject)
        .finally(() => {
          slot.busy = false;
          this.#pump();
        });
    }
  }

  async #start(slot: Slot, job: HashJob): Promise<Piece[]> {
    const { source, transfer } = await job.open();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (event: MessageEvent<HashReply>) => {
        const reply = event.data;
        if (reply.id !== id) return;
        if (reply.type === 'progress') return this.#onBytes(reply.bytes);
        done();
        if (reply.type === 'done') resolve([...reply.pieces]);
        else reject(reply.notFound ? new SourceNotFound(reply.message) : new Error(reply.message));
      };
      const onError = (event: ErrorEvent) => {
        done();
        reject(new Error(`the hashing worker failed: ${event.message || 'it could not be loaded'}`));
      };
      const stop = (error: Error) => {
        done();
        reject(error);
      };
      const done = () => {
        this.#running.delete(stop);
        slot.worker.removeEventListener('message', onMessage);
        slot.worker.removeEventListener('error', onError);
      };
      this.#running.add(stop);
      slot.worker.addEventListener('message', onMessage);
      slot.worker.addEventListener('error', onError);
      const request: HashRequest = { id, algorithm: job.algorithm, source, shardSize: job.shardSize };
      slot.worker.postMessage(request, transfer);
    });
  }
}
