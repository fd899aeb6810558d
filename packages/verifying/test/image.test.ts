import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, VerificationError } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelCarImage, modelImage, pushImage } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { type Standin, startStandin, storeImage } from '../../../test-support/oci/standin.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';

const skip = registryToolsMissing();

function keyPair(dir: string, name: string) {
  const priv = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  execFileSync('openssl', ['ecparam', '-name', 'secp384r1', '-genkey', '-noout', '-out', priv]);
  execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  return { priv, pub };
}

describe.skipIf(skip)('verifying.Config().verifyImage with EC keys', () => {
  let registry: TestRegistry;
  let standin: Standin;
  let dir: string;
  let key: { priv: string; pub: string };
  let other: { priv: string; pub: string };
  beforeAll(async () => {
    registry = await startRegistry({ tls: false });
    standin = await startStandin();
    dir = mkdtempSync(path.join(tmpdir(), 'ms-verify-image-'));
    key = keyPair(dir, 'key');
    other = keyPair(dir, 'other');
  });
  afterAll(async () => {
    await registry?.stop();
    await standin?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('verifies a tag-mode signature and a ModelCar image, and refuses another key', async () => {
    pushImage(
      registry,
      'acme/car',
      'v1',
      modelCarImage({ 'model.bin': 'weights', 'tokenizer/vocab.json': '{}' }),
    );
    const ref = `${registry.host}/acme/car:v1`;
    await new SigningConfig()
      .useEllipticKeySigner({ privateKey: key.priv })
      .signImage(ref, { attachmentMode: 'tag', plainHttp: true });
    const result = await new Config()
      .useEllipticKeyVerifier({ publicKey: key.pub })
      .verifyImage(ref, { plainHttp: true });
    expect(result.method).toBe('key');
    expect(result.source.kind).toBe('tag');
    expect(result.manifest.names()).toEqual(['model.bin', 'tokenizer/vocab.json']);
    const error = await new Config()
      .useEllipticKeyVerifier({ publicKey: other.pub })
      .verifyImage(ref, { plainHttp: true })
      .catch((e) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe('KEY_MISMATCH');
  });

  it('verifies referrers on a registry with the API, and compares a local model', async () => {
    storeImage(standin, 'acme/ref', 'v1', modelImage({ 'model.bin': 'local', 'sub/x.txt': 'x' }));
    const ref = `${standin.host}/acme/ref:v1`;
    const signed = await new SigningConfig()
      .useEllipticKeySigner({ privateKey: key.priv })
      .signImage(ref, { plainHttp: true });
    expect(signed.fellBackToTag).toBeUndefined();
    const local = path.join(dir, 'local');
    mkdirSync(path.join(local, 'sub'), { recursive: true });
    writeFileSync(path.join(local, 'model.bin'), 'local');
    writeFileSync(path.join(local, 'sub/x.txt'), 'x');
    writeFileSync(path.join(local, 'config.json'), '{}');
    const verifier = new Config().useEllipticKeyVerifier({ publicKey: key.pub });
    const result = await verifier.verifyImage(ref, { plainHttp: true, localModel: local });
    expect(result.source).toEqual({ kind: 'referrers', location: signed.signatureDigest });
    expect(result.localModelVerified).toBe(true);
    writeFileSync(path.join(local, 'model.bin'), 'changed');
    await expect(verifier.verifyImage(ref, { plainHttp: true, localModel: local })).rejects.toThrow(
      /model.bin: expected sha256:/,
    );
  });

  it('reports the hashing of a local model and stops it when asked', async () => {
    const weights = 'w'.repeat(3 * 1024 * 1024);
    storeImage(standin, 'acme/progress', 'v1', modelImage({ 'weights.bin': weights, 'a.txt': 'abc' }));
    const ref = `${standin.host}/acme/progress:v1`;
    await new SigningConfig()
      .useEllipticKeySigner({ privateKey: key.priv })
      .signImage(ref, { plainHttp: true });
    const local = path.join(dir, 'progress');
    mkdirSync(local, { recursive: true });
    writeFileSync(path.join(local, 'weights.bin'), weights);
    writeFileSync(path.join(local, 'a.txt'), 'abc');
    // The signed manifest includes the image's config blob as config.json ('{}').
    writeFileSync(path.join(local, 'config.json'), '{}');
    const verifier = new Config().useEllipticKeyVerifier({ publicKey: key.pub });
    const reports: { bytesHashed: number; totalBytes: number; filesHashed: number; totalFiles: number }[] =
      [];
    const result = await verifier.verifyImage(ref, {
      plainHttp: true,
      localModel: local,
      onProgress: (progress) => reports.push(progress),
    });
    expect(result.localModelVerified).toBe(true);
    expect(reports.length).toBeGreaterThan(2);
    expect(reports.at(-1)).toEqual({
      bytesHashed: weights.length + 3 + 2,
      totalBytes: weights.length + 3 + 2,
      filesHashed: 3,
      totalFiles: 3,
    });
    const controller = new AbortController();
    const error = await verifier
      .verifyImage(ref, {
        plainHttp: true,
        localModel: local,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe('ABORTED');
  });

  it('fails a re-tagged image with a changed layer and names the layer', async () => {
    const ref = `${registry.host}/acme/retag:v1`;
    pushImage(registry, 'acme/retag', 'v1', modelImage({ 'model.bin': 'good', 'a.txt': 'a' }));
    const signature = path.join(dir, 'retag.sig');
    await new SigningConfig()
      .useEllipticKeySigner({ privateKey: key.priv })
      .signImage(ref, { output: 'file', signaturePath: signature, plainHttp: true });
    pushImage(registry, 'acme/retag', 'v1', modelImage({ 'model.bin': 'evil', 'a.txt': 'a' }));
    const error = await new Config()
      .useEllipticKeyVerifier({ publicKey: key.pub })
      .verifyImage(ref, { plainHttp: true, signature })
      .catch((e) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect(error.code).toBe('MODEL_MISMATCH');
    expect(error.message).toContain("Hash mismatch for 'model.bin'");
    expect(error.message).not.toContain('a.txt');
  });

  it('refuses without a verifier', async () => {
    await expect(new Config().verifyImage('127.0.0.1:1/x/y:v1')).rejects.toThrow(
      'Attempting to verify with no configured verifier',
    );
  });
});
