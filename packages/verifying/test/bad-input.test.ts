import { generateKeyPairSync } from 'node:crypto';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, VerificationError } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { temp, tempFile, writeModel } from './helpers.js';

describe('bad verification input', () => {
  it('refuses RSA, Ed25519 and secp256k1 public keys as an unsupported key type', () => {
    const keys = [
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
    ];
    for (const key of keys) {
      const file = tempFile('pub.pem', key.export({ type: 'spki', format: 'pem' }));
      let error: unknown;
      try {
        new Config().useEllipticKeyVerifier({ publicKey: file });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(VerificationError);
      expect((error as VerificationError).code).toBe('UNSUPPORTED_KEY');
      expect((error as Error).message).toMatch(/^Unsupported key type/);
    }
  });

  it('names an unreadable public key file', () => {
    expect(() => new Config().useEllipticKeyVerifier({ publicKey: '/nonexistent/pub.pem' })).toThrow(
      'Cannot read the public key /nonexistent/pub.pem: no such file or directory',
    );
  });

  it('says so when the signature allowed symlinks and the verifier did not (decision 9)', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const dir = temp();
    const model = writeModel(dir, { target: 'data' });
    symlinkSync('target', path.join(model, 'link'));
    const signature = path.join(dir, 'model.sig');
    const { Config: HashingConfig } = await import('@model-signing/hashing');
    await new SigningConfig()
      .setHashingConfig(new HashingConfig().setAllowSymlinks(true))
      .useEllipticKeySigner({
        privateKey: Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      })
      .sign(model, signature);
    const verifier = () =>
      new Config().useEllipticKeyVerifier({
        publicKey: Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' })),
      });
    const error = await verifier()
      .verify(model, signature)
      .catch((e: unknown) => e);
    expect((error as VerificationError).code).toBe('HASHING_ERROR');
    expect((error as Error).message).toMatch(/The signature was made with symlinks allowed/);
    await verifier().setAllowSymlinks(true).verify(model, signature);
    writeFileSync(path.join(model, 'target'), 'changed');
    await expect(verifier().setAllowSymlinks(true).verify(model, signature)).rejects.toMatchObject({
      code: 'MODEL_MISMATCH',
    });
  });
});
