// The walk as each engine does it (the native engine lists the directory in C, the JavaScript one with
// readdir): the same files in the same canonical order, the same ignore paths, and a failure for names that
// name no file.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, HashingError } from '@model-signing/hashing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enginesToTest, TempDirs } from './support.js';

const temp = new TempDirs();
let model: string;
const ENGINES = await enginesToTest();

function write(name: string, text: string): void {
  mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
  writeFileSync(path.join(model, name), text);
}

beforeAll(() => {
  model = path.join(temp.make(), 'model');
  for (const name of ['B', 'a/x', 'a-b', 'a.b', 'a0/deep/z', 'é', '\u{fb00}', '\u{1d538}']) write(name, name);
  for (const name of ['skip/q', 'a/skip', 'a0/deep/skip/r']) write(name, 'ignored');
  mkdirSync(path.join(model, 'empty/inner'), { recursive: true });
  // More files than the listing's first chunks and the sizes taken up front.
  for (let i = 0; i < 700; i++) write(`many/f${String(i).padStart(3, '0')}`, `file ${i}`);
  symlinkSync('B', path.join(model, 'link-to-B'));
});
afterAll(() => temp.cleanup());

describe.each(ENGINES)('%s engine', (engine) => {
  it('lists files in canonical order, with the ignore paths left out', async () => {
    const config = new Config()
      .setIgnoredPaths({ paths: ['skip', 'a/skip', 'a0/deep/skip'] })
      .setAllowSymlinks(true);
    const names = (await config.hash(model, { engine })).names();
    const many = Array.from({ length: 700 }, (_, i) => `many/f${String(i).padStart(3, '0')}`);
    // By hand from format spec §3.5: component by component, each by code point.
    expect(names).toEqual([
      'B',
      'a/x',
      'a-b',
      'a.b',
      'a0/deep/z',
      'link-to-B',
      ...many,
      'é',
      '\u{fb00}',
      '\u{1d538}',
    ]);
  });

  it('fails on a name that is not UTF-8', async () => {
    const dir = path.join(temp.make(), 'model');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'a'), 'a');
    writeFileSync(Buffer.concat([Buffer.from(`${dir}/sub/`), Buffer.from([0x66, 0xff])]), 'x');
    const error = await new Config().hash(dir, { engine }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HashingError);
    expect((error as HashingError).message).toContain(`${dir}/sub`);
  });
});

it('both engines give the same manifest', async () => {
  if (ENGINES.length < 2) return;
  const config = new Config().setIgnoredPaths({ paths: ['skip'] }).setAllowSymlinks(true);
  const [first, second] = await Promise.all(ENGINES.map((engine) => config.hash(model, { engine })));
  expect(first!.rootDigestHex()).toBe(second!.rootDigestHex());
});
