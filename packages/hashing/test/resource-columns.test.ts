// readResourceColumns, as a verification uses it: the native engine reads the resources of a statement this
// project wrote into the columns JSON.parse would give, once a hash has loaded the engine.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, readResourceColumns } from '@model-signing/hashing';
import { readStatement, statementBytes } from '@model-signing/manifest';
import { afterAll, expect, it } from 'vitest';
import { enginesToTest, pseudoRandomBytes, TempDirs } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());
const hasNative = (await enginesToTest()).includes('native');

it.skipIf(!hasNative)(
  'reads the resources of a statement of a hashed model, as JSON.parse does',
  async () => {
    const model = temp.make();
    for (let i = 0; i < 300; i++) {
      mkdirSync(path.join(model, `d${i % 7}`), { recursive: true });
      writeFileSync(path.join(model, `d${i % 7}`, `f ${i}.bin`), pseudoRandomBytes(100 + i, i));
    }
    const manifest = await new Config().useFileSerialization({ hashingAlgorithm: 'blake2b' }).hash(model);
    const bytes = statementBytes(manifest);
    const text = new TextDecoder().decode(bytes);
    const resources = JSON.parse(text).predicate.resources as {
      name: string;
      algorithm: string;
      digest: string;
    }[];
    const json = new TextEncoder().encode(JSON.stringify(resources, null, 4));
    const columns = readResourceColumns(json);
    expect(columns).not.toBeNull();
    expect(columns!.names.split('\0')).toEqual(resources.map((r) => r.name));
    expect(columns!.algorithms.split('\0')).toEqual(resources.map((r) => r.algorithm));
    expect(Buffer.from(columns!.digests).toString('hex')).toBe(resources.map((r) => r.digest).join(''));
    expect([...columns!.ends]).toEqual(resources.map((_, i) => 64 * (i + 1)));

    let read = 0;
    const statement = readStatement(bytes, {
      readResourceColumns: (list) => {
        const result = readResourceColumns(list);
        if (result) read++;
        return result;
      },
    });
    expect(statement.matching(manifest)?.rootDigestHex()).toBe(manifest.rootDigestHex());
    expect(read).toBe(1);
  },
);
