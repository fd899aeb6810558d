// When the hashing of a large file starts. Once the walk is over, hash() goes on with work of its own (loading
// node:crypto for the root digest, building the manifest) and hands control to onWalked; a large file must
// already be hashing by then, or that work delays it by as much.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import { loadNativeHashing } from '@model-signing/hashing-native';
import { afterAll, expect, it } from 'vitest';
import { enginesToTest, pseudoRandomBytes, TempDirs, toolDigest } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());
const native = (await enginesToTest()).includes('native') ? loadNativeHashing() : null;

it.skipIf(native === null)('starts hashing a large file before the walk hands over', async () => {
  const addon = native!;
  const model = temp.make();
  writeFileSync(path.join(model, 'weights.bin'), pseudoRandomBytes(3 << 20, 5));
  writeFileSync(path.join(model, 'config.json'), '{}');
  const original = addon.hashBatch;
  const started: string[] = [];
  addon.hashBatch = (...args) => {
    const paths = args[1];
    started.push(...(typeof paths === 'string' ? paths.split('\0') : paths).map((p) => path.basename(p)));
    return original.apply(addon, args);
  };
  try {
    let startedWhenWalked: string[] = [];
    await new Config().hash(model, {
      engine: 'native',
      onWalked: () => {
        startedWhenWalked = [...started];
      },
    });
    expect(started.sort()).toEqual(['config.json', 'weights.bin']);
    expect(startedWhenWalked).toContain('weights.bin');
  } finally {
    addon.hashBatch = original;
  }
});

it.skipIf(native === null)(
  'hands every large SHA-256 file to one job that hashes them in turns',
  async () => {
    const addon = native!;
    const model = temp.make();
    // Three files on two slots: hashed one per slot until done, one slot would hash two of them alone.
    for (const [i, name] of ['a.bin', 'b.bin', 'c.bin'].entries())
      writeFileSync(path.join(model, name), pseudoRandomBytes(2 << 20, 10 + i));
    writeFileSync(path.join(model, 'small.json'), '{}');
    const original = addon.hashInTurns;
    const jobs: { names: string[]; sizes: number[]; threads: number }[] = [];
    addon.hashInTurns = (...args) => {
      const paths = args[1];
      jobs.push({
        names: (typeof paths === 'string' ? paths.split('\0') : paths).map((p) => path.basename(p)),
        sizes: [...args[3]],
        threads: args[4],
      });
      return original.apply(addon, args);
    };
    try {
      const manifest = await new Config()
        .useFileSerialization({ maxWorkers: 2 })
        .hash(model, { engine: 'native' });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.names.sort()).toEqual(['a.bin', 'b.bin', 'c.bin']);
      expect(jobs[0]!.sizes).toEqual([2 << 20, 2 << 20, 2 << 20]);
      expect(jobs[0]!.threads).toBe(2);
      expect(manifest.resourceDescriptors().map((d) => d.digest)).toEqual(
        ['a.bin', 'b.bin', 'c.bin', 'small.json'].map((name) =>
          toolDigest('sha256sum', path.join(model, name)),
        ),
      );
    } finally {
      addon.hashInTurns = original;
    }
  },
);
