/**
 * The hashing worker: reads one source as a stream and feeds its chunks to a hash-wasm hasher, so that no file
 * is ever held whole in memory, whatever its size.
 * @module
 */
import type { HashAlgorithm } from '@model-signing/manifest';
import { createBLAKE2b, createBLAKE3, createSHA256, type IHasher } from 'hash-wasm';
import type { HashReply, HashRequest, Piece, WorkerSource } from './protocol.js';

// The DOM typings describe a window; a dedicated worker's global has this much of it.
interface WorkerScope {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(message: HashReply): void;
}
const scope = globalThis as unknown as WorkerScope;

// One hasher per algorithm, reused: a worker hashes one source at a time.
const hashers = new Map<HashAlgorithm, Promise<IHasher>>();

function hasher(algorithm: HashAlgorithm): Promise<IHasher> {
  let made = hashers.get(algorithm);
  if (!made) {
    made =
      algorithm === 'sha256' ? createSHA256() : algorithm === 'blake2b' ? createBLAKE2b(512) : createBLAKE3();
    hashers.set(algorithm, made);
  }
  return made;
}

async function open(source: WorkerSource): Promise<ReadableStream<Uint8Array>> {
  if (source.kind === 'blob') return source.blob.stream();
  if (source.kind === 'stream') return source.stream;
  const response = await fetch(source.url);
  if (response.status === 404) {
    throw Object.assign(new Error(`HTTP 404 ${response.statusText} for ${source.url}`.trim()), {
      notFound: true,
    });
  }
  if (!response.ok)
    throw new Error(`HTTP ${response.status} ${response.statusText} for ${source.url}`.trim());
  if (!response.body) throw new Error(`no body for ${source.url}`);
  return response.body;
}

const PROGRESS_EVERY = 16 * 1024 * 1024;

// WebCrypto's SHA-256 (the CPU's SHA instructions) is about four times hash-wasm's, but it takes the bytes whole:
// a Blob up to this size is read into memory and hashed there, so that memory stays bounded all the same.
const WHOLE_SHA256_LIMIT = 8 * 1024 * 1024;

async function hash(request: HashRequest): Promise<Piece[]> {
  const { source } = request;
  if (
    request.algorithm === 'sha256' &&
    request.shardSize === undefined &&
    source.kind === 'blob' &&
    source.blob.size <= WHOLE_SHA256_LIMIT
  ) {
    const bytes = await source.blob.arrayBuffer();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    scope.postMessage({ id: request.id, type: 'progress', bytes: bytes.byteLength });
    return [{ start: 0, end: bytes.byteLength, digest }];
  }
  const h = await hasher(request.algorithm);
  const reader = (await open(request.source)).getReader();
  const pieces: Piece[] = [];
  const shardSize = request.shardSize;
  let offset = 0; // bytes read
  let pieceStart = 0;
  let reported = 0;
  h.init();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    let chunk = value;
    // A chunk may cross shard boundaries: each part goes to its shard.
    while (shardSize !== undefined && offset + chunk.length >= pieceStart + shardSize) {
      const take = pieceStart + shardSize - offset;
      h.update(chunk.subarray(0, take));
      offset += take;
      pieces.push({ start: pieceStart, end: offset, digest: h.digest('binary') });
      h.init();
      pieceStart = offset;
      chunk = chunk.subarray(take);
    }
    h.update(chunk);
    offset += chunk.length;
    if (offset - reported >= PROGRESS_EVERY) {
      scope.postMessage({ id: request.id, type: 'progress', bytes: offset - reported });
      reported = offset;
    }
  }
  // A whole source always has its digest (an empty file too); shards end where the file does, and an empty
  // file has none.
  if (shardSize === undefined || offset > pieceStart) {
    pieces.push({ start: pieceStart, end: offset, digest: h.digest('binary') });
  }
  if (offset > reported) scope.postMessage({ id: request.id, type: 'progress', bytes: offset - reported });
  return pieces;
}

scope.onmessage = (event) => {
  const request = event.data;
  hash(request).then(
    (pieces) => scope.postMessage({ id: request.id, type: 'done', pieces }),
    (error: unknown) =>
      scope.postMessage({
        id: request.id,
        type: 'error',
        message:
          error instanceof Error
            ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
            : String(error),
        notFound: (error as { notFound?: unknown }).notFound === true,
      }),
  );
};
