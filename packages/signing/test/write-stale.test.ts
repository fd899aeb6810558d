import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  abortPendingWrites,
  removeStaleTempFiles,
  SigningError,
  STALE_TEMP_AGE_MS,
  writeAtomically,
} from '@model-signing/signing';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const { dir, cleanup } = tempDir('ms-write-');
  cleanups.push(cleanup);
  return dir;
}

// What a signer killed between its write and its rename leaves, modified `ageMs` ago.
function leftover(where: string, name: string, ageMs: number): string {
  const file = path.join(where, name);
  writeFileSync(file, 'partial');
  const when = (Date.now() - ageMs) / 1000;
  utimesSync(file, when, when);
  return file;
}

describe('stale temporary files of a destination', () => {
  it('the next write removes the abandoned ones of that destination only', async () => {
    const d = dir();
    const old = STALE_TEMP_AGE_MS + 5_000;
    leftover(d, '.model.sig.0123456789ab.tmp', old);
    leftover(d, '.model.sig.ffffffffffff.tmp', old);
    // Kept: a write that may still be running, other destinations, other names, not regular files.
    leftover(d, '.model.sig.aaaaaaaaaaaa.tmp', 1_000);
    leftover(d, '.other.sig.0123456789ab.tmp', old);
    leftover(d, '.model.sig.0123456789AB.tmp', old);
    leftover(d, '.model.sig.0123456789a.tmp', old);
    leftover(d, 'model.sig.0123456789ab.tmp', old);
    leftover(d, '.model.sig.0123456789ab.tmp.bak', old);
    const outside = leftover(dir(), 'precious', old);
    symlinkSync(outside, path.join(d, '.model.sig.bbbbbbbbbbbb.tmp'));
    mkdirSync(path.join(d, '.model.sig.cccccccccccc.tmp'));

    await writeAtomically(path.join(d, 'model.sig'), 'bundle');

    expect(readFileSync(path.join(d, 'model.sig'), 'utf8')).toBe('bundle');
    expect(readdirSync(d).sort()).toEqual(
      [
        '.model.sig.0123456789AB.tmp',
        '.model.sig.0123456789a.tmp',
        '.model.sig.0123456789ab.tmp.bak',
        '.model.sig.aaaaaaaaaaaa.tmp',
        '.model.sig.bbbbbbbbbbbb.tmp',
        '.model.sig.cccccccccccc.tmp',
        '.other.sig.0123456789ab.tmp',
        'model.sig',
        'model.sig.0123456789ab.tmp',
      ].sort(),
    );
    expect(readFileSync(outside, 'utf8')).toBe('partial');
  });

  it('removeStaleTempFiles says what it removed, and tolerates a missing directory', async () => {
    const d = dir();
    leftover(d, '.m.sig.000000000000.tmp', STALE_TEMP_AGE_MS + 1_000);
    expect(await removeStaleTempFiles(path.join(d, 'm.sig'))).toEqual(['.m.sig.000000000000.tmp']);
    expect(await removeStaleTempFiles(path.join(d, 'none', 'm.sig'))).toEqual([]);
  });
});

describe('abortPendingWrites', () => {
  it('removes the temporary file of a write in progress; the write fails and leaves no signature', async () => {
    const d = dir();
    const target = path.join(d, 'model.sig');
    const writing = writeAtomically(target, new Uint8Array(64 * 1024 * 1024));
    const outcome = writing.then(
      () => undefined,
      (e: unknown) => e,
    );
    // Node writes a large buffer in chunks, yielding between them: the temporary file shows up meanwhile.
    let seen = false;
    for (let i = 0; i < 100_000 && !seen; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      seen = readdirSync(d).some((name) => name.endsWith('.tmp'));
    }
    expect(seen).toBe(true);
    expect(abortPendingWrites()).toBe(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(SigningError);
    expect((error as SigningError).code).toBe('WRITE_ERROR');
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
    expect(abortPendingWrites()).toBe(0);
  });
});
