// When the hashing of a large file starts. Once the walk is over, hash() goes on with work of its own (loading
// node:crypto for the root digest, building the manifest) and hands control to onWalked; a large file must
// already be hashing by then, or that work delays it by as much.
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import { loadNativeHashing } from '@model-signing/hashing-native';
import { afterAll, expect, it } from 'vitest';
import { enginesToTest, pseudoRandomBytes, TempDirs } from './support.js';

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
