import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as signing from '@model-signing/signing';
import { Config, VerificationError } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FILES = 8;
const FILE_BYTES = 16 << 20;

describe('verifying with an AbortSignal', () => {
  let dir: string;
  let model: string;
  let signature: string;
  let publicKey: Buffer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ms-verify-abort-'));
    model = path.join(dir, 'model');
    mkdirSync(model);
    for (let i = 0; i < FILES; i++)
      writeFileSync(path.join(model, `w${i}.bin`), Buffer.alloc(FILE_BYTES, i + 1));
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    publicKey = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
    signature = path.join(dir, 'model.sig');
    await new signing.Config()
      .useEllipticKeySigner({
        privateKey: Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      })
      .sign(model, signature);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const verifier = () => new Config().useEllipticKeyVerifier({ publicKey });

  async function rejection(promise: Promise<unknown>): Promise<VerificationError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(VerificationError);
    return error as VerificationError;
  }

  it.each([false, true])(
    'rejects with ABORTED when aborted from the first progress report (ignore unsigned files: %s)',
    async (ignoreUnsigned) => {
      const controller = new AbortController();
      let reports = 0;
      const error = await rejection(
        verifier()
          .setIgnoreUnsignedFiles(ignoreUnsigned)
          .verify(model, signature, {
            signal: controller.signal,
            onProgress: () => {
              reports++;
              controller.abort();
            },
          }),
      );
      expect(error.code).toBe('ABORTED');
      expect(reports).toBeGreaterThan(0);
    },
  );

  it('reports progress up to every byte and file when not aborted', async () => {
    const seen: { bytesHashed: number; filesHashed: number }[] = [];
    const result = await verifier().verify(model, signature, {
      onProgress: (p) => seen.push({ bytesHashed: p.bytesHashed, filesHashed: p.filesHashed }),
    });
    expect(result.manifest.size).toBe(FILES);
    expect(seen.at(-1)).toEqual({ bytesHashed: FILES * FILE_BYTES, filesHashed: FILES });
  });
});
