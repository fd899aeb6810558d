// Mirrors tests/_hashing/io_hashing_test.py: whole-file and shard hashing of one file.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { hashBytes, hashFile, hashFileShard } from '@model-signing/hashing';
import { toHex } from '@model-signing/manifest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KNOWN_MODEL_TEXT, TempDirs } from './support.js';

// SHA-256 of "This is a simple model" and of its slices, computed independently (format spec §2.4, §2.3).
const SHA256_FILE = '3aab065c7181a173b5dd9e9d32a9f79923440b413be1e1ffcdba26a7365f719b';
const SHA256_FIRST_8 = 'a37010c994067764d86540bf479d93b4d0c3bb3955de7b61f951caf2fd0301b0';

const temp = new TempDirs();
let file: string;

beforeAll(() => {
  file = path.join(temp.make(), 'model');
  writeFileSync(file, KNOWN_MODEL_TEXT);
});
afterAll(() => temp.cleanup());

describe('TestSimpleFileHasher', () => {
  it('fails_with_negative_chunk_size', async () => {
    await expect(hashFile(file, 'sha256', { chunkSize: -1 })).rejects.toThrow(
      'Chunk size must be non-negative, got -1.',
    );
  });

  it.each([
    ['default', undefined],
    ['no_chunk', 0],
    ['small_chunk', 2],
    ['large_chunk', 2 * KNOWN_MODEL_TEXT.length],
  ])('hash_of_known_file (%s)', async (_, chunkSize) => {
    const digest = await hashFile(file, 'sha256', chunkSize === undefined ? {} : { chunkSize });
    expect(toHex(digest)).toBe(SHA256_FILE);
  });

  it('hash_file_twice gives the same digest', async () => {
    expect(toHex(await hashFile(file))).toBe(toHex(await hashFile(file)));
  });

  it.each(['sha256', 'blake2b', 'blake3'] as const)(
    'digest equals the in-memory hash (%s)',
    async (algorithm) => {
      expect(toHex(await hashFile(file, algorithm))).toBe(
        toHex(await hashBytes(algorithm, KNOWN_MODEL_TEXT)),
      );
    },
  );

  it('digest_size', async () => {
    expect(await hashFile(file, 'blake2')).toHaveLength(64);
    expect(await hashFile(file, 'blake3')).toHaveLength(32);
  });
});

describe('TestShardedFileHasher', () => {
  it('fails_with_negative_shard_size', async () => {
    await expect(hashFileShard(file, 'sha256', { start: 0, end: 2, shardSize: -2 })).rejects.toThrow(
      'Shard size must be strictly positive, got -2.',
    );
    await expect(hashFileShard(file, 'sha256', { start: 0, end: 2, shardSize: 0 })).rejects.toThrow(
      'Shard size must be strictly positive, got 0.',
    );
  });

  it('fails_with_negative_start', async () => {
    await expect(hashFileShard(file, 'sha256', { start: -1, end: 2, shardSize: 10 })).rejects.toThrow(
      'File start offset must be non-negative, got -1.',
    );
  });

  it('fails_with_end_lower_than_start', async () => {
    await expect(hashFileShard(file, 'sha256', { start: 5, end: 2, shardSize: 10 })).rejects.toThrow(
      'File end offset must be stricly higher that file start offset, got start=5, end=2.',
    );
  });

  it('fails_with_zero_read_span', async () => {
    await expect(hashFileShard(file, 'sha256', { start: 2, end: 2, shardSize: 10 })).rejects.toThrow(
      'File end offset must be stricly higher that file start offset, got start=2, end=2.',
    );
  });

  it('fails_with_read_span_too_large', async () => {
    await expect(hashFileShard(file, 'sha256', { start: 0, end: 11, shardSize: 10 })).rejects.toThrow(
      'Must not read more than shard_size=10, got 11.',
    );
  });

  it('hash_of_known_file: first 8 bytes', async () => {
    const digest = await hashFileShard(file, 'sha256', { start: 0, end: 8, shardSize: 8 });
    expect(toHex(digest)).toBe(SHA256_FIRST_8);
  });

  it.each([
    ['default', { start: 0, end: 22 }],
    ['end_overflow', { start: 0, end: 1000 }],
    ['no_chunk', { start: 0, end: 22, chunkSize: 0 }],
    ['small_chunk', { start: 0, end: 22, chunkSize: 1 }],
    ['large_chunk', { start: 0, end: 22, chunkSize: 1000 }],
    ['large_shard', { start: 0, end: 22, shardSize: 1000 }],
  ])('hash_of_known_file (%s) is the whole-file digest', async (_, options) => {
    const digest = await hashFileShard(file, 'sha256', { shardSize: 1000, ...options });
    expect(toHex(digest)).toBe(SHA256_FILE);
  });

  it('hash_of_known_file: middle range equals hash of the slice', async () => {
    for (const algorithm of ['sha256', 'blake2b'] as const) {
      const digest = await hashFileShard(file, algorithm, { start: 8, end: 16, shardSize: 8 });
      expect(toHex(digest)).toBe(toHex(await hashBytes(algorithm, KNOWN_MODEL_TEXT.slice(8, 16))));
    }
  });
});
