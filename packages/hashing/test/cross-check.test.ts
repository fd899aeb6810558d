// Every fast path (worker batches, inline, shards in parallel, large reads) against independent tools
// (sha256sum, b2sum, b3sum) on generated trees: sizes around the internal split points, empty files, many files,
// one worker vs many.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import type { Manifest } from '@model-signing/manifest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCovers, enginesToTest, pseudoRandomBytes, requireTool, TempDirs } from './support.js';

const MiB = 1 << 20;
const temp = new TempDirs();
let model: string;
const files = new Map<string, number>();

// Around the 1 MiB read size, the 8 MiB batch size, and small sizes; one over two of the native engine's 16 MiB
// turns; plus enough small files to fill several batches of 512 tasks.
const SIZES = [
  0,
  1,
  55,
  64,
  1000,
  MiB - 1,
  MiB,
  MiB + 1,
  3 * MiB + 17,
  8 * MiB - 1,
  8 * MiB,
  8 * MiB + 1,
  32 * MiB + 5,
];

beforeAll(() => {
  model = path.join(temp.make(), 'generated model');
  SIZES.forEach((size, i) => {
    const name = `sizes/file-${i}-${size}.bin`;
    mkdirSync(path.join(model, 'sizes'), { recursive: true });
    writeFileSync(path.join(model, name), pseudoRandomBytes(size, i + 1));
    files.set(name, size);
  });
  for (let i = 0; i < 1200; i++) {
    const dir = `small/d${i % 7}/e${i % 3}`;
    mkdirSync(path.join(model, dir), { recursive: true });
    const name = `${dir}/s${i}`;
    const size = (i * 37) % 5000;
    writeFileSync(path.join(model, name), pseudoRandomBytes(size, 1000 + i));
    files.set(name, size);
  }
});
afterAll(() => temp.cleanup());

function toolDigests(tool: string, names: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < names.length; i += 200) {
    const chunk = names.slice(i, i + 200);
    const text = execFileSync(tool, chunk, { cwd: model, encoding: 'utf8', maxBuffer: 64 * MiB });
    for (const [j, line] of text.trim().split('\n').entries()) out.set(chunk[j]!, line.split(/\s+/)[0]!);
  }
  return out;
}

function byName(manifest: Manifest): Map<string, string> {
  return new Map(manifest.resourceDescriptors().map((d) => [d.name, d.digest]));
}

const TOOLS = { sha256: 'sha256sum', blake2b: 'b2sum', blake3: 'b3sum' } as const;
const ENGINES = await enginesToTest();

describe.each(ENGINES)('%s engine', (engine) => {
  describe.each(['sha256', 'blake2b', 'blake3'] as const)('%s files', (algorithm) => {
    it('matches the independent tool for every file, with 1 and several workers', async () => {
      if (!requireTool(TOOLS[algorithm]) || !(await engineCovers(engine, algorithm))) return;
      const expected = toolDigests(TOOLS[algorithm], [...files.keys()]);
      for (const maxWorkers of [1, 3]) {
        const manifest = await new Config()
          .useFileSerialization({ hashingAlgorithm: algorithm, maxWorkers })
          .hash(model, { engine });
        expect(manifest.size).toBe(files.size);
        expect(byName(manifest)).toEqual(expected);
      }
    });
  });
});

describe('blake3 portable fallback', () => {
  it('hash-wasm in the workers matches b3sum too', async () => {
    if (!requireTool('b3sum')) return;
    const expected = toolDigests('b3sum', [...files.keys()]);
    process.env.MODEL_SIGNING_BLAKE3 = 'wasm';
    try {
      const manifest = await new Config()
        .useFileSerialization({ hashingAlgorithm: 'blake3' })
        .hash(model, { engine: 'javascript' });
      expect(byName(manifest)).toEqual(expected);
    } finally {
      delete process.env.MODEL_SIGNING_BLAKE3;
    }
  });
});

describe.each(ENGINES)('%s engine', (engine) => {
  describe('read sizes never change digests', () => {
    it.each([0, 1000, 4096, 3 * MiB])('chunkSize %i', async (chunkSize) => {
      const base = await new Config().hash(model, { engine });
      const other = await new Config()
        .useFileSerialization({ chunkSize, maxWorkers: 2 })
        .hash(model, { engine });
      expect(other.resourceDescriptors()).toEqual(base.resourceDescriptors());
    });

    it('a file above the largest single read (64 MiB) with chunkSize 0', async () => {
      if (!requireTool('sha256sum')) return;
      const dir = path.join(temp.make(), 'big');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'f'), pseudoRandomBytes(64 * MiB + 3, 77));
      const manifest = await new Config().useFileSerialization({ chunkSize: 0 }).hash(dir, { engine });
      const expected = execFileSync('sha256sum', [path.join(dir, 'f')], { encoding: 'utf8' }).split(' ')[0];
      expect(manifest.resourceDescriptors()[0]?.digest).toBe(expected);
    });
  });

  describe.each(['sha256', 'blake2b'] as const)('%s shards', (algorithm) => {
    it('every shard equals the tool digest of that byte range', async () => {
      if (!requireTool(TOOLS[algorithm])) return;
      const shardSize = MiB + 3;
      const manifest = await new Config()
        .useShardSerialization({ hashingAlgorithm: algorithm, shardSize, maxWorkers: 2 })
        .hash(model, { engine, filesToHash: [...files.keys()].filter((n) => n.startsWith('sizes/')) });
      // Empty files have no shards; every other file is covered without gaps.
      const expectedCount = SIZES.reduce((n, size) => n + Math.ceil(size / shardSize), 0);
      expect(manifest.size).toBe(expectedCount);
      const checked = manifest.resourceDescriptors().filter((_, i) => i % 3 === 0 || i === expectedCount - 1);
      for (const { name, digest, algorithm: resourceAlgorithm } of checked) {
        expect(resourceAlgorithm).toBe(`${algorithm}-sharded-${shardSize}`);
        const [file, start, end] = name.split(':') as [string, string, string];
        const command = `tail -c +${Number(start) + 1} '${file}' | head -c ${Number(end) - Number(start)} | ${TOOLS[algorithm]}`;
        expect(digest, name).toBe(execSync(command, { cwd: model, encoding: 'utf8' }).split(/\s+/)[0]);
      }
      const one = await new Config()
        .useShardSerialization({ hashingAlgorithm: algorithm, shardSize, maxWorkers: 1 })
        .hash(model, { engine, filesToHash: [...files.keys()].filter((n) => n.startsWith('sizes/')) });
      expect(one.resourceDescriptors()).toEqual(manifest.resourceDescriptors());
    });
  });

  // Once the threads run, the walk stops taking sizes (no lstat per file): the threads hash small files in one
  // read and send large ones back to be scheduled largest first. Large files in every folder make sure some are
  // found after the threads started, whatever order the file system lists them in.
  describe('files found after the threads started (sizes taken by the threads)', () => {
    let tree: string;
    const treeFiles = new Map<string, number>();
    const LARGE = [MiB - 1, MiB, MiB + 1, 3 * MiB + 17, 0];

    beforeAll(() => {
      tree = path.join(temp.make(), 'tree');
      for (let d = 0; d < 8; d++) {
        const dir = `d${d}`;
        mkdirSync(path.join(tree, dir, 'sub'), { recursive: true });
        for (let i = 0; i < 30; i++) {
          const name = `${dir}/${i % 2 ? 'sub/' : ''}s${i}`;
          const size = (i * 613 + d) % 9000;
          writeFileSync(path.join(tree, name), pseudoRandomBytes(size, 5000 + d * 100 + i));
          treeFiles.set(name, size);
        }
        LARGE.forEach((size, i) => {
          const name = `${dir}/large-${i}`;
          writeFileSync(path.join(tree, name), pseudoRandomBytes(size, 9000 + d * 10 + i));
          treeFiles.set(name, size);
        });
      }
    });

    it.each(['sha256', 'blake2b'] as const)(
      '%s digests equal the tool and progress totals the sizes',
      async (algorithm) => {
        if (!requireTool(TOOLS[algorithm])) return;
        const names = [...treeFiles.keys()];
        const expected = new Map<string, string>();
        for (let i = 0; i < names.length; i += 200) {
          const chunk = names.slice(i, i + 200);
          const text = execFileSync(TOOLS[algorithm], chunk, { cwd: tree, encoding: 'utf8' });
          for (const [j, line] of text.trim().split('\n').entries())
            expected.set(chunk[j]!, line.split(/\s+/)[0]!);
        }
        const total = [...treeFiles.values()].reduce((a, b) => a + b, 0);
        let last:
          | { bytesHashed: number; totalBytes: number; filesHashed: number; totalFiles: number }
          | undefined;
        const manifest = await new Config()
          .useFileSerialization({ hashingAlgorithm: algorithm, maxWorkers: 2 })
          .hash(tree, { engine, onProgress: (progress) => (last = { ...progress }) });
        expect(byName(manifest)).toEqual(expected);
        expect(last).toEqual({
          bytesHashed: total,
          totalBytes: total,
          filesHashed: names.length,
          totalFiles: names.length,
        });
      },
    );
  });
});

// The native engine hashes one large BLAKE3 file on several threads along the BLAKE3 tree; sizes around its
// split points (whole chunks, a partial last chunk, pieces of 1 MiB).
describe.each(ENGINES)('%s engine: BLAKE3 of large files', (engine) => {
  it('matches b3sum with 1, 2 and 3 threads', async () => {
    if (!requireTool('b3sum') || !(await engineCovers(engine, 'blake3'))) return;
    const dir = path.join(temp.make(), 'large blake3');
    mkdirSync(dir);
    const sizes = [2 * MiB, 2 * MiB + 1, 4 * MiB - 1024, 17 * MiB + 1023, 40 * MiB + 7];
    for (const [i, size] of sizes.entries())
      writeFileSync(path.join(dir, `f${i}`), pseudoRandomBytes(size, 300 + i));
    const names = sizes.map((_, i) => `f${i}`);
    const text = execFileSync('b3sum', names, { cwd: dir, encoding: 'utf8' });
    const expected = new Map(
      text
        .trim()
        .split('\n')
        .map((line, i) => [names[i]!, line.split(/\s+/)[0]!]),
    );
    for (const maxWorkers of [1, 2, 3]) {
      const manifest = await new Config()
        .useFileSerialization({ hashingAlgorithm: 'blake3', maxWorkers })
        .hash(dir, { engine });
      expect(byName(manifest)).toEqual(expected);
    }
  });
});
