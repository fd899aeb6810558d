import { closeSync, constants, existsSync, fstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { changedMessage, fromFsError, HashingError } from './errors.js';
import { createHasher, type Hasher, type HashingAlgorithmName } from './hasher.js';

/** The default read size: 1 MiB (Node's 64 KiB stream default halves the throughput). */
export const DEFAULT_CHUNK_SIZE = 1 << 20;

// `chunkSize: 0` means "read the whole file in one call" in Python; reads are capped here so that memory stays
// bounded whatever the file size. The digest does not depend on the read size.
const MAX_READ_SIZE = 64 << 20;

/** The file a symlink led to when the walk followed it: its device and inode numbers (as `fs.Stats` has them). */
export interface FileIdentity {
  /** `st_dev`. */
  readonly dev: number;
  /** `st_ino`. */
  readonly ino: number;
}

/** A file the walk found as a regular file at `path`, below `root`, through no symlink. */
export interface Confinement {
  /** The model directory: absolute, symlinks resolved. */
  readonly root: string;
}

/**
 * What the file opened for a task must be, so that a file swapped after the walk (for a symlink, or under a
 * directory swapped for one) is never read in place of the model's own: a {@link Confinement} or a
 * {@link FileIdentity}.
 */
export type FileCheck = Confinement | FileIdentity;

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
  /** What the opened file must be; without it the path is opened as given, symlinks followed. */
  readonly check?: FileCheck | undefined;
}

/**
 * Whether this system names the file behind a descriptor (Linux's `/proc/self/fd`): a {@link Confinement} is
 * checked that way, one call per file; elsewhere the walk records every file's {@link FileIdentity} instead.
 */
export const CAN_NAME_DESCRIPTORS = process.platform === 'linux' && existsSync('/proc/self/fd');

// Opening without following a final symlink: a file the walk found as a regular file that is a link now was
// swapped since, and the link's target is not the model's file.
const OPEN_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

function isExpected(fd: number, task: HashTask, check: FileCheck): boolean {
  if ('root' in check) {
    // A file right in the root has no directory on the way (the root is the walk's, resolved), and O_NOFOLLOW
    // kept its own name from being a link.
    if (task.path.indexOf('/', check.root.length + 1) === -1) return true;
    // The kernel's name of the opened file, symlinks resolved: the path itself only when no directory on the
    // way was swapped for a link.
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === task.path;
    } catch {
      return false;
    }
  }
  const stats = fstatSync(fd);
  return stats.dev === check.dev && stats.ino === check.ino;
}

/**
 * Opens the file of `task` for reading, checked against {@link HashTask.check}: a file that is not the one
 * the walk found fails with code `CHANGED` and nothing of it is read.
 */
export function openTask(task: HashTask): number {
  const check = task.check;
  let fd: number;
  try {
    fd = openSync(task.path, check ? OPEN_NO_FOLLOW : 'r');
  } catch (error) {
    if (check && (error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new HashingError('CHANGED', changedMessage(task.display), { cause: error });
    }
    throw fromFsError(error, task.display, 'read');
  }
  let expected = true;
  try {
    expected = !check || isExpected(fd, task, check);
  } catch (error) {
    closeSync(fd);
    throw fromFsError(error, task.display, 'read');
  }
  if (!expected) {
    closeSync(fd);
    throw new HashingError('CHANGED', changedMessage(task.display));
  }
  return fd;
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
  const fd = openTask(task);
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
  // A file whose size the walk did not take was taken on the word of its directory entry: it is checked as
  // every file the walk found is.
  const fd = openTask(task);
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
