import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { modelImage, pushImage } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { PYTHON_SIGNATURES } from '../../../test-support/paths.js';
import { expectShape } from './json-schema.js';
import { opensslKeyPair } from './openssl-keys.js';

/** SHA-256 by the coreutils tool, as the independent reference. */
const sha256sum = (file: string) => execFileSync('sha256sum', [file]).toString().slice(0, 64);

const KEYS = path.join(PYTHON_SIGNATURES, 'keys/certificate');

describe('--json output follows packages/cli/schema/output.schema.json', () => {
  let dir: string;
  let model: string;
  let priv: string;
  let pub: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-json-'));
    model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), 'weights');
    writeFileSync(path.join(model, 'config.json'), '{}');
    ({ priv, pub } = opensslKeyPair(dir));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('digest, files and shards', async () => {
    const files = await runCli(['digest', model, '--json']);
    expect(files.code).toBe(0);
    expect(expectShape(files.stdout, 'digest')).toMatchObject({
      serialization: {
        method: 'files',
        hashType: 'sha256',
        allowSymlinks: false,
        ignorePaths: expect.arrayContaining(['.git']),
      },
      resources: 2,
    });
    const shards = await runCli([
      'digest',
      model,
      '--json',
      '--serialization',
      'shards',
      '--shard-size',
      '4',
    ]);
    expect(expectShape(shards.stdout, 'digest')).toMatchObject({
      serialization: { method: 'shards', shardSize: 4 },
    });
  });

  it('sign key and verify key, success', async () => {
    const signature = path.join(dir, 'key.sig');
    const signed = await runCli([
      'sign',
      'key',
      model,
      '--private-key',
      priv,
      '--signature',
      signature,
      '--json',
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    expect(expectShape(signed.stdout, 'sign')).toMatchObject({ method: 'key', signature, modelPath: model });
    const verified = await runCli([
      'verify',
      'key',
      model,
      '--public-key',
      pub,
      '--signature',
      signature,
      '--json',
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(expectShape(verified.stdout, 'verify')).toMatchObject({
      method: 'key',
      files: ['config.json', 'weights.bin'],
    });
  });

  it('sign certificate and verify certificate, success', async () => {
    const signature = path.join(dir, 'cert.sig');
    const signed = await runCli([
      'sign',
      'certificate',
      model,
      '--signature',
      signature,
      '--private-key',
      path.join(KEYS, 'signing-key.pem'),
      '--signing-certificate',
      path.join(KEYS, 'signing-key-cert.pem'),
      '--certificate-chain',
      path.join(KEYS, 'int-ca-cert.pem'),
      '--json',
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    expectShape(signed.stdout, 'sign');
    const verified = await runCli([
      'verify',
      'certificate',
      model,
      '--signature',
      signature,
      '--certificate-chain',
      path.join(KEYS, 'ca-cert.pem'),
      '--json',
    ]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(expectShape(verified.stdout, 'verify')).toMatchObject({ method: 'certificate' });
  });

  it('a mismatch carries MODEL_MISMATCH and structured details with both digests', async () => {
    const copy = path.join(dir, 'changed');
    mkdirSync(copy);
    writeFileSync(path.join(copy, 'weights.bin'), 'weights');
    writeFileSync(path.join(copy, 'config.json'), '{}');
    const signature = path.join(dir, 'changed.sig');
    expect((await runCli(['sign', 'key', copy, '--private-key', priv, '--signature', signature])).code).toBe(
      0,
    );
    const original = sha256sum(path.join(copy, 'weights.bin'));
    writeFileSync(path.join(copy, 'weights.bin'), 'tampered');
    writeFileSync(path.join(copy, 'extra.txt'), 'x');
    rmSync(path.join(copy, 'config.json'));
    const result = await runCli([
      'verify',
      'key',
      copy,
      '--public-key',
      pub,
      '--signature',
      signature,
      '--json',
    ]);
    expect(result.code).toBe(1);
    const data = expectShape(result.stdout, 'failure');
    expect(data).toEqual({
      status: 'failure',
      exitCode: 1,
      code: 'MODEL_MISMATCH',
      error: expect.stringMatching(/^Verification failed with error: Signature mismatch: /),
      details: {
        modelName: 'changed',
        extra: ['extra.txt'],
        missing: ['config.json'],
        mismatched: [
          {
            name: 'weights.bin',
            expected: { algorithm: 'sha256', digest: original },
            actual: { algorithm: 'sha256', digest: sha256sum(path.join(copy, 'weights.bin')) },
          },
        ],
      },
    });
  });

  it('usage errors print a JSON failure with exit code 2', async () => {
    const missing = await runCli(['verify', 'key', model, '--signature', 'x.sig', '--json']);
    expect(missing.code).toBe(2);
    expect(expectShape(missing.stdout, 'failure')).toEqual({
      status: 'failure',
      exitCode: 2,
      code: 'USAGE_ERROR',
      error: "required option '--public-key <path>' not specified",
    });
    const unknown = await runCli(['verify', 'key', model, '--publc-key', pub, '--json']);
    expect(unknown.code).toBe(2);
    expect(expectShape(unknown.stdout, 'failure')).toMatchObject({
      code: 'USAGE_ERROR',
      error: expect.stringMatching(/^unknown option '--publc-key'/),
    });
    const badChoice = await runCli(['digest', model, '--hash-algorithm', 'md5', '--json']);
    expect(badChoice.code).toBe(2);
    expectShape(badChoice.stdout, 'failure');
  });

  it('a missing model, a missing signature and a bad reference each carry a code', async () => {
    const noModel = await runCli(
      ['verify', 'key', './nomodel', '--public-key', pub, '--signature', 's', '--json'],
      {
        cwd: dir,
      },
    );
    expect(noModel.code).toBe(2);
    expect(expectShape(noModel.stdout, 'failure')).toMatchObject({ exitCode: 2, code: 'NOT_FOUND' });
    const noSignature = await runCli([
      'verify',
      'key',
      model,
      '--public-key',
      pub,
      '--signature',
      path.join(dir, 'absent.sig'),
      '--json',
    ]);
    expect(noSignature.code).toBe(1);
    expect(expectShape(noSignature.stdout, 'failure')).toMatchObject({ exitCode: 1, code: 'READ_ERROR' });
    const badReference = await runCli(['verify', 'key', 'oci://Bad', '--public-key', pub, '--json']);
    expect(badReference.code).toBe(2);
    expect(expectShape(badReference.stdout, 'failure')).toMatchObject({ code: 'INVALID_REFERENCE' });
    const noDigestModel = await runCli(['digest', path.join(dir, 'absent'), '--json']);
    expect(noDigestModel.code).toBe(1);
    expect(expectShape(noDigestModel.stdout, 'failure').code).toMatch(/^[A-Z_]+$/);
  });
});

describe('a mismatch with thousands of files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-many-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints counts and the first names on stderr; --json lists every file', async () => {
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), 'weights');
    const { priv, pub } = opensslKeyPair(dir);
    const signature = path.join(dir, 'model.sig');
    expect((await runCli(['sign', 'key', model, '--private-key', priv, '--signature', signature])).code).toBe(
      0,
    );
    const EXTRA = 3000;
    for (let i = 0; i < EXTRA; i++)
      writeFileSync(path.join(model, `extra-${String(i).padStart(5, '0')}`), '');
    const args = ['verify', 'key', model, '--public-key', pub, '--signature', signature];
    const human = await runCli(args);
    expect(human.code).toBe(1);
    const lines = human.stderr.trim().split('\n');
    expect(lines).toEqual([
      "Verification failed with error: Signature mismatch: Extra files found in model 'model': extra-00000, extra-00001, extra-00002, extra-00003, extra-00004 and 2995 more (3000 in all)",
      'Extra file: extra-00000',
      'Extra file: extra-00001',
      'Extra file: extra-00002',
      'Extra file: extra-00003',
      'Extra file: extra-00004',
      '... and 2995 more extra files (--json lists all)',
    ]);
    const json = await runCli([...args, '--json']);
    const data = expectShape(json.stdout, 'failure') as { details: { extra: string[] } };
    expect(data.details.extra).toHaveLength(EXTRA);
    expect(data.details.extra.at(-1)).toBe(`extra-0${EXTRA - 1}`);
  });
});

describe.skipIf(registryToolsMissing())('--json of image targets', () => {
  let registry: TestRegistry;
  let dir: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: false });
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-json-oci-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sign key and verify key of an image', async () => {
    const { priv, pub } = opensslKeyPair(dir);
    const { digest } = pushImage(registry, 'json/model', 'v1', modelImage({ 'model.bin': 'json weights' }));
    const ref = `${registry.host}/json/model:v1`;
    const signed = await runCli(
      ['sign', 'key', ref, '--private-key', priv, '--attachment-mode', 'tag', '--plain-http', '--json'],
      { cwd: dir },
    );
    expect(signed.code, signed.stderr).toBe(0);
    expect(expectShape(signed.stdout, 'signImage')).toMatchObject({ imageDigest: digest });
    const verified = await runCli(['verify', 'key', ref, '--public-key', pub, '--plain-http', '--json'], {
      cwd: dir,
    });
    expect(verified.code, verified.stderr).toBe(0);
    expect(expectShape(verified.stdout, 'verifyImage')).toMatchObject({ imageDigest: digest });
    const absent = await runCli(
      ['verify', 'key', `${registry.host}/json/absent:v1`, '--public-key', pub, '--plain-http', '--json'],
      { cwd: dir },
    );
    expect(absent.code).toBe(1);
    expect(expectShape(absent.stdout, 'failure')).toMatchObject({ exitCode: 1, code: 'NOT_FOUND' });
  });

  it('a --local-model report of many files is cut on stderr and whole in --json', async () => {
    const { priv, pub } = opensslKeyPair(dir);
    pushImage(registry, 'json/local', 'v1', modelImage({ 'model.bin': 'local weights' }));
    const ref = `${registry.host}/json/local:v1`;
    const signed = await runCli(['sign', 'key', ref, '--private-key', priv, '--plain-http'], { cwd: dir });
    expect(signed.code, signed.stderr).toBe(0);
    const local = path.join(dir, 'local');
    mkdirSync(local);
    writeFileSync(path.join(local, 'model.bin'), 'local weights');
    writeFileSync(path.join(local, 'config.json'), '{}');
    for (let i = 0; i < 40; i++) writeFileSync(path.join(local, `extra-${String(i).padStart(2, '0')}`), '');
    const args = ['verify', 'key', ref, '--public-key', pub, '--plain-http', '--local-model', local];
    const human = await runCli(args, { cwd: dir });
    expect(human.code).toBe(1);
    const lines = human.stderr.trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(13);
    expect(lines.at(-1)).toMatch(/^\.\.\. and \d+ more lines \(--json lists all\)$/);
    const json = await runCli([...args, '--json'], { cwd: dir });
    const data = expectShape(json.stdout, 'failure');
    for (let i = 0; i < 40; i++) expect(data.error).toContain(`extra-${String(i).padStart(2, '0')}`);
  });
});
