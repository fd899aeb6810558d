import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { PYTHON_SIGNATURES } from '../../../test-support/paths.js';

const KEY = './keys/certificate/signing-key-pub.pem';
const CA = './keys/certificate/ca-cert.pem';

/** Every key and certificate golden with the verify arguments of format-and-behaviour §10.3. */
const GOLDENS: readonly { dir: string; method: 'key' | 'certificate'; model: string; ignore?: boolean }[] = [
  { dir: 'v0.2.0-certificate', method: 'certificate', model: './v0.2.0-certificate/' },
  { dir: 'v0.3.1-certificate', method: 'certificate', model: './v0.3.1-certificate/' },
  { dir: 'v0.3.1-elliptic-key', method: 'key', model: './v0.3.1-elliptic-key/signme-1' },
  { dir: 'v1.0.0-certificate', method: 'certificate', model: './v1.0.0-certificate/' },
  { dir: 'v1.0.0-elliptic-key', method: 'key', model: './v1.0.0-elliptic-key/signme-1' },
  { dir: 'v1.0.1-certificate', method: 'certificate', model: './v1.0.1-certificate/', ignore: true },
  { dir: 'v1.0.1-elliptic-key', method: 'key', model: './v1.0.1-elliptic-key', ignore: true },
  { dir: 'v1.1.0-certificate', method: 'certificate', model: './v1.1.0-certificate/' },
  { dir: 'v1.1.0-elliptic-key', method: 'key', model: './v1.1.0-elliptic-key' },
];

const trust = (method: 'key' | 'certificate', prefix = '.') =>
  method === 'key' ? ['--public_key', `${prefix}/${KEY}`] : ['--certificate_chain', `${prefix}/${CA}`];

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});
function temp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-'));
  temps.push(dir);
  return dir;
}

describe('verify key|certificate: the Python goldens (§10.3)', () => {
  for (const g of GOLDENS) {
    it(`${g.dir} from scripts/tests`, async () => {
      const args = ['verify', g.method, g.model, '--signature', `./${g.dir}/model.sig`, ...trust(g.method)];
      if (g.ignore) args.push('--ignore-paths', `./${g.dir}/ignore-me`);
      const result = await runCli(args, { cwd: PYTHON_SIGNATURES });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout.endsWith('Verification succeeded\n')).toBe(true);
    });
  }

  for (const g of GOLDENS.filter((g) => !g.model.endsWith('signme-1'))) {
    it(`${g.dir} from inside the model with "."`, async () => {
      const args = ['verify', g.method, '.', '--signature', 'model.sig', ...trust(g.method, '..')];
      if (g.ignore) args.push('--ignore_paths', 'ignore-me');
      const result = await runCli(args, { cwd: path.join(PYTHON_SIGNATURES, g.dir) });
      expect(result.code, result.stderr).toBe(0);
    });
  }

  it('prints the old-format warning first for pre-1.1 key bundles', async () => {
    const result = await runCli(
      [
        'verify',
        'key',
        './v1.0.0-elliptic-key/signme-1',
        '--signature',
        './v1.0.0-elliptic-key/model.sig',
        ...trust('key'),
      ],
      { cwd: PYTHON_SIGNATURES },
    );
    expect(result.stdout).toMatch(
      /^WARNING: This model's signature uses an older verification material format\..*\nVerification succeeded\n$/,
    );
  });

  it('reports extra files one per line and exits 1', async () => {
    const result = await runCli(
      [
        'verify',
        'key',
        './v1.0.1-elliptic-key',
        '--signature',
        './v1.0.1-elliptic-key/model.sig',
        ...trust('key'),
      ],
      { cwd: PYTHON_SIGNATURES },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "Verification failed with error: Signature mismatch: Extra files found in model 'v1.0.1-elliptic-key': ignore-me\nExtra file: ignore-me\n",
    );
  });

  it('--json reports the mismatch details', async () => {
    const model = path.join(temp(), 'm');
    cpSync(path.join(PYTHON_SIGNATURES, 'v1.1.0-elliptic-key'), model, { recursive: true });
    writeFileSync(path.join(model, 'signme-2'), 'changed');
    rmSync(path.join(model, 'signme-1'));
    const result = await runCli([
      'verify',
      'key',
      model,
      '--signature',
      path.join(model, 'model.sig'),
      '--public-key',
      path.join(PYTHON_SIGNATURES, KEY),
      '--json',
    ]);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(
      /^Verification failed with error: Signature mismatch: Missing files in model 'm': signme-1; Hash mismatch for 'signme-2'$/,
    );
    expect(lines.slice(1)).toEqual([
      'Missing file: signme-1',
      expect.stringMatching(
        /^Hash mismatch: signme-2: expected sha256:32dcb1f8[0-9a-f]{56}, actual sha256:[0-9a-f]{64}$/,
      ),
    ]);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ status: 'failure', code: 'MODEL_MISMATCH' });
  });

  it('a certificate bundle given to verify key names the right method', async () => {
    const result = await runCli(
      [
        'verify',
        'key',
        './v1.1.0-certificate',
        '--signature',
        './v1.1.0-certificate/model.sig',
        ...trust('key'),
      ],
      { cwd: PYTHON_SIGNATURES },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Verification failed with error: The signature was made with the certificate method.*`verify certificate`\n$/,
    );
  });

  it('usage errors exit 2', async () => {
    for (const args of [
      ['verify', 'key', '.', '--public-key', KEY],
      ['verify', 'certificate', '.', '--signature', 'model.sig'],
      ['sign', 'key', '.'],
      ['sign', 'certificate', '.', '--private-key', 'k.pem'],
      ['verify', 'key', '.', '--signature', 's', '--public-key', 'k', '--bogus'],
    ]) {
      const result = await runCli(args, { cwd: PYTHON_SIGNATURES });
      expect(result.code, args.join(' ')).toBe(2);
    }
  });
});

describe('sign key|certificate then verify', () => {
  it('signs with a key (into the model, CWD-relative) and verifies; tampering fails', async () => {
    const dir = temp();
    const model = path.join(dir, 'model');
    mkdirSync(path.join(model, 'sub'), { recursive: true });
    writeFileSync(path.join(model, 'a'), 'a');
    writeFileSync(path.join(model, 'sub/b'), 'b');
    const keys = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    writeFileSync(
      path.join(dir, 'key.pem'),
      keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }),
    );
    writeFileSync(path.join(dir, 'pub.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));

    let result = await runCli(
      [
        'sign',
        'key',
        'model',
        '--private_key',
        'key.pem',
        '--password',
        'pw',
        '--signature',
        'model/model.sig',
      ],
      {
        cwd: dir,
      },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('Signing succeeded\n');
    expect(result.code).toBe(0);
    const statement = JSON.parse(
      Buffer.from(
        JSON.parse(readFileSync(path.join(model, 'model.sig'), 'utf8')).dsseEnvelope.payload,
        'base64',
      ).toString(),
    );
    expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['a', 'sub/b']);

    result = await runCli(['verify', 'key', '.', '--signature', 'model.sig', '--public-key', '../pub.pem'], {
      cwd: model,
    });
    expect(result.code, result.stderr).toBe(0);

    writeFileSync(path.join(model, 'extra'), 'x');
    result = await runCli(['verify', 'key', '.', '--signature', 'model.sig', '--public-key', '../pub.pem'], {
      cwd: model,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Extra file: extra\n$/);
    result = await runCli(
      [
        'verify',
        'key',
        '.',
        '--signature',
        'model.sig',
        '--public-key',
        '../pub.pem',
        '--ignore-unsigned-files',
      ],
      { cwd: model },
    );
    expect(result.code, result.stderr).toBe(0);
  });

  it('a wrong password fails with one line and writes nothing', async () => {
    const dir = temp();
    mkdirSync(path.join(dir, 'model'));
    writeFileSync(path.join(dir, 'model/a'), 'a');
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(
      path.join(dir, 'key.pem'),
      keys.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'right' }),
    );
    const result = await runCli(
      ['sign', 'key', 'model', '--private-key', 'key.pem', '--password', 'wrong-pw-123'],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'Signing failed with error: Cannot decrypt the private key key.pem: wrong password\n',
    );
    expect(result.stderr).not.toContain('wrong-pw-123');
  });

  it('signs with the Python test key and chain and verifies with --json', async () => {
    const dir = temp();
    const model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'w'), 'weights');
    const keys = path.join(PYTHON_SIGNATURES, 'keys/certificate');
    let result = await runCli([
      'sign',
      'certificate',
      model,
      '--signature',
      path.join(dir, 'model.sig'),
      '--private-key',
      path.join(keys, 'signing-key.pem'),
      '--signing-certificate',
      path.join(keys, 'signing-key-cert.pem'),
      '--certificate-chain',
      path.join(keys, 'int-ca-cert.pem'),
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'success',
      method: 'certificate',
      files: ['w'],
    });
    const bundle = JSON.parse(readFileSync(path.join(dir, 'model.sig'), 'utf8'));
    expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(2);

    result = await runCli([
      'verify',
      'certificate',
      model,
      '--signature',
      path.join(dir, 'model.sig'),
      '--certificate-chain',
      path.join(keys, 'ca-cert.pem'),
      '--log-fingerprints',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'success',
      method: 'certificate',
      files: ['w'],
    });
    expect(result.stderr).toMatch(/^\[ {2}init {2}\] sha256 Fingerprint: 96:B4:07:4F:/);
  });

  it('refuses an RSA key as an unsupported key type', async () => {
    const dir = temp();
    mkdirSync(path.join(dir, 'model'));
    writeFileSync(path.join(dir, 'model/a'), 'a');
    const result = await runCli(
      ['sign', 'key', 'model', '--private-key', path.join(PYTHON_SIGNATURES, 'keys/certificate/ca-priv.pem')],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Signing failed with error: Unsupported key type: .* is RSA/);
  });
});
