// The entry point of a hashing worker thread: hashes the batches it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import type { HashAlgorithm } from '@model-signing/manifest';
import { HashingError } from './errors.js';
import { hashTaskSync, probeTaskSync, ReadBuffer } from './file-io.js';
import { createHasher, type Hasher } from './hasher.js';
import { type BatchRequest, batchTask, PROBE_BYTES, PROGRESS_STEP, type WorkerReply } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('worker.js must run as a worker thread');

const hashers = new Map<HashAlgorithm, Hasher>();
const buffers = new ReadBuffer();

async function hasherFor(algorithm: HashAlgorithm): Promise<Hasher> {
  let hasher = hashers.get(algorithm);
  if (!hasher) {
    hasher = await createHasher(algorithm);
    hashers.set(algorithm, hasher);
  }
  return hasher;
}

function send(reply: WorkerReply): void {
  port?.postMessage(reply);
}

async function handle(request: BatchRequest): Promise<void> {
  try {
    const hasher = await hasherFor(request.algorithm);
    let pending = 0;
    const onBytes = (bytes: number) => {
      pending += bytes;
      if (pending >= PROGRESS_STEP) {
        send({ kind: 'progress', bytes: pending });
        pending = 0;
      }
    };
    const count = request.paths.length;
    const digests = new Uint8Array(count * hasher.digestSize);
    const sizes = request.probe ? new Float64Array(count) : null;
    for (let i = 0; sizes && i < count; i++) {
      const probed = probeTaskSync(batchTask(request, i), hasher, buffers, PROBE_BYTES);
      if (probed.digest) {
        digests.set(probed.digest, i * hasher.digestSize);
        sizes[i] = probed.size;
        onBytes(probed.size);
      } else {
        sizes[i] = -probed.size - 1;
      }
    }
    for (let i = 0; !sizes && i < count; i++) {
      const digest = hashTaskSync(batchTask(request, i), hasher, buffers, request.chunkSize, onBytes);
      digests.set(digest, i * hasher.digestSize);
    }
    const reply: WorkerReply = {
      kind: 'done',
      id: request.id,
      digests,
      digestSize: hasher.digestSize,
      bytes: pending,
      sizes,
    };
    port?.postMessage(reply, sizes ? [digests.buffer, sizes.buffer] : [digests.buffer]);
  } catch (error) {
    const code = error instanceof HashingError ? error.code : 'WORKER_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    send({ kind: 'error', id: request.id, code, message });
  }
}

// Batches may queue up on a worker; they are handled strictly one after the other (they share one buffer).
let queue: Promise<void> = Promise.resolve();
port.on('message', (request: BatchRequest) => {
  queue = queue.then(() => handle(request));
});
