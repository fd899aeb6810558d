import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { modelImage } from '../../../test-support/oci/layout.js';
import { freePort, startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { type Standin, startStandin, storeImage } from '../../../test-support/oci/standin.js';
import { makePki } from '../../../test-support/oci/tls.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { type SigstoreStandIn, startSigstoreStandIn } from '../../../test-support/sigstore/index.js';
import { opensslKeyPair } from './openssl-keys.js';

let dir: string;
let model: string;
let priv: string;
let pub: string;
let signature: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-errors-'));
  model = path.join(dir, 'model');
  mkdirSync(model);
  writeFileSync(path.join(model, 'weights.bin'), 'weights');
  ({ priv, pub } = opensslKeyPair(dir));
  signature = path.join(dir, 'model.sig');
  const signed = await runCli(['sign', 'key', model, '--private-key', priv, '--signature', signature]);
  expect(signed.code, signed.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a private key given as --public-key', () => {
  it.each([
    ['SEC1', () => priv],
    [
      'PKCS#8',
      () => {
        const file = path.join(dir, 'pkcs8.pem');
        execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', priv, '-out', file]);
        return file;
      },
    ],
    [
      'encrypted PKCS#8',
      () => {
        const file = path.join(dir, 'encrypted.pem');
        execFileSync('openssl', ['pkcs8', '-topk8', '-in', priv, '-passout', 'pass:secret-pw', '-out', file]);
        return file;
      },
    ],
  ])('is refused with one line that says what to give instead (%s)', async (_kind, key) => {
    const file = key();
    const result = await runCli(['verify', 'key', model, '--signature', signature, '--public-key', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `Verification failed with error: ${file} is a private key; give the public key (openssl ec -in ${file} -pubout -out ${file}.pub)\n`,
    );
  });

  it('and the command it suggests gives a key that verifies', async () => {
    const derived = path.join(dir, 'derived.pub');
    execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', derived], { stdio: 'ignore' });
    const result = await runCli(['verify', 'key', model, '--signature', signature, '--public-key', derived]);
    expect(result.code, result.stderr).toBe(0);
  });
});

describe('a target that is neither a path nor an image', () => {
  it.each(['nomodel', './nomodel'])('%s: one line naming both, exit 2', async (target) => {
    const result = await runCli(['verify', 'key', target, '--public-key', pub, '--signature', signature], {
      cwd: dir,
    });
    expect(result.code).toBe(2);
    const [first, ...rest] = result.stderr.trim().split('\n');
    expect(first).toMatch(
      new RegExp(
        `^Error: ${target.replace('.', '\\.')}: no such file or directory, and not an image reference either`,
      ),
    );
    expect(rest).toEqual(['(run with --help for usage)']);
  });
});

describe('flags', () => {
  it('a typo in a required flag names the unknown flag, not the missing one', async () => {
    const result = await runCli(['verify', 'key', model, '--signature', signature, '--publc-key', pub]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("error: unknown option '--publc-key'");
    expect(result.stderr).toContain('(Did you mean --public-key?)');
    expect(result.stderr).not.toContain('required option');
  });

  it('a missing required flag is still reported', async () => {
    const result = await runCli(['verify', 'key', model, '--signature', signature]);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe("error: required option '--public-key <path>' not specified");
  });

  it.each([
    [
      'a registry password without a user',
      (host: string) => [
        'verify',
        'key',
        host,
        '--public-key',
        pub,
        '--plain-http',
        '--registry-password',
        'pw-77',
      ],
      () => 'Error: --registry-username and --registry-password go together',
    ],
    [
      'a missing --authfile',
      (host: string) => [
        'sign',
        'key',
        host,
        '--private-key',
        priv,
        '--authfile',
        path.join(dir, 'auth.json'),
      ],
      () => `Error: --authfile ${path.join(dir, 'auth.json')}: no such file`,
    ],
  ])('%s is a usage error, reported before any request', async (_what, args, line) => {
    // Nothing listens on the port: any request would fail with another message.
    const port = await freePort();
    const result = await runCli(args(`127.0.0.1:${port}/m:v1`), { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`${line()}\n(run with --help for usage)\n`);
  });
});

describe.skipIf(registryToolsMissing())('registry connection errors say what to do', () => {
  let tls: TestRegistry;
  let plain: TestRegistry;
  beforeAll(async () => {
    [tls, plain] = await Promise.all([startRegistry({ tls: true }), startRegistry({ tls: false })]);
  });
  afterAll(async () => {
    await tls?.stop();
    await plain?.stop();
  });
  const verify = (ref: string, ...extra: string[]) =>
    runCli(['verify', 'key', ref, '--public-key', pub, ...extra], { cwd: dir });

  it('an untrusted CA points to --registry-ca and NODE_EXTRA_CA_CERTS', async () => {
    const result = await verify(`${tls.host}/m:v1`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Verification failed with error: Cannot reach registry .*: [A-Z_]+: the registry TLS certificate is not signed by a trusted CA; give the CA with --registry-ca FILE or NODE_EXTRA_CA_CERTS\n$/,
    );
    // And the advice works: with the CA, the error is about the image, no longer about TLS.
    const trusted = await verify(`${tls.host}/m:v1`, '--registry-ca', tls.pki!.caFile);
    expect(trusted.stderr).toMatch(/MANIFEST_UNKNOWN|not found/i);
  });

  it('a plain-HTTP registry without --plain-http points to --plain-http', async () => {
    const result = await verify(`${plain.host}/m:v1`);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /: the registry does not speak TLS; for a plain-HTTP registry add --plain-http\n$/,
    );
  });

  it('--plain-http against a TLS registry says to drop it', async () => {
    const result = await verify(`${tls.host}/m:v1`, '--plain-http');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `Verification failed with error: Registry ${tls.host} speaks HTTPS, not plain HTTP: drop --plain-http (plainHttp)\n`,
    );
  });
});

describe('--plain-http against a TLS server that drops plain HTTP', () => {
  let server: TlsServer;
  let host: string;
  let pkiDir: string;
  beforeAll(async () => {
    pkiDir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-tls-'));
    const pki = makePki(pkiDir);
    server = createTlsServer(
      { cert: readFileSync(pki.certFile), key: readFileSync(pki.keyFile) },
      (_req, res) => res.end(),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(pkiDir, { recursive: true, force: true });
  });

  it('says to try without --plain-http', async () => {
    const result = await runCli(['verify', 'key', `${host}/m:v1`, '--public-key', pub, '--plain-http'], {
      cwd: dir,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/try without --plain-http\n$/);
  });
});

describe('registry refusals and debug logging', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await startStandin({ bearer: { username: 'tester', password: 'pw-debug-secret-91' } });
  });
  afterAll(() => standin?.stop());

  it('a multi-platform index is refused with each platform and its digest', async () => {
    const amd = storeImage(standin, 'org/multi', 'amd64', modelImage({ 'w.bin': 'amd' }));
    const arm = storeImage(standin, 'org/multi', 'arm64', modelImage({ 'w.bin': 'arm' }));
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: amd.digest,
          size: amd.bytes.length,
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: arm.digest,
          size: arm.bytes.length,
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
    };
    standin.putManifest('org/multi', 'latest', Buffer.from(JSON.stringify(index)), index.mediaType);
    const result = await runCli(
      [
        'verify',
        'key',
        `${standin.host}/org/multi:latest`,
        '--public-key',
        pub,
        '--plain-http',
        '--registry-username',
        'tester',
        '--registry-password',
        'pw-debug-secret-91',
      ],
      { cwd: dir },
    );
    expect(result.code).toBe(1);
    const name = `${standin.host}/org/multi`;
    expect(result.stderr).toContain(
      `is a multi-platform image index; name one platform by its digest: linux/amd64 ${name}@${amd.digest}, linux/arm64/v8 ${name}@${arm.digest}`,
    );
  });

  it('--log-level debug logs the trust, the requests and their statuses, never the password or token', async () => {
    const { digest } = storeImage(standin, 'org/debug', 'v1', modelImage({ 'w.bin': 'debug weights' }));
    const ref = `${standin.host}/org/debug:v1`;
    const credentials = [
      '--plain-http',
      '--registry-username',
      'tester',
      '--registry-password',
      'pw-debug-secret-91',
    ];
    const signed = await runCli(
      ['--log-level', 'debug', 'sign', 'key', ref, '--private-key', priv, ...credentials],
      {
        cwd: dir,
      },
    );
    expect(signed.code, signed.stderr).toBe(0);
    const verified = await runCli(
      ['--log-level', 'debug', 'verify', 'key', ref, '--public-key', pub, ...credentials],
      {
        cwd: dir,
      },
    );
    expect(verified.code, verified.stderr).toBe(0);
    const log = signed.stderr + verified.stderr;
    expect(verified.stderr).toContain(`trust: the public key ${pub} (--public-key)`);
    expect(log).toContain(`registry: GET http://${standin.host}/v2/org/debug/manifests/v1 -> 401`);
    expect(log).toContain(`registry: GET http://${standin.host}/v2/org/debug/manifests/v1 -> 200`);
    expect(log).toMatch(/registry: token http:\/\/127\.0\.0\.1:\d+\/token -> 200/);
    expect(log).toMatch(
      new RegExp(`registry: (PUT|POST) http://${standin.host.replace(/\./g, '\\.')}/v2/org/debug/`),
    );
    expect(log).toContain(`/v2/org/debug/referrers/${digest}`);
    expect(log).not.toContain('pw-debug-secret-91');
    expect(log).not.toMatch(/Bearer|Basic |Authorization/i);
    expect(log).not.toContain(Buffer.from('tester:pw-debug-secret-91').toString('base64'));
  });

  it('--log-level debug logs the serialization read from a signature and what was hashed', async () => {
    const result = await runCli([
      '--log-level',
      'debug',
      'verify',
      'key',
      model,
      '--public-key',
      pub,
      '--signature',
      signature,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const bytes = readFileSync(path.join(model, 'weights.bin')).length;
    expect(result.stderr).toContain(`trust: the public key ${pub} (--public-key)`);
    expect(result.stderr).toContain(
      'serialization read from the signature: {"method":"files","hashType":"sha256","allowSymlinks":false,"ignorePaths":[',
    );
    expect(result.stderr).toMatch(
      new RegExp(`hashed 1 of 1 files, ${bytes} bytes \\(${bytes} B\\) in [0-9.]+ s`),
    );
  });

  it.each([
    [[], 'the Sigstore public-good instance (production trusted root shipped with the package)'],
    [['--trust-config', 'trust.json'], 'the ClientTrustConfig file trust.json (--trust-config)'],
  ])('--log-level debug names the Sigstore trust source (%j)', async (trust, source) => {
    const result = await runCli(
      [
        ...['--log-level', 'debug', 'verify', 'sigstore', model, '--signature', signature, ...trust],
        ...['--identity', 'a@example.com', '--identity-provider', 'https://issuer.example.com'],
      ],
      { cwd: dir },
    );
    expect(result.stderr).toContain(`trust: ${source}`);
  });
});

describe('debug logging of keyless signing', () => {
  let sigstore: SigstoreStandIn;
  beforeAll(async () => {
    sigstore = await startSigstoreStandIn({ email: 'debug@example.com' });
  });
  afterAll(() => sigstore?.stop());

  it('names the trust config and never prints the identity token', async () => {
    const token = sigstore.token();
    const home = path.join(dir, 'sigstore-home');
    const result = await runCli(
      [
        '--log-level',
        'debug',
        'sign',
        model,
        '--signature',
        path.join(dir, 'keyless.sig'),
        '--trust-config',
        sigstore.trustConfigPath,
        '--identity-token',
        token,
      ],
      { env: { HOME: home, XDG_DATA_HOME: path.join(home, 'data'), BROWSER: '' } },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `trust: the ClientTrustConfig file ${sigstore.trustConfigPath} (--trust-config)`,
    );
    expect(result.stderr).toMatch(/hashed 1 of 1 files, 7 bytes/);
    // Neither the token nor any of its three parts appears.
    for (const part of [token, ...token.split('.').filter((p) => p.length > 8)]) {
      expect(result.stderr + result.stdout).not.toContain(part);
    }
  });
});
