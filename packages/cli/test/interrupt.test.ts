import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeAtomically } from '@model-signing/signing';
import { afterEach, describe, expect, it } from 'vitest';
import { onForcedStop, runForcedStopCleanups } from '../src/interrupt.js';

describe('cleanups when the CLI stops before the command', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('run each registered cleanup once, even when one of them throws', () => {
    const ran: string[] = [];
    const first = () => ran.push('first');
    onForcedStop(first);
    onForcedStop(first);
    onForcedStop(() => {
      throw new Error('cannot clean up');
    });
    onForcedStop(() => ran.push('last'));
    runForcedStopCleanups();
    runForcedStopCleanups();
    expect(ran).toEqual(['first', 'last']);
  });

  it('remove the temporary file of a signature write still in flight (what sign registers)', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ms-interrupt-'));
    const target = path.join(dir, 'model.sig');
    const { abortPendingWrites } = await import('@model-signing/signing');
    onForcedStop(abortPendingWrites);
    const temps = () => readdirSync(dir as string).filter((name) => name.endsWith('.tmp'));
    // A write of 256 MiB is still in flight for many turns of the event loop once its temporary file exists.
    const writing = writeAtomically(target, new Uint8Array(256 * 1024 * 1024)).then(
      () => 'written',
      (error: { code?: string }) => error.code,
    );
    for (let turn = 0; turn < 10_000 && temps().length === 0; turn++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(temps()).toHaveLength(1);
    runForcedStopCleanups();
    expect(temps()).toEqual([]);
    // The write cannot rename a file that is gone: it fails, and leaves neither a signature nor a temporary file.
    expect(await writing).toBe('WRITE_ERROR');
    expect(existsSync(target)).toBe(false);
    expect(temps()).toEqual([]);
  });
});
