import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { fromFsError, HashingError, symlinkMessage } from './errors.js';
import { createHasher, type Hasher, type HashingAlgorithmName } from './hasher.js';

/** The default read size: 1 MiB (Node's 64 KiB stream default halves the throughput). */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

// `chunkSize: 0` means "read the whole file in one call" in Python; reads are capped here so that memory stays
// bounded whatever the file size. The digest does not depend on the read size.
const MAX_READ_SIZE = 64 << 20;

/** One unit of hashing work: the bytes `[start, end)` of a file, or from `start` to EOF when `end` is null. */
export interface HashTask {
  /** The path to read (absolute, symlinks resolved). */
  readonly path: string;
  /** The path as the user would name it, for error messages. */
  readonly display: string;
  /** First byte. */
  readonly start: number;
  /** One past the last byte, or null to read to EOF. */
  readonly end: number | null;
}

/** A read buffer reused across tasks, grown on demand. */
export class ReadBuffer {
  #buffer: Buffer = Buffer.alloc(0);

  /** A buffer of at least `size` bytes (contents undefined). */
  get(size: number): Buffer {
    if (this.#buffer.length < size) this.#buffer = Buffer.allocUnsafe(size);
    return this.#buffer;
  }
}

/** Checks `chunkSize` as Python does. */
export function validateChunkSize(chunkSize: number): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 0) {
    throw new HashingError('INVALID_ARGUMENT', `Chunk size must be non-negative, got ${chunkSize}.`);
  }
}

/**
 * Hashes one task synchronously with `hasher` (reset first), reading `chunkSize` bytes at a time. Reading stops
 * at EOF, so an `end` beyond the file is allowed. `onBytes` is told how many bytes each read returned.
 */
export function hashTaskSync(
  task: HashTask,
  hasher: Hasher,
  buffers: ReadBuffer,
  chunkSize: number,
  onBytes?: (bytes: number) => void,
): Uint8Array {
  hasher.reset();
  for (const chunk of taskChunks(task, buffers, chunkSize)) {
    hasher.update(chunk);
    onBytes?.(chunk.length);
  }
  return hasher.digest();
}

/**
 * The bytes of one task, chunk by chunk (each chunk is valid until the next is asked for), with the reads and
 * EOF rule of {@link hashTaskSync}; for callers that must pause between chunks.
 */
export function* taskChunks(task: HashTask, buffers: ReadBuffer, chunkSize: number): Generator<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(task.path, 'r');
  } catch (error) {
    throw fromFsError(error, task.display, 'read');
  }
  try {
    let span = task.end === null ? Number.POSITIVE_INFINITY : task.end - task.start;
    let readSize = chunkSize;
    if (readSize === 0) {
      const whole = task.end === null ? fstatSync(fd).size - task.start : span;
      readSize = Math.max(1, Math.min(whole, MAX_READ_SIZE));
    }
    readSize = Math.min(readSize, MAX_READ_SIZE);
    const buffer = buffers.get(readSize);
    let position = task.start;
    while (span > 0) {
      const want = Math.min(readSize, span);
      let got: number;
      try {
        got = readSync(fd, buffer, 0, want, position);
      } catch (error) {
        throw fromFsError(error, task.display, 'read');
      }
      if (got === 0) break;
      yield buffer.subarray(0, got);
      position += got;
      span -= got;
      if (got < want) break;
    }
  } finally {
    closeSync(fd);
  }
}

/** What {@link probeTaskSync} found: the file was hashed (`digest`), or is too large and left for later. */
export interface ProbeResult {
  /** The digest, or null when the file is at least `probeSize` bytes and was not hashed. */
  readonly digest: Uint8Array | null;
  /** The file's size: the bytes hashed, or its size when it was left for later. */
  readonly size: number;
}

// Opening without following a final symlink: a file whose size the walk did not take (it trusted the directory
// entry's type, to spare one lstat per file) must still be a regular file, not a link swapped in since.
const OPEN_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Hashes a whole file of unknown size when it is smaller than `probeSize`, in one read; a larger file is left
 * for later (its size is returned), so that large files can still be scheduled largest first.
 */
export function probeTaskSync(
  task: HashTask,
  hasher: Hasher,
  buffers: ReadBuffer,
  probeSize: number,
): ProbeResult {
  let fd: number;
  try {
    fd = openSync(task.path, OPEN_NO_FOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new HashingError('SYMLINK', symlinkMessage(task.display));
    }
    throw fromFsError(error, task.display, 'read');
  }
  try {
    const buffer = buffers.get(probeSize);
    const got = readSync(fd, buffer, 0, probeSize, 0);
    if (got === probeSize) return { digest: null, size: fstatSync(fd).size };
    hasher.reset();
    hasher.update(buffer.subarray(0, got));
    return { digest: hasher.digest(), size: got };
  } catch (error) {
    if (error instanceof HashingError) throw error;
    throw fromFsError(error, task.display, 'read');
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link hashFile}. */
export interface HashFileOptions {
  /** Bytes per read; 0 reads in one go (bounded internally). Default 1 MiB. */
  readonly chunkSize?: number;
}

/** The digest of a whole file (symlinks followed). A small helper; models are hashed by {@link Config}. */
export async function hashFile(
  path: string,
  algorithm: HashingAlgorithmName | string = 'sha256',
  options: HashFileOptions = {},
): Promise<Uint8Array> {
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validateChunkSize(chunkSize);
  const hasher = await createHasher(algorithm);
  return hashTaskSync({ path, display: path, start: 0, end: null }, hasher, new ReadBuffer(), chunkSize);
}

/** Options of {@link hashFileShard}. */
export interface HashFileShardOptions {
  /** First byte, ≥ 0. */
  readonly start: number;
  /** One past the last byte, > start; may lie beyond EOF. */
  readonly end: number;
  /** The shard size the range must fit in. Default 1 000 000 000. */
  readonly shardSize?: number;
  /** Bytes per read. Default 1 MiB. */
  readonly chunkSize?: number;
}

/**
 * The digest of the bytes `[start, end)` of a file, with Python's checks (and messages) of a sharded file
 * hasher: non-negative start, end above start, span at most the shard size.
 */
export async function hashFileShard(
  path: string,
  algorithm: HashingAlgorithmName | string,
  options: HashFileShardOptions,
): Promise<Uint8Array> {
  const { start, end } = options;
  const shardSize = options.shardSize ?? 1_000_000_000;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  validateChunkSize(chunkSize);
  validateShardSize(shardSize);
  if (!Number.isSafeInteger(start) || start < 0) {
    throw new HashingError('INVALID_ARGUMENT', `File start offset must be non-negative, got ${start}.`);
  }
  if (!Number.isSafeInteger(end) || end <= start) {
    // The typo is Python's.
    throw new HashingError(
      'INVALID_ARGUMENT',
      `File end offset must be stricly higher that file start offset, got start=${start}, end=${end}.`,
    );
  }
  if (end - start > shardSize) {
    throw new HashingError(
      'INVALID_ARGUMENT',
      `Must not read more than shard_size=${shardSize}, got ${end - start}.`,
    );
  }
  const hasher = await createHasher(algorithm);
  return hashTaskSync({ path, display: path, start, end }, hasher, new ReadBuffer(), chunkSize);
}

/** Checks a shard size as Python does: a strictly positive integer. */
export function validateShardSize(shardSize: number): void {
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0) {
    throw new HashingError('INVALID_ARGUMENT', `Shard size must be strictly positive, got ${shardSize}.`);
  }
}
