// The addon on its own, against independent tools: sha256sum, b2sum, b3sum, and head/tail for byte ranges.
import { execFileSync, execSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  loadNativeHashing,
  NATIVE_ALGORITHMS,
  type NativeFileError,
  type NativeHashing,
  nativeHashingStatus,
} from '@model-signing/hashing-native';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../hashing/src/native.js';

const MiB = 1 << 20;
const native = loadNativeHashing();
// On CI the addon must be built; elsewhere (no compiler) these tests have nothing to test.
if (!native && process.env.CI === 'true') {
  throw new Error(`the addon must be built on CI: ${nativeHashingStatus().reason ?? 'unknown reason'}`);
}
const describeNative = native ? describe : describe.skip;

let dir: string;
const sizes = [0, 1, 1023, 1024, 64 * 1024 + 5, MiB - 1, MiB, MiB + 1, 3 * MiB + 7];
const names = sizes.map((size) => `f-${size}`);

function bytes(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function tool(command: string, files: string[]): string[] {
  const text = execFileSync(command, files, { cwd: dir, encoding: 'utf8' });
  return text
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/)[0]!);
}

// sha256sum of bytes [start, end) of `file`, cut out by tail and head.
function rangeDigests(file: string, ranges: readonly (readonly [number, number])[]): string[] {
  return ranges.map(
    ([start, end]) =>
      execSync(`tail -c +${start + 1} '${file}' | head -c ${end - start} | sha256sum`, {
        encoding: 'utf8',
      }).split(' ')[0]!,
  );
}

function hexDigests(digests: Uint8Array, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < digests.length; i += size)
    out.push(Buffer.from(digests.subarray(i, i + size)).toString('hex'));
  return out;
}

async function rejection(promise: Promise<unknown>): Promise<NativeFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as NativeFileError;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'hashing-native-'));
  sizes.forEach((size, i) => {
    writeFileSync(path.join(dir, names[i]!), bytes(size, i + 1));
  });
  symlinkSync(names[1]!, path.join(dir, 'link'));
  mkdirSync(path.join(dir, 'folder'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeNative('hashBatch', () => {
  const addon = native as NativeHashing;
  const files = () => names.map((name) => path.join(dir, name));

  it.each([
    ['sha256', 'sha256sum', 32],
    ['blake2b', 'b2sum', 64],
    ['blake3', 'b3sum', 32],
  ] as const)('whole files, %s, equal %s', async (algorithm, command, size) => {
    if (algorithm === 'blake3' && !addon.blake3) return;
    const control = new Float64Array(2);
    const result = await addon.hashBatch(NATIVE_ALGORITHMS[algorithm], files(), null, 0, false, control);
    expect(hexDigests(result.digests, size)).toEqual(tool(command, names));
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(result.bytes).toBe(total);
    // The progress word ends at the bytes hashed.
    expect(control[0]).toBe(total);
    expect(result.sizes).toBeNull();
  });

  it('takes the paths as one NUL-separated string too', async () => {
    const joined = await addon.hashBatch(0, files().join('\0'), null, 0, false, new Float64Array(2));
    expect(hexDigests(joined.digests, 32)).toEqual(tool('sha256sum', names));
    const none = await addon.hashBatch(0, '', null, 0, false, new Float64Array(2));
    expect(none.digests.length).toBe(0);
    const missing = await rejection(
      addon.hashBatch(
        0,
        [files()[0], path.join(dir, 'gone')].join('\0'),
        null,
        0,
        false,
        new Float64Array(2),
      ),
    );
    expect(missing).toMatchObject({ code: 'ENOENT', index: 1 });
  });

  it('byte ranges equal the tool on the same bytes, ends past EOF included', async () => {
    const file = path.join(dir, names.at(-1)!);
    const ranges = [
      [0, 1],
      [0, MiB],
      [MiB - 3, 2 * MiB + 5],
      [3 * MiB, 3 * MiB + 7],
      [3 * MiB + 1, 4 * MiB],
    ] as const;
    const result = await addon.hashBatch(
      NATIVE_ALGORITHMS.sha256,
      ranges.map(() => file),
      new Float64Array(ranges.flat()),
      0,
      false,
      new Float64Array(2),
    );
    expect(hexDigests(result.digests, 32)).toEqual(rangeDigests(file, ranges));
  });

  it('a probe hashes files below the limit and reports the size of the others', async () => {
    const result = await addon.hashBatch(
      NATIVE_ALGORITHMS.sha256,
      files(),
      null,
      MiB,
      true,
      new Float64Array(2),
    );
    const expected = tool('sha256sum', names);
    const digests = hexDigests(result.digests, 32);
    sizes.forEach((size, i) => {
      if (size < MiB) {
        expect(result.sizes![i]).toBe(size);
        expect(digests[i]).toBe(expected[i]);
      } else {
        expect(result.sizes![i]).toBe(-size - 1);
        expect(digests[i]).toBe('0'.repeat(64));
      }
    });
  });

  it('fails like the file system, naming the index of the failed path', async () => {
    const missing = await rejection(
      addon.hashBatch(0, [...files(), path.join(dir, 'gone')], null, 0, false, new Float64Array(2)),
    );
    expect(missing).toMatchObject({ code: 'ENOENT', syscall: 'open', index: names.length });
    // noFollow: a final symlink fails; without it, the link is followed.
    const link = path.join(dir, 'link');
    expect(await rejection(addon.hashBatch(0, [link], null, MiB, true, new Float64Array(2)))).toMatchObject({
      code: 'ELOOP',
      index: 0,
    });
    const followed = await addon.hashBatch(0, [link], null, 0, false, new Float64Array(2));
    expect(hexDigests(followed.digests, 32)).toEqual(tool('sha256sum', [names[1]!]));
    expect(
      await rejection(addon.hashBatch(0, [path.join(dir, 'folder')], null, 0, false, new Float64Array(2))),
    ).toMatchObject({ code: 'EISDIR', syscall: 'read' });
  });

  it('stops when asked to', async () => {
    const control = new Float64Array([0, 1]);
    expect(await rejection(addon.hashBatch(0, files(), null, 0, false, control))).toMatchObject({
      code: 'ECANCELED',
    });
  });

  it('refuses bad arguments with a TypeError', () => {
    expect(() => addon.hashBatch(0, ['a\0b'], null, 0, false, new Float64Array(2))).toThrow(TypeError);
    expect(() => addon.hashBatch(7 as 0, [], null, 0, false, new Float64Array(2))).toThrow(TypeError);
    expect(() => addon.hashBatch(0, ['a'], new Float64Array(1), 0, false, new Float64Array(2))).toThrow(
      TypeError,
    );
    expect(() => addon.hashBatch(0, ['a'], null, 0, false, new Float64Array(1))).toThrow(TypeError);
  });
});

describeNative('hashInTurns', () => {
  const addon = native as NativeHashing;
  // Around the 16 MiB turn: a file that ends just before, at and just after a turn, one of several turns, and
  // small ones; more tasks than threads.
  const turnSizes = [16 * MiB - 1, 0, 16 * MiB, 5 * MiB + 3, 16 * MiB + 1, 1, 35 * MiB + 3];
  const turnNames = turnSizes.map((size) => `t-${size}`);
  const files = () => turnNames.map((name) => path.join(dir, name));
  const total = turnSizes.reduce((a, b) => a + b, 0);

  beforeAll(() => {
    turnSizes.forEach((size, i) => {
      writeFileSync(path.join(dir, turnNames[i]!), bytes(size, 100 + i));
    });
  });

  it.each([
    ['sha256', 'sha256sum', 32, 1],
    ['sha256', 'sha256sum', 32, 2],
    ['sha256', 'sha256sum', 32, 3],
    ['blake2b', 'b2sum', 64, 2],
    ['blake2b', 'b2sum', 64, 8],
  ] as const)('whole files, %s, equal %s, on %i threads', async (algorithm, command, size, threads) => {
    const control = new Float64Array(2);
    const result = await addon.hashInTurns(
      NATIVE_ALGORITHMS[algorithm],
      files().join('\0'),
      null,
      new Float64Array(turnSizes),
      threads,
      false,
      control,
    );
    // In the order given, whatever order they were hashed in.
    expect(hexDigests(result.digests, size)).toEqual(tool(command, turnNames));
    expect(result.bytes).toBe(total);
    expect(control[0]).toBe(total);
    expect(result.sizes).toBeNull();
  });

  it('sizes only set the order: wrong ones give the same digests', async () => {
    const wrong = new Float64Array(turnSizes.map((_, i) => (i * 7919) % 13));
    const result = await addon.hashInTurns(0, files(), null, wrong, 2, false, new Float64Array(2));
    expect(hexDigests(result.digests, 32)).toEqual(tool('sha256sum', turnNames));
  });

  it('byte ranges (shards) equal the tool on the same bytes, across turns and past EOF', async () => {
    const file = path.join(dir, turnNames.at(-1)!);
    const end = 35 * MiB + 3;
    const ranges = [
      [0, 16 * MiB + 1],
      [16 * MiB + 1, end],
      [5, 5],
      [MiB - 3, 33 * MiB],
      [end - 7, end + 100],
    ] as const;
    const result = await addon.hashInTurns(
      NATIVE_ALGORITHMS.sha256,
      ranges.map(() => file),
      new Float64Array(ranges.flat()),
      new Float64Array(ranges.map(([start, stop]) => stop - start)),
      2,
      false,
      new Float64Array(2),
    );
    expect(hexDigests(result.digests, 32)).toEqual(rangeDigests(file, ranges));
  });

  it('fails like the file system, naming the index of the task as given', async () => {
    const paths = [...files().slice(0, 3), path.join(dir, 'gone'), ...files().slice(3)];
    const sizes = new Float64Array(paths.map((_, i) => (i === 3 ? 1 : 64 * MiB)));
    expect(
      await rejection(addon.hashInTurns(0, paths, null, sizes, 2, false, new Float64Array(2))),
    ).toMatchObject({ code: 'ENOENT', syscall: 'open', index: 3 });
    expect(
      await rejection(
        addon.hashInTurns(
          1,
          [files()[0]!, path.join(dir, 'folder')],
          null,
          new Float64Array([1, 2]),
          2,
          false,
          new Float64Array(2),
        ),
      ),
    ).toMatchObject({ code: 'EISDIR', syscall: 'read', index: 1 });
    const link = path.join(dir, 'link');
    expect(
      await rejection(
        addon.hashInTurns(0, [link], null, new Float64Array([1]), 1, true, new Float64Array(2)),
      ),
    ).toMatchObject({ code: 'ELOOP', index: 0 });
  });

  it('stops when asked to', async () => {
    const control = new Float64Array([0, 1]);
    const sizes = new Float64Array(turnSizes);
    expect(await rejection(addon.hashInTurns(0, files(), null, sizes, 2, false, control))).toMatchObject({
      code: 'ECANCELED',
    });
  });

  it('refuses bad arguments with a TypeError', () => {
    const control = new Float64Array(2);
    expect(() => addon.hashInTurns(2, ['a'], null, new Float64Array(1), 2, false, control)).toThrow(
      TypeError,
    );
    expect(() => addon.hashInTurns(0, ['a', 'b'], null, new Float64Array(1), 2, false, control)).toThrow(
      TypeError,
    );
    expect(() =>
      addon.hashInTurns(0, ['a'], null, new Float64Array(1), 2, false, new Float64Array(1)),
    ).toThrow(TypeError);
    expect(() => addon.hashInTurns(0, ['a\0b'], null, new Float64Array(1), 2, false, control)).toThrow(
      TypeError,
    );
  });
});

describeNative('blake3File', () => {
  it('equals b3sum on sizes around the split points, with 1 to 4 threads', async () => {
    const addon = native as NativeHashing;
    if (!addon.blake3File) {
      expect(addon.blake3).toBe(false);
      return;
    }
    const big = [2 * MiB + 1, 9 * MiB + 1023];
    big.forEach((size, i) => {
      writeFileSync(path.join(dir, `big-${i}`), bytes(size, 100 + i));
    });
    const all = [...names, ...big.map((_, i) => `big-${i}`)];
    const expected = tool('b3sum', all);
    for (const threads of [1, 2, 4]) {
      const actual: string[] = [];
      for (const name of all) {
        const control = new Float64Array(2);
        const result = await addon.blake3File(path.join(dir, name), threads, false, control);
        actual.push(Buffer.from(result.digests).toString('hex'));
        expect(control[0]).toBe(result.bytes);
      }
      expect(actual).toEqual(expected);
    }
    expect(
      await rejection(addon.blake3File(path.join(dir, 'link'), 2, true, new Float64Array(2))),
    ).toMatchObject({ code: 'ELOOP' });
  });
});

// A job reads and writes its control array in the heap of the JavaScript thread that started it, and settles
// its promise there: when that thread goes away mid-job (a worker terminated), its jobs must stop before the
// heap is freed, settle nothing, and the addon's code must stay loaded while their threads end, even when no
// other thread of the process uses the addon. Run in a process of its own, whose main thread never loads it.
describeNative('workers terminated while their jobs run', () => {
  it('stop the jobs; the process goes on and exits normally', () => {
    const big = path.join(dir, 'worker-big');
    writeFileSync(big, bytes(32 * MiB, 7));
    const addonPath = path.resolve(
      path.dirname(new URL(import.meta.url).pathname),
      '../build/Release/hashing_native.node',
    );
    // Many passes over one file: seconds of work, far more than each worker lives.
    const workerSource = `
      const { parentPort } = require('node:worker_threads');
      const addon = require(${JSON.stringify(addonPath)});
      const paths = Array(400).fill(${JSON.stringify(big)});
      for (let i = 0; i < 3; i++) addon.hashBatch(0, paths, null, 0, false, new Float64Array(2)).catch(() => {});
      if (addon.blake3File) addon.blake3File(${JSON.stringify(big)}, 2, false, new Float64Array(2)).catch(() => {});
      parentPort.postMessage('started');
      setInterval(() => {}, 1000);`;
    const main = `
      const { Worker } = await import('node:worker_threads');
      for (let round = 0; round < 8; round++) {
        const worker = new Worker(${JSON.stringify(workerSource)}, { eval: true, execArgv: [] });
        await new Promise((resolve) => worker.once('message', resolve));
        await new Promise((resolve) => setTimeout(resolve, 10 * (round % 4)));
        await worker.terminate();
      }
      console.log('done');`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', main], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.signal).toBeNull();
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('done');
    expect(result.status).toBe(0);
  }, 60_000);
});

describeNative('listTree', () => {
  let tree: string;

  interface Listed {
    entries: { name: string; kind: number; size: number }[];
    chunks: number[];
    error: (NativeFileError & { path: string }) | null;
  }

  async function list(
    root: string,
    ignore: string[] = [],
    sizedFiles = Number.POSITIVE_INFINITY,
    stop = false,
  ) {
    const control = new Float64Array(2);
    if (stop) control[1] = 1;
    const listed: Listed = { entries: [], chunks: [], error: null };
    const take = (names: string, kinds: Uint8Array, sizes: Float64Array) => {
      const split = names.split('\0');
      expect(split.length).toBe(kinds.length + 1);
      kinds.forEach((kind, i) => {
        listed.entries.push({ name: split[i]!, kind, size: sizes[i]! });
      });
    };
    const tail = await native!.listTree(
      root,
      ignore.join('\0'),
      sizedFiles,
      control,
      (names, kinds, sizes) => {
        listed.chunks.push(kinds.length);
        take(names, kinds, sizes);
      },
    );
    take(tail.names, tail.kinds, tail.sizes);
    listed.error = tail.error;
    return listed;
  }

  beforeAll(() => {
    tree = path.join(dir, 'tree');
    const file = (name: string, size: number) => {
      mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
      writeFileSync(path.join(tree, name), Buffer.alloc(size, 1));
    };
    file('B', 2);
    file('a/x', 1);
    file('a/ignored-too', 1);
    file('a-b', 3);
    file('a.b', 0);
    file('a0/deep/z', 5);
    file('é', 4);
    file('\u{fb00}', 7);
    file('\u{1d538}', 6);
    file('ignored/q', 1);
    symlinkSync('B', path.join(tree, 'link'));
    symlinkSync('a0', path.join(tree, 'dir-link'));
    execFileSync('mkfifo', [path.join(tree, 'fifo')]);
  });

  it('lists in canonical order: by component, each by code point; directories descended, links not', async () => {
    const { entries, error } = await list(tree, ['ignored', 'a/ignored-too']);
    expect(error).toBeNull();
    // Written out by hand from format spec §3.5: 'a/x' before 'a-b' (component order, not byte order of the
    // whole path), U+FB00 before U+1D538 (code points, not UTF-16 units).
    expect(entries).toEqual([
      { name: 'B', kind: 0, size: 2 },
      { name: 'a/x', kind: 0, size: 1 },
      { name: 'a-b', kind: 0, size: 3 },
      { name: 'a.b', kind: 0, size: 0 },
      { name: 'a0/deep/z', kind: 0, size: 5 },
      { name: 'dir-link', kind: 1, size: -1 },
      { name: 'fifo', kind: 2, size: -1 },
      { name: 'link', kind: 1, size: -1 },
      { name: 'é', kind: 0, size: 4 },
      { name: '\u{fb00}', kind: 0, size: 7 },
      { name: '\u{1d538}', kind: 0, size: 6 },
    ]);
  });

  it('takes the size of the first files only when asked to, and leaves out only what is ignored', async () => {
    const { entries } = await list(tree, [], 2);
    expect(entries.map((e) => [e.name, e.size]).filter(([, size]) => size !== -1)).toEqual([
      ['B', 2],
      ['a/ignored-too', 1],
    ]);
    expect(entries.map((e) => e.name)).toContain('ignored/q');
    expect(entries.map((e) => e.name)).toContain('a/x');
  });

  it('hands out the first entries while it lists, in order', async () => {
    const many = path.join(dir, 'many');
    mkdirSync(many);
    const expected: string[] = [];
    for (let i = 0; i < 1000; i++) expected.push(`f${String(i).padStart(4, '0')}`);
    for (const name of [...expected].reverse()) writeFileSync(path.join(many, name), '');
    const { entries, chunks, error } = await list(many);
    expect(error).toBeNull();
    expect(chunks[0]).toBe(256);
    expect(entries.map((e) => e.name)).toEqual(expected);
  });

  it('ends at a directory it cannot list, keeping the entries before it', async () => {
    const bad = path.join(dir, 'bad-name');
    mkdirSync(path.join(bad, 'z'), { recursive: true });
    writeFileSync(path.join(bad, 'a'), 'a');
    writeFileSync(Buffer.concat([Buffer.from(`${bad}/z/`), Buffer.from([0x66, 0xff])]), 'not UTF-8');
    const listed = await list(bad);
    expect(listed.entries.map((e) => e.name)).toEqual(['a']);
    expect(listed.error).toMatchObject({ code: 'EILSEQ', syscall: 'scandir', path: 'z' });

    expect((await list(path.join(dir, 'missing'))).error).toMatchObject({ code: 'ENOENT', path: '.' });
    expect((await list(path.join(dir, names[1]!))).error).toMatchObject({ code: 'ENOTDIR', path: '.' });
    // A symlinked root is not followed (the caller resolves the root first): a link where a directory was.
    expect((await list(path.join(tree, 'dir-link'))).error).toMatchObject({ code: 'EXDEV', path: '.' });
  });

  it('stops when asked to', async () => {
    const listed = await list(tree, [], 0, true);
    expect(listed.entries).toEqual([]);
    expect(listed.error).toMatchObject({ code: 'ECANCELED' });
  });
});

// How files are opened (file_open.c): below `root` one component at a time without following a symlink, or
// checked against the identity the walk took; anything else fails with EXDEV, naming the file by its index.
describeNative('root and identities: a file is opened only as the walk found it', () => {
  const addon = native as unknown as NativeAddon;
  let root: string;
  let outside: string;

  beforeAll(() => {
    const base = mkdtempSync(path.join(tmpdir(), 'hashing-native-open-'));
    root = path.join(base, 'model');
    outside = path.join(base, 'outside');
    mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(root, 'top'), bytes(1000, 1));
    writeFileSync(path.join(root, 'sub', 'a'), bytes(2000, 2));
    writeFileSync(path.join(root, 'sub', 'deeper', 'b'), bytes(3000, 3));
    writeFileSync(path.join(outside, 'a'), 'outside twin');
    symlinkSync(outside, path.join(root, 'swapped'));
    symlinkSync(path.join(outside, 'a'), path.join(root, 'sub', 'link'));
  });

  const inRoot = (...names: string[]) => names.map((name) => path.join(root, name));
  const digestsOf = (files: string[]) =>
    files.map((file) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!);

  it('reads files below the root, from directories kept open between files', async () => {
    const files = inRoot('sub/a', 'sub/deeper/b', 'sub/a', 'top', 'sub/deeper/b');
    for (const probe of [0, MiB]) {
      const result = await addon.hashBatch(0, files, null, probe, false, new Float64Array(2), root, null);
      expect(hexDigests(result.digests, 32)).toEqual(digestsOf(files));
    }
    const turns = await addon.hashInTurns(
      0,
      files,
      null,
      Float64Array.from(files, () => 1),
      2,
      false,
      new Float64Array(2),
      root,
      null,
    );
    expect(hexDigests(turns.digests, 32)).toEqual(digestsOf(files));
  });

  it('fails with EXDEV on a symlink on the way or at the end, and reads nothing of its target', async () => {
    for (const [name, index] of [
      ['swapped/a', 1],
      ['sub/link', 1],
    ] as const) {
      const files = inRoot('top', name);
      const batch = await rejection(
        addon.hashBatch(0, files, null, 0, false, new Float64Array(2), root, null),
      );
      expect(batch).toMatchObject({ code: 'EXDEV', index });
      const turns = await rejection(
        addon.hashInTurns(
          0,
          files,
          null,
          new Float64Array([1, 1]),
          2,
          false,
          new Float64Array(2),
          root,
          null,
        ),
      );
      expect(turns).toMatchObject({ code: 'EXDEV', index });
      // Without a root, the same paths are opened as given (and the link followed).
      const plain = await addon.hashBatch(0, files, null, 0, false, new Float64Array(2));
      expect(hexDigests(plain.digests, 32)[1]).toBe(digestsOf([path.join(outside, 'a')])[0]);
    }
  });

  it('checks a file with an identity against it, wherever it is', async () => {
    const target = path.join(outside, 'a');
    const { dev, ino } = statSync(target);
    const other = statSync(path.join(root, 'top'));
    const ok = await addon.hashBatch(
      0,
      [target],
      null,
      0,
      false,
      new Float64Array(2),
      root,
      new Float64Array([dev, ino]),
    );
    expect(hexDigests(ok.digests, 32)).toEqual(digestsOf([target]));
    const wrong = new Float64Array([other.dev, other.ino]);
    expect(
      await rejection(addon.hashBatch(0, [target], null, 0, false, new Float64Array(2), root, wrong)),
    ).toMatchObject({
      code: 'EXDEV',
      index: 0,
    });
    // NaN: no identity, the root's rule applies.
    const none = await addon.hashBatch(
      0,
      inRoot('top'),
      null,
      0,
      false,
      new Float64Array(2),
      root,
      new Float64Array([Number.NaN, Number.NaN]),
    );
    expect(hexDigests(none.digests, 32)).toEqual(digestsOf(inRoot('top')));
    if (addon.blake3File) {
      const expected = execFileSync('b3sum', [target], { encoding: 'utf8' }).split(' ')[0];
      const hashed = await addon.blake3File(
        target,
        2,
        false,
        new Float64Array(2),
        root,
        new Float64Array([dev, ino]),
      );
      expect(Buffer.from(hashed.digests).toString('hex')).toBe(expected);
      expect(
        await rejection(addon.blake3File(target, 2, false, new Float64Array(2), root, wrong)),
      ).toMatchObject({
        code: 'EXDEV',
      });
      expect(
        await rejection(
          addon.blake3File(path.join(root, 'swapped', 'a'), 2, false, new Float64Array(2), root, null),
        ),
      ).toMatchObject({ code: 'EXDEV' });
    }
  });

  it('refuses checks of the wrong shape', () => {
    expect(() =>
      addon.hashBatch(0, inRoot('top'), null, 0, false, new Float64Array(2), root, new Float64Array(3)),
    ).toThrow(/identities must be a Float64Array of 2 numbers per path/);
  });

  it('a listing reached through a symlinked directory fails with EXDEV', async () => {
    const control = new Float64Array(2);
    const tail = await addon.listTree!(path.join(root, 'swapped'), '', 0, control, () => {});
    expect(tail.error).toMatchObject({ code: 'EXDEV', path: '.' });
    symlinkSync(root, path.join(outside, 'model-link'));
    const through = await addon.listTree!(path.join(outside, 'model-link', 'sub'), '', 0, control, () => {});
    expect(through.error).toMatchObject({ code: 'EXDEV', path: '.' });
    const direct = await addon.listTree!(path.join(root, 'sub'), '', 0, control, () => {});
    expect(direct.error).toBeNull();
  });
});
