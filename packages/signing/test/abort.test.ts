import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config, SigningError } from '@model-signing/signing';
import { afterEach, describe, expect, it } from 'vitest';
import { ecKeyPair, tempDir } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

const FILES = 8;
const FILE_BYTES = 16 << 20;

/** A model large enough that hashing it reports progress several times: 8 files of 16 MiB. */
function largeModel(): { dir: string; model: string } {
  const t = tempDir('ms-sign-abort-');
  cleanups.push(t.cleanup);
  const model = path.join(t.dir, 'model');
  mkdirSync(model);
  for (let i = 0; i < FILES; i++)
    writeFileSync(path.join(model, `w${i}.bin`), Buffer.alloc(FILE_BYTES, i + 1));
  return { dir: t.dir, model };
}

async function rejection(promise: Promise<unknown>): Promise<SigningError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SigningError);
  return error as SigningError;
}

describe('signing with an AbortSignal', () => {
  const signer = () =>
    new Config().useEllipticKeySigner({ privateKey: Buffer.from(ecKeyPair('prime256v1').privatePem) });

  it('stops when aborted from the first progress report and writes no file, temporary or final', async () => {
    const { dir, model } = largeModel();
    const signature = path.join(dir, 'model.sig');
    const controller = new AbortController();
    let reports = 0;
    const error = await rejection(
      signer().sign(model, signature, {
        signal: controller.signal,
        onProgress: () => {
          reports++;
          controller.abort();
        },
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(reports).toBeGreaterThan(0);
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('refuses a signal that already fired before any work', async () => {
    const { dir, model } = largeModel();
    const controller = new AbortController();
    controller.abort();
    let reports = 0;
    const error = await rejection(
      signer().sign(model, path.join(dir, 'model.sig'), {
        signal: controller.signal,
        onProgress: () => reports++,
      }),
    );
    expect(error.code).toBe('ABORTED');
    expect(reports).toBe(0);
    expect(readdirSync(dir)).toEqual(['model']);
  });

  it('aborts signToBundle too', async () => {
    const { model } = largeModel();
    const controller = new AbortController();
    const error = await rejection(
      signer().signToBundle(model, { signal: controller.signal, onProgress: () => controller.abort() }),
    );
    expect(error.code).toBe('ABORTED');
  });

  it('reports progress up to every byte and file when not aborted', async () => {
    const { dir, model } = largeModel();
    const seen: { bytesHashed: number; filesHashed: number; totalBytes: number; totalFiles: number }[] = [];
    await signer().sign(model, path.join(dir, 'model.sig'), { onProgress: (p) => seen.push({ ...p }) });
    const last = seen.at(-1)!;
    expect(last).toEqual({
      bytesHashed: FILES * FILE_BYTES,
      totalBytes: FILES * FILE_BYTES,
      filesHashed: FILES,
      totalFiles: FILES,
    });
    expect(readdirSync(dir).sort()).toEqual(['model', 'model.sig']);
  });
});
