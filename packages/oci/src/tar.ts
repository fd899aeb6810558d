import { createHash, type Hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import type * as TarStream from 'tar-stream';
import { digestAlgorithm } from './digest.js';
import { OciError } from './errors.js';

// tar-stream (and streamx, b4a, …) only for ModelCar layer checks: required on use, not when this package loads.
const requireHere = createRequire(import.meta.url);
const loadTarStream = () => requireHere('tar-stream') as typeof TarStream;

/** One member of a tar archive. */
export interface TarMember {
  /** The member name as stored (`models/dir/file`). */
  readonly name: string;
  /** `file`, `directory`, `symlink`, `link`, … (tar-stream's header types). */
  readonly type: string;
}

async function* tapped(source: AsyncIterable<Uint8Array>, hash: Hash): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Turns a possibly compressed tar stream into the plain tar stream, by its magic bytes. */
async function decompressed(source: AsyncIterable<Uint8Array>, what: string): Promise<Readable> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return Readable.from([]);
  const head = Buffer.from(first.value);
  const stream = Readable.from(prepend(first.value, iterator));
  if (head[0] === 0x1f && head[1] === 0x8b) return stream.pipe(zlib.createGunzip());
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) {
    // zstd arrived in Node 22.15 / 23.8; older Node 22 releases cannot read such layers.
    const zstd = (zlib as { createZstdDecompress?: () => NodeJS.ReadWriteStream }).createZstdDecompress;
    if (!zstd)
      throw new OciError(
        'INVALID_MANIFEST',
        `${what} is zstd-compressed; reading it needs Node.js 22.15 or later`,
      );
    return stream.pipe(zstd()) as unknown as Readable;
  }
  if (
    head.subarray(0, 3).toString('latin1') === 'BZh' ||
    head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))
  ) {
    throw new OciError(
      'INVALID_MANIFEST',
      `${what} is compressed with bzip2 or xz, which is not supported; use gzip, zstd or no compression`,
    );
  }
  return stream;
}

/**
 * Reads a layer blob as a tar archive (plain, gzip or zstd), calling `onMember` for each member with its
 * content, and checks at the end that the blob's bytes hash to `digest` (fail closed).
 */
export async function walkLayer(
  blob: AsyncIterable<Uint8Array>,
  digest: string,
  what: string,
  onMember: (member: TarMember, content: AsyncIterable<Uint8Array>) => Promise<void>,
): Promise<void> {
  const hash = createHash(digestAlgorithm(digest));
  const tar = loadTarStream().extract();
  const plain = await decompressed(tapped(blob, hash), what);
  plain.on('error', (error) => tar.destroy(error));
  plain.pipe(tar);
  try {
    for await (const entry of tar) {
      const { name, type } = entry.header;
      await onMember({ name, type: type ?? 'file' }, entry as AsyncIterable<Uint8Array>);
      entry.resume();
    }
  } catch (error) {
    if (error instanceof OciError) throw error;
    throw new OciError(
      'INVALID_MANIFEST',
      `${what} is not a readable tar archive: ${(error as Error).message}`,
    );
  } finally {
    plain.destroy();
  }
  // Drain whatever trails the archive so the digest covers every byte of the blob.
  const actual = `${digestAlgorithm(digest)}:${hash.digest('hex')}`;
  if (actual !== digest) {
    throw new OciError('DIGEST_MISMATCH', `${what}: content digest is ${actual}, expected ${digest}`);
  }
}

/** SHA-256 hex of a stream. */
export async function sha256Hex(content: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of content) hash.update(chunk);
  return hash.digest('hex');
}
