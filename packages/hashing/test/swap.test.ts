// A model changed between the walk and the reading of its files (a directory or a file swapped for a symlink
// to an outside twin, a symlink's target replaced) must never be hashed with the outside content: both engines
// fail, naming the file. The change is made at a test seam between the walk and the first open, so that the
// race is deterministic (no timing).
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, type HashingAlgorithmName, HashingError } from '@model-signing/hashing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hashingHooks } from '../src/config.js';
import { IgnoreSet } from '../src/ignore.js';
import { type DirectoryLister, LISTED_FILE, ListingFailure, walkModel } from '../src/walk.js';
import { engineCovers, enginesToTest, pseudoRandomBytes, TempDirs, toolDigest } from './support.js';

const temp = new TempDirs();
const ENGINES = await enginesToTest();
afterAll(() => temp.cleanup());
afterEach(() => {
  hashingHooks.afterWalk = null;
});

const SECRET = Buffer.from('the outside twin, which must never be hashed\n');

// Model shapes that reach each way files are read: a few small files (read on the calling thread, or one
// native batch), more than 64 (read without a size from the walk: worker threads, or native probes), and
// files of over 1 MiB (read after the walk, largest first: native turns, BLAKE3 over every core).
type Shape = 'few' | 'many' | 'large';

interface Layout {
  readonly model: string;
  readonly outside: string;
}

function layout(shape: Shape): Layout {
  const root = temp.make();
  const model = path.join(root, 'model');
  const outside = path.join(root, 'outside');
  const count = shape === 'few' ? 3 : shape === 'many' ? 70 : 2;
  const size = shape === 'large' ? (3 << 19) + 11 : 100;
  mkdirSync(path.join(model, 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(model, 'top'), 'top file');
  for (let i = 0; i < count; i++) {
    const name = `f${String(i).padStart(3, '0')}`;
    writeFileSync(path.join(model, 'sub', name), pseudoRandomBytes(size, i + 1));
    // The outside twin has the same name under a directory of its own, and the secret content.
    writeFileSync(path.join(outside, name), SECRET);
  }
  return { model, outside };
}

async function failure(promise: Promise<unknown>): Promise<HashingError> {
  const error = await promise.then(
    (manifest) => manifest,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HashingError);
  return error as HashingError;
}

function expectChanged(error: HashingError, prefix: string): void {
  expect(error.code).toBe('CHANGED');
  expect(error.message).toMatch(/^Cannot read '.+': it changed while it was being hashed/);
  expect(error.message).toContain(prefix);
  expect(error.message.split('\n')).toHaveLength(1);
}

const secretDigest = (root: string) => toolDigest('sha256sum', path.join(root, 'f000'));

const cases: [Engine, Shape, HashingAlgorithmName][] = [];
type Engine = (typeof ENGINES)[number];
for (const engine of ENGINES) {
  for (const shape of ['few', 'many', 'large'] as const) cases.push([engine, shape, 'sha256']);
  cases.push([engine, 'large', 'blake3']);
}

describe.each(cases)('%s engine, %s files, %s', (engine, shape, algorithm) => {
  const hash = (model: string, allowSymlinks = false) =>
    new Config()
      .useFileSerialization({ hashingAlgorithm: algorithm, maxWorkers: 2, allowSymlinks })
      .hash(model, { engine });

  it('a directory swapped for a link to an outside twin is not read', async (context) => {
    if (!(await engineCovers(engine, algorithm))) context.skip();
    const { model, outside } = layout(shape);
    const digest = secretDigest(outside);
    hashingHooks.afterWalk = () => {
      renameSync(path.join(model, 'sub'), path.join(model, 'sub.moved'));
      symlinkSync(outside, path.join(model, 'sub'));
    };
    const error = await failure(hash(model));
    expectChanged(error, path.join(model, 'sub/'));
    expect(error.message).not.toContain(digest);
  });

  it('with symlinks allowed too: the walk saw a directory there, not a link', async (context) => {
    if (!(await engineCovers(engine, algorithm))) context.skip();
    const { model, outside } = layout(shape);
    hashingHooks.afterWalk = () => {
      renameSync(path.join(model, 'sub'), path.join(model, 'sub.moved'));
      symlinkSync(outside, path.join(model, 'sub'));
    };
    expectChanged(await failure(hash(model, true)), path.join(model, 'sub/'));
  });

  it.each([
    ['sub', 'f000'],
    ['.', 'top'],
  ])('a file swapped for a link to an outside twin is not read (in %s)', async (folder, name) => {
    // (it.each passes no test context to skip with.)
    if (!(await engineCovers(engine, algorithm))) return;
    const { model, outside } = layout(shape);
    const file = path.join(model, folder, name);
    hashingHooks.afterWalk = () => {
      rmSync(file);
      symlinkSync(path.join(outside, 'f000'), file);
    };
    expectChanged(await failure(hash(model)), file);
  });

  it('an allowed symlink whose target is replaced after the walk is not read', async (context) => {
    if (!(await engineCovers(engine, algorithm))) context.skip();
    const { model, outside } = layout(shape);
    // Every file of sub becomes a link to a blob outside the model, as in a Hugging Face cache.
    const blobs = path.join(path.dirname(model), 'blobs');
    renameSync(path.join(model, 'sub'), blobs);
    mkdirSync(path.join(model, 'sub'));
    const names = ['f000', 'f001'];
    for (const name of names)
      symlinkSync(path.join('..', '..', 'blobs', name), path.join(model, 'sub', name));
    const before = await hash(model, true);
    expect(before.names()).toEqual(['sub/f000', 'sub/f001', 'top']);
    if (algorithm === 'sha256') {
      expect(Buffer.from(before.get('sub/f000')!.digest.value).toString('hex')).toBe(
        toolDigest('sha256sum', path.join(blobs, 'f000')),
      );
    }
    hashingHooks.afterWalk = () => {
      // The blob the link led to is replaced by another file (a new inode) with the outside content.
      renameSync(path.join(outside, 'f000'), path.join(blobs, 'f000'));
    };
    const error = await failure(hash(model, true));
    expectChanged(error, path.join(model, 'sub', 'f000'));
    expect(error.message).not.toContain(secretDigest(blobs));
  });

  it('an unchanged model hashes as before (the checks pass)', async (context) => {
    if (!(await engineCovers(engine, algorithm))) context.skip();
    const { model } = layout(shape);
    let walked = 0;
    hashingHooks.afterWalk = (files) => {
      walked = files.length;
    };
    const manifest = await hash(model);
    expect(walked).toBe(manifest.size);
    if (algorithm === 'sha256') {
      expect(Buffer.from(manifest.get('sub/f001')!.digest.value).toString('hex')).toBe(
        toolDigest('sha256sum', path.join(model, 'sub', 'f001')),
      );
    }
  });
});

describe('a directory swapped while the native engine lists the model', () => {
  it('ends the walk with CHANGED naming the directory (the listing reports EXDEV)', async () => {
    const { model } = layout('few');
    // The listing as the addon ends it when a directory it opens is not the one its parent listed.
    const lister: DirectoryLister = async function* () {
      yield { names: ['sub/f000'], kinds: new Uint8Array([LISTED_FILE]), sizes: new Float64Array([100]) };
      throw new ListingFailure('EXDEV', 'sub/inner', 'Invalid cross-device link');
    };
    const walked = walkModel(model, { allowSymlinks: false, ignore: new IgnoreSet([]), lister });
    const error = await failure(walked);
    expect(error.code).toBe('CHANGED');
    expect(error.message).toBe(
      `Cannot list directory '${path.join(model, 'sub', 'inner')}': it changed while it was being hashed (hash the model again once nothing modifies it)`,
    );
  });
});

describe('a directory swapped while the JavaScript walk goes on', () => {
  it('is not listed: the walk fails with CHANGED naming it', async () => {
    const root = temp.make();
    const model = path.join(root, 'model');
    const outside = path.join(root, 'outside');
    // p/a is found before p/b is listed; p is swapped for a link to a twin holding b/f in between.
    for (const dir of [model, outside]) {
      mkdirSync(path.join(dir, 'p', 'b'), { recursive: true });
      writeFileSync(path.join(dir, 'p', 'a'), 'a');
    }
    writeFileSync(path.join(model, 'p', 'b', 'f'), 'model');
    writeFileSync(path.join(outside, 'p', 'b', 'secret-name'), SECRET);
    let swapped = false;
    const walked = walkModel(model, {
      allowSymlinks: false,
      ignore: new IgnoreSet([]),
      onFile: (file) => {
        if (file.relative !== 'p/a' || swapped) return;
        swapped = true;
        renameSync(path.join(model, 'p'), path.join(model, 'p.moved'));
        symlinkSync(path.join(outside, 'p'), path.join(model, 'p'));
      },
    });
    const error = await failure(walked);
    expect(swapped).toBe(true);
    expect(error.code).toBe('CHANGED');
    expect(error.message).toMatch(
      /^Cannot list directory '.*\/model\/p\/b': it changed while it was being hashed/,
    );
    expect(error.message).not.toContain('secret-name');
  });
});
