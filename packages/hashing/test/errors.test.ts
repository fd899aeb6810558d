// Bad input (format spec §3.3, decisions 6 and 9), cancellation, progress and `filesToHash`.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, HashingError, workerScriptUrl } from '@model-signing/hashing';
import { afterAll, describe, expect, it } from 'vitest';
import { enginesToTest, makeModel, pseudoRandomBytes, repoRoot, TempDirs, toolDigest } from './support.js';

const temp = new TempDirs();
const ENGINES = await enginesToTest();
afterAll(() => temp.cleanup());

async function failure(promise: Promise<unknown>): Promise<HashingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HashingError);
  return error as HashingError;
}

const special = (p: string) =>
  `Cannot use '${p}' as file or directory. It could be a special file, it could be missing, or there might be a permission issue.`;

function folder(): string {
  return makeModel(temp.make(), 'sample_model_folder');
}

describe('bad input', () => {
  it('a missing model path', async () => {
    const missing = path.join(temp.make(), 'nope');
    const error = await failure(new Config().hash(missing));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe(special(missing));
  });

  it('TestUtilities.test_check_file_or_directory_raises_on_pipes', async () => {
    const model = folder();
    execFileSync('mkfifo', [path.join(model, 'pipe')]);
    const error = await failure(new Config().hash(model));
    expect(error.code).toBe('SPECIAL_FILE');
    expect(error.message).toBe(special(path.join(model, 'pipe')));
    // A FIFO as the model path itself.
    const error2 = await failure(new Config().hash(path.join(model, 'pipe')));
    expect(error2.code).toBe('SPECIAL_FILE');
  });

  // After the first 64 files the walk takes regular files on the word of their directory entry (no lstat):
  // links and special files found then must still be caught. Every folder has one, so that some are found late
  // whatever order the file system lists entries in.
  it.each(ENGINES)(
    'links and pipes found after the threads started are still checked (%s engine)',
    async (engine) => {
      const model = path.join(temp.make(), 'late');
      for (let d = 0; d < 6; d++) {
        mkdirSync(path.join(model, `d${d}`), { recursive: true });
        for (let i = 0; i < 40; i++) writeFileSync(path.join(model, `d${d}`, `f${i}`), `file ${d} ${i}`);
        symlinkSync(`f${d}`, path.join(model, `d${d}`, 'link'));
      }
      expect(
        (await failure(new Config().useFileSerialization({ maxWorkers: 2 }).hash(model, { engine }))).code,
      ).toBe('SYMLINK');
      const manifest = await new Config()
        .useFileSerialization({ maxWorkers: 2, allowSymlinks: true })
        .hash(model, { engine });
      expect(manifest.size).toBe(6 * 41);
      for (let d = 0; d < 6; d++) {
        expect(manifest.get(`d${d}/link`)?.digest.value).toEqual(manifest.get(`d${d}/f${d}`)?.digest.value);
      }
      for (let d = 0; d < 6; d++) execFileSync('mkfifo', [path.join(model, `d${d}`, 'pipe')]);
      const error = await failure(
        new Config().useFileSerialization({ maxWorkers: 2, allowSymlinks: true }).hash(model, { engine }),
      );
      expect(error.code).toBe('SPECIAL_FILE');
    },
  );

  it('a model path that is a symlink needs the opt-in', async () => {
    const model = folder();
    const link = path.join(temp.make(), 'link');
    symlinkSync(model, link);
    expect((await failure(new Config().hash(link))).code).toBe('SYMLINK');
    const manifest = await new Config().setAllowSymlinks(true).hash(link);
    expect(manifest.size).toBe(10);
    expect(manifest.modelName).toBe('link');
  });

  // Decision 9 as revised: links are followed wherever they point (a Hugging Face cache links every file to
  // ../../blobs/<sha>); a link to a directory still adds nothing.
  it('a symlink leaving the model is followed with the opt-in (absolute and relative)', async () => {
    const model = makeModel(temp.make(), 'symlink_model_folder', 'outside');
    const manifest = await new Config().setAllowSymlinks(true).hash(model);
    const external = path.join(model, '..', 'external_file');
    expect(Buffer.from(manifest.get('symlink_file')!.digest.value).toString('hex')).toBe(
      toolDigest('sha256sum', realpathSync(path.join(model, 'symlink_file'))),
    );
    expect(realpathSync(path.join(model, 'symlink_file'))).toBe(realpathSync(external));

    const other = folder();
    symlinkSync('../..', path.join(other, 'd0', 'up'));
    symlinkSync('../../external', path.join(other, 'd0', 'upfile'));
    writeFileSync(path.join(other, '..', 'external'), 'x');
    const followed = await new Config().setAllowSymlinks(true).hash(other);
    expect(followed.names().filter((name) => name.startsWith('d0/up'))).toEqual(['d0/upfile']);
    expect(Buffer.from(followed.get('d0/upfile')!.digest.value).toString('hex')).toBe(
      toolDigest('sha256sum', path.join(other, '..', 'external')),
    );
    expect((await failure(new Config().hash(other))).code).toBe('SYMLINK');
  });

  it('a symlink cycle fails', async () => {
    const model = folder();
    symlinkSync('b', path.join(model, 'a'));
    symlinkSync('a', path.join(model, 'b'));
    const error = await failure(new Config().setAllowSymlinks(true).hash(model));
    expect(error.code).toBe('SYMLINK_CYCLE');
    const self = folder();
    symlinkSync('self', path.join(self, 'self'));
    expect((await failure(new Config().setAllowSymlinks(true).hash(self))).code).toBe('SYMLINK_CYCLE');
  });

  it('a dangling symlink with the opt-in is not a file or directory', async () => {
    const model = folder();
    symlinkSync('missing-target', path.join(model, 'dangling'));
    const error = await failure(new Config().setAllowSymlinks(true).hash(model));
    expect(error.code).toBe('SPECIAL_FILE');
    expect(error.message).toBe(special(path.join(model, 'dangling')));
  });

  it('symlinked directories inside the model are not descended into', async () => {
    const model = folder();
    symlinkSync('d0', path.join(model, 'd0-alias'));
    symlinkSync('.', path.join(model, 'loop'));
    const manifest = await new Config().setAllowSymlinks(true).hash(model);
    expect(manifest.names().some((n) => n.startsWith('d0-alias') || n.startsWith('loop'))).toBe(false);
    expect(manifest.size).toBe(10);
  });

  it('unreadable files and directories fail (decision 6)', async () => {
    const root = temp.make();
    chmodSync(root, 0o755);
    const model = makeModel(root, 'sample_model_folder');
    const bigFile = path.join(model, 'big');
    writeFileSync(bigFile, pseudoRandomBytes(6 << 20, 9)); // large enough to go through the worker threads
    chmodSync(path.join(model, 'd1'), 0o000);
    chmodSync(bigFile, 0o000);
    if (process.getuid?.() !== 0) {
      expect((await failure(new Config().hash(model))).code).toBe('UNREADABLE');
      return;
    }
    // Root reads anything: run the same calls as an unprivileged user in a child process.
    const dist = path.join(repoRoot, 'packages/hashing/dist/index.bundle.js');
    const script = `
      let Config;
      try { ({ Config } = await import(${JSON.stringify(dist)})); }
      catch (e) { console.log(JSON.stringify({ cannotLoad: String(e) })); process.exit(0); }
      const out = [];
      for (const ignore of [['big'], ['d1']]) {
        try { await new Config().setIgnoredPaths({ paths: ignore }).hash(${JSON.stringify(model)}); out.push('ok'); }
        catch (e) { out.push(e.code + ' ' + e.message); }
      }
      console.log(JSON.stringify(out));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    const output = result.error || result.status !== 0 ? null : (JSON.parse(result.stdout) as unknown);
    if (output === null || !Array.isArray(output)) {
      // The checkout is not readable by an unprivileged user (a clone under /root): check the error mapping
      // of the same code path directly instead.
      const { fromFsError } = await import('../src/errors.js');
      const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      expect(fromFsError(denied, 'model/d1', 'list directory')).toMatchObject({
        code: 'UNREADABLE',
        message: "Cannot list directory 'model/d1': permission denied",
      });
      expect(fromFsError(denied, 'model/big', 'read')).toMatchObject({
        code: 'UNREADABLE',
        message: "Cannot read 'model/big': permission denied",
      });
      return;
    }
    const [dirError, fileError] = output as string[];
    expect(dirError).toBe(`UNREADABLE Cannot list directory '${path.join(model, 'd1')}': permission denied`);
    expect(fileError).toBe(`UNREADABLE Cannot read '${bigFile}': permission denied`);
  });
});

describe('cancellation', () => {
  it('rejects at once when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await failure(new Config().hash(folder(), { signal: controller.signal }))).code).toBe('ABORTED');
  });

  it.each(ENGINES)('aborts while hashing runs, and stops it (%s engine)', async (engine) => {
    expect(workerScriptUrl()).not.toBeNull();
    const model = path.join(temp.make(), 'm');
    mkdirSync(model);
    for (let i = 0; i < 8; i++) writeFileSync(path.join(model, `f${i}`), pseudoRandomBytes(16 << 20, i + 1));
    const controller = new AbortController();
    let hashed = 0;
    const promise = new Config().useFileSerialization({ chunkSize: 4096 }).hash(model, {
      engine,
      signal: controller.signal,
      onProgress: (p) => {
        hashed = p.bytesHashed;
        // The first report comes once the walk is over, just before the large files are handed out: the abort
        // comes right after, while they are being hashed.
        if (!controller.signal.aborted) setImmediate(() => controller.abort());
      },
    });
    expect((await failure(promise)).code).toBe('ABORTED');
    // Stopped, not merely reported: the rest of the model was never hashed.
    expect(hashed).toBeLessThan(8 * (16 << 20));
    const workers = process.getActiveResourcesInfo().filter((r) => r === 'Worker' || r === 'MessagePort');
    expect(workers).toEqual([]);
  });
});

describe.each(ENGINES)('progress (%s engine)', (engine) => {
  it('ends with every byte and file hashed', async () => {
    const model = path.join(temp.make(), 'm');
    mkdirSync(model);
    let total = 0;
    for (let i = 0; i < 5; i++) {
      writeFileSync(path.join(model, `f${i}`), pseudoRandomBytes((3 << 20) + i, i + 1));
      total += (3 << 20) + i;
    }
    writeFileSync(path.join(model, 'empty'), '');
    for (const config of [new Config(), new Config().useShardSerialization({ shardSize: 1 << 20 })]) {
      const seen: number[] = [];
      let last: unknown;
      await config.hash(model, {
        engine,
        onProgress: (p) => {
          seen.push(p.bytesHashed);
          last = p;
        },
      });
      expect(last).toEqual({ bytesHashed: total, totalBytes: total, filesHashed: 6, totalFiles: 6 });
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    }
  });
});

describe('progress within large files (JavaScript engine)', () => {
  // One file on the calling thread, one on the worker thread (two slots): both report as they go, not only
  // when a file is done. (The native engine is polled for its progress every 200 ms instead.)
  it('is reported while each file is hashed, by both hashing slots', async () => {
    const model = path.join(temp.make(), 'large');
    mkdirSync(model);
    const size = 72 << 20;
    for (let i = 0; i < 2; i++) writeFileSync(path.join(model, `f${i}`), pseudoRandomBytes(size, i + 1));
    const seen: number[] = [];
    await new Config()
      .useFileSerialization({ maxWorkers: 2 })
      .hash(model, { engine: 'javascript', onProgress: (p) => seen.push(p.bytesHashed) });
    expect(seen.at(-1)).toBe(2 * size);
    // Each slot reports after 32 and 64 MiB, then once its 72 MiB file is done: five reports below the total
    // (three if the calling thread reported only at the end of its file).
    expect(seen.filter((bytes) => bytes > 0 && bytes < 2 * size).length).toBeGreaterThanOrEqual(5);
  });
});

describe.each(ENGINES)(
  'progress with many small files, hashed while the walk goes on (%s engine)',
  (engine) => {
    it('ends with every byte and file hashed', async () => {
      const model = path.join(temp.make(), 'small');
      let total = 0;
      for (let i = 0; i < 300; i++) {
        const dir = path.join(model, `d${i % 9}`);
        mkdirSync(dir, { recursive: true });
        const size = 100 + ((i * 7919) % 40_000);
        writeFileSync(path.join(dir, `f${i}`), pseudoRandomBytes(size, i + 1));
        total += size;
      }
      let last: unknown;
      const manifest = await new Config().hash(model, { engine, onProgress: (p) => (last = p) });
      expect(manifest.size).toBe(300);
      expect(last).toEqual({ bytesHashed: total, totalBytes: total, filesHashed: 300, totalFiles: 300 });
    });
  },
);

describe('filesToHash', () => {
  it('hashes only the listed files; missing ones are left out', async () => {
    const model = folder();
    const manifest = await new Config().hash(model, { filesToHash: ['d0/f00', 'f3', 'gone', 'd9/gone'] });
    expect(manifest.names()).toEqual(['d0/f00', 'f3']);
    const full = await new Config().hash(model);
    expect(manifest.get('f3')?.digest.value).toEqual(full.get('f3')?.digest.value);
  });

  it('rejects names that could leave the model', async () => {
    const model = folder();
    for (const name of ['../x', '/etc/passwd', 'd0/../f0', '', 'a\\b']) {
      expect((await failure(new Config().hash(model, { filesToHash: [name] }))).code).toBe(
        'INVALID_ARGUMENT',
      );
    }
  });

  it('never reads through a symlinked directory, and applies ignores and the symlink policy', async () => {
    const model = folder();
    const outside = temp.make();
    writeFileSync(path.join(outside, 'secret'), 'secret');
    symlinkSync(outside, path.join(model, 'out'));
    symlinkSync('f0', path.join(model, 'link'));
    const config = new Config().setIgnoredPaths({ paths: ['f1'] });
    expect((await config.hash(model, { filesToHash: ['out/secret', 'f1', 'f2'] })).names()).toEqual(['f2']);
    expect((await failure(config.hash(model, { filesToHash: ['link'] }))).code).toBe('SYMLINK');
  });

  it('a single-file model is listed as .', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    expect((await new Config().hash(model, { filesToHash: ['.'] })).names()).toEqual(['.']);
    expect((await new Config().hash(model, { filesToHash: [] })).names()).toEqual([]);
  });
});

describe('choosing the engine', () => {
  it('refuses an unknown engine with one line', async () => {
    const error = await failure(new Config().hash(folder(), { engine: 'fast' as 'auto' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe(`Unknown hashing engine "fast": use 'auto', 'native' or 'javascript'`);
  });

  it("'native' says why it cannot run when the addon is turned off; 'auto' falls back", () => {
    const dist = path.join(repoRoot, 'packages/hashing/dist/index.bundle.js');
    const model = folder();
    const script = `
      const { Config, nativeEngine } = await import(${JSON.stringify(dist)});
      const out = [(await nativeEngine()).reason];
      try { await new Config().hash(${JSON.stringify(model)}, { engine: 'native' }); out.push('hashed'); }
      catch (e) { out.push(e.code + ' ' + e.message); }
      out.push((await new Config().hash(${JSON.stringify(model)})).size);
      console.log(JSON.stringify(out));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, MODEL_SIGNING_NATIVE: '0' },
    });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual([
      'turned off by MODEL_SIGNING_NATIVE=0',
      'INVALID_ARGUMENT The native hashing engine is not available: turned off by MODEL_SIGNING_NATIVE=0',
      10,
    ]);
  });
});
