import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as hashing from '@model-signing/hashing';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, compatPae, loadPublicKey, readBundle, verifyDsseSignature } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { PUBLIC_KEY, SIGNATURES } from './fixtures.js';
import { temp, writeModel } from './helpers.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
const privatePem = Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const publicPem = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' }));

describe('the v0.2.0 compat PAE', () => {
  it('is Python repr() of the payload after a capital-V header', () => {
    const text = Buffer.from(
      compatPae('application/vnd.in-toto+json', Buffer.from('{"a":\'\\\n\t\u0001é')),
    ).toString('latin1');
    expect(text).toBe("DSSEV1 28 application/vnd.in-toto+json 12 b'{\"a\":\\'\\\\\\n\\t\\x01\\xc3\\xa9'");
  });

  it('is what the v0.2.0 golden needs (the standard PAE does not verify it)', async () => {
    const { X509Certificate } = await import('node:crypto');
    const bundle = readBundle(readFileSync(path.join(SIGNATURES, 'v0.2.0-certificate/model.sig')));
    if (bundle.content.kind !== 'x509CertificateChain') throw new Error('expected a chain');
    const key = new X509Certificate(bundle.content.certificates[0] as Uint8Array).publicKey;
    expect(() => verifyDsseSignature(key, bundle.envelope, undefined, 'the leaf')).toThrow(/does not verify/);
    expect(() => verifyDsseSignature(key, bundle.envelope, 'curve', 'the leaf')).toThrow(/does not verify/);
    expect(() => verifyDsseSignature(key, bundle.envelope, 'sha256', 'the leaf')).not.toThrow();
  });

  it('is not needed by the other goldens', () => {
    const bundle = readBundle(readFileSync(path.join(SIGNATURES, 'v1.0.0-elliptic-key/model.sig')));
    expect(() =>
      verifyDsseSignature(loadPublicKey(PUBLIC_KEY), bundle.envelope, undefined, 'the key'),
    ).not.toThrow();
  });
});

describe('hashing config from the signed statement (decision 8)', () => {
  const cases: [string, () => hashing.Config][] = [
    ['shards of 8 bytes, SHA-256', () => new hashing.Config().useShardSerialization({ shardSize: 8 })],
    ['files, BLAKE2b', () => new hashing.Config().useFileSerialization({ hashingAlgorithm: 'blake2' })],
    ['files, BLAKE3', () => new hashing.Config().useFileSerialization({ hashingAlgorithm: 'blake3' })],
  ];
  for (const [name, make] of cases) {
    it(`verifies ${name} without an explicit config, and ignores unsigned files`, async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'a longer file of many shards', 'b/c.bin': 'c' });
      const signature = path.join(dir, 'model.sig');
      await new SigningConfig()
        .setHashingConfig(make())
        .useEllipticKeySigner({ privateKey: privatePem })
        .sign(model, signature);
      const result = await new Config()
        .useEllipticKeyVerifier({ publicKey: publicPem })
        .verify(model, signature);
      expect(result.files.length).toBeGreaterThan(1);
      writeModel(dir, { extra: 'x' });
      await new Config()
        .useEllipticKeyVerifier({ publicKey: publicPem })
        .setIgnoreUnsignedFiles(true)
        .verify(model, signature);
    });
  }

  it('an explicit config overrides the recorded one (and then the digests differ)', async () => {
    const dir = temp();
    const model = writeModel(dir, { 'a.bin': 'a' });
    const signature = path.join(dir, 'model.sig');
    await new SigningConfig()
      .setHashingConfig(new hashing.Config().useFileSerialization({ hashingAlgorithm: 'blake3' }))
      .useEllipticKeySigner({ privateKey: privatePem })
      .sign(model, signature);
    const explicit = new hashing.Config();
    await expect(
      new Config()
        .useEllipticKeyVerifier({ publicKey: publicPem })
        .setHashingConfig(explicit)
        .verify(model, signature),
    ).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
    // The caller's config is not changed by a verification.
    expect(explicit.ignoredPaths).toEqual([]);
  });
});

// The local model is hashed while the signed resources are read; a bad statement must still be the error
// reported, whatever the hashing meets meanwhile, and stop the hashing.
describe('a statement whose resources are invalid', () => {
  async function bundleOf(statement: object): Promise<string> {
    const { createEcdsaKeySigner, createKeyBundleSigner, loadEcPrivateKey } = await import(
      '@model-signing/signing'
    );
    const signer = createKeyBundleSigner(createEcdsaKeySigner(loadEcPrivateKey(privatePem)));
    const bundle = await signer.sign(Buffer.from(JSON.stringify(statement)));
    const file = path.join(temp(), 'bad.sig');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(bundle));
    return file;
  }

  it('is reported as INVALID_PAYLOAD, before a missing model and before a model that would mismatch', async () => {
    const dir = temp();
    const model = writeModel(dir, { 'a.bin': 'a' });
    const signature = path.join(dir, 'good.sig');
    await new SigningConfig().useEllipticKeySigner({ privateKey: privatePem }).sign(model, signature);
    const statement = JSON.parse(
      Buffer.from(JSON.parse(readFileSync(signature, 'utf8')).dsseEnvelope.payload, 'base64').toString(
        'utf8',
      ),
    );
    statement.predicate.resources[0].digest = 'not hex';
    const bad = await bundleOf(statement);
    const verifier = () => new Config().useEllipticKeyVerifier({ publicKey: publicPem });
    for (const target of [model, path.join(dir, 'missing-model')]) {
      const error = await verifier()
        .verify(target, bad)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toMatchObject({ code: 'INVALID_PAYLOAD' });
      expect((error as Error).message).toMatch(
        /Invalid signed statement: The digest of a\.bin is not a hex string/,
      );
    }
  });
});
