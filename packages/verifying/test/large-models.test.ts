import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, DEFAULT_MAX_SIGNATURE_BYTES, VerificationError } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const privateKey = Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const publicKey = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' }));
const verifier = () => new Config().useEllipticKeyVerifier({ publicKey });

// The names of scripts/measure-large-bundle.mjs, whose figures README "Limits" records.
const FILES = 30_000;
const nameOf = (i: number) =>
  `layer-${String(Math.floor(i / 1000)).padStart(4, '0')}/shard-${String(i).padStart(6, '0')}.bin`;

describe(`a model of ${FILES} files`, () => {
  let dir: string;
  let model: string;
  let signature: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'ms-large-model-'));
    model = path.join(dir, 'model');
    for (let i = 0; i < FILES; i++) {
      if (i % 1000 === 0) mkdirSync(path.join(model, nameOf(i), '..'), { recursive: true });
      writeFileSync(path.join(model, nameOf(i)), String(i));
    }
    signature = path.join(dir, 'model.sig');
    await new SigningConfig().useEllipticKeySigner({ privateKey }).sign(model, signature);
  }, 300_000);

  it('signs and verifies end to end (its bundle is larger than the 4 MiB that broke the base64 check)', async () => {
    expect(statSync(signature).size).toBeGreaterThan(4 * 1024 * 1024);
    const result = await verifier().verify(model, signature);
    expect(result.files).toHaveLength(FILES);
    // Each digest is the SHA-256 of the file's content, as sha256sum would give it.
    const signed = result.manifest.resourceDescriptors();
    for (const i of [0, 12_345, FILES - 1]) {
      const entry = signed.find((r) => r.name === nameOf(i));
      expect(entry?.digest).toBe(createHash('sha256').update(String(i)).digest('hex'));
    }
  });

  it('the signature size limit: the bundle at the limit verifies, one byte under it is refused', async () => {
    const size = statSync(signature).size;
    const result = await verifier().setMaxSignatureBytes(size).verify(model, signature);
    expect(result.files).toHaveLength(FILES);
    const error = await verifier()
      .setMaxSignatureBytes(size - 1)
      .verify(model, signature)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).code).toBe('READ_ERROR');
    // Bundles grow linearly with their resources: at this rate a million such resources fit under the default.
    const perResource = size / FILES;
    expect(Math.ceil(perResource * 1_000_000)).toBeLessThan(DEFAULT_MAX_SIGNATURE_BYTES);
  });

  it('a mismatch names five files of each kind and counts the rest; the details list them all', async () => {
    const extra = Array.from({ length: 1200 }, (_, i) => `extra/x-${String(i).padStart(4, '0')}`);
    mkdirSync(path.join(model, 'extra'));
    for (const name of extra) writeFileSync(path.join(model, name), 'x');
    const missing = [1, 2, 3, 4, 5, 6, 7].map(nameOf);
    for (const name of missing) rmSync(path.join(model, name));
    const changed = [100, 200, 300, 400, 500, 600].map(nameOf);
    for (const name of changed) writeFileSync(path.join(model, name), 'changed');
    const error = (await verifier()
      .verify(model, signature)
      .catch((e: unknown) => e)) as VerificationError;
    expect(error.code).toBe('MODEL_MISMATCH');
    expect(error.message).toBe(
      `Signature mismatch: Extra files found in model 'model': ${extra.slice(0, 5).join(', ')} and 1195 more (1200 in all); ` +
        `Missing files in model 'model': ${missing.slice(0, 5).join(', ')} and 2 more (7 in all); ` +
        `${changed
          .slice(0, 5)
          .map((n) => `Hash mismatch for '${n}'`)
          .join('; ')}; and 1 more files with a hash mismatch`,
    );
    expect(error.details?.extra).toEqual(extra);
    expect(error.details?.missing).toEqual(missing);
    expect(error.details?.mismatched.map((m) => m.name)).toEqual(changed);
    expect(error.detailLines()).toHaveLength(1200 + 7 + 6);
  });
});
