import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { modelImage, pushImage, signatureTagOf, skopeoRaw } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { type Standin, startStandin, storeImage } from '../../../test-support/oci/standin.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { type SigstoreStandIn, startSigstoreStandIn } from '../../../test-support/sigstore/index.js';
import { expectShape } from './json-schema.js';

const skip = registryToolsMissing();

describe.skipIf(skip)('Sigstore keyless signing of images (loopback Sigstore and registries)', () => {
  let sigstore: SigstoreStandIn;
  let registry: TestRegistry;
  let referrers: Standin;
  let dir: string;
  let priv: string;
  beforeAll(async () => {
    [sigstore, registry, referrers] = await Promise.all([
      startSigstoreStandIn({ email: 'dana@example.com' }),
      startRegistry({ tls: false }),
      startStandin(),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'ms-cli-oci-sigstore-'));
    priv = path.join(dir, 'key.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
  });
  afterAll(async () => {
    await sigstore?.stop();
    await registry?.stop();
    await referrers?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const verifyArgs = () => [
    '--identity',
    sigstore.email,
    '--identity-provider',
    sigstore.issuer,
    '--trust-config',
    sigstore.trustConfigPath,
    '--plain-http',
  ];

  it('signs in referrers mode on docker-registry (falls back to the tag with a warning) and verifies', async () => {
    const { digest } = pushImage(registry, 'keyless/model', 'v1', modelImage({ 'model.bin': 'keyless' }));
    const ref = `${registry.host}/keyless/model:v1`;
    const signed = await runCli(
      [
        'sign',
        'sigstore',
        ref,
        '--identity-token',
        sigstore.token(),
        '--trust-config',
        sigstore.trustConfigPath,
        '--plain-http',
      ],
      { cwd: dir },
    );
    expect(signed.code).toBe(0);
    expect(signed.stdout).toMatch(
      new RegExp(
        `^Pushing signature to: ${ref.replaceAll('.', '\\.')} \\(referrers API\\)\nSignature pushed: sha256:`,
      ),
    );
    expect(signed.stderr).toMatch(/no referrers API/);
    const bundleLayer = JSON.parse(skopeoRaw(registry, `keyless/model:${signatureTagOf(digest)}`)).layers[0];
    expect(bundleLayer.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');

    const verified = await runCli(['verify', 'sigstore', ref, ...verifyArgs()], { cwd: dir });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain(
      'The following checks were performed:\n  - Signature verified against Sigstore bundle\n  - Signing identity matched\n  - OIDC issuer matched\n\nVerification succeeded\n',
    );
    const wrong = await runCli(
      ['verify', 'sigstore', ref, ...verifyArgs().map((a) => (a === sigstore.email ? 'eve@example.com' : a))],
      { cwd: dir },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^Verification failed with error: .*identity/);
  });

  it('finds the Sigstore referrer among a key signature and skips the other method', async () => {
    storeImage(referrers, 'mixed/model', 'v1', modelImage({ 'w.bin': 'mixed' }));
    const ref = `${referrers.host}/mixed/model:v1`;
    const keyed = await runCli(['sign', 'key', ref, '--private-key', priv, '--plain-http'], { cwd: dir });
    expect(keyed.code).toBe(0);
    const keyless = await runCli(
      [
        'sign',
        'sigstore',
        ref,
        '--identity-token',
        sigstore.token(),
        '--trust-config',
        sigstore.trustConfigPath,
        '--plain-http',
      ],
      { cwd: dir },
    );
    expect(keyless.code).toBe(0);
    expect(keyless.stderr).toBe('');
    // Referrers are listed oldest first here; the newest (Sigstore) one is tried first and verifies.
    const verified = await runCli(['verify', 'sigstore', ref, ...verifyArgs(), '--json'], { cwd: dir });
    expect(verified.code).toBe(0);
    const data = expectShape(verified.stdout, 'verifyImage') as {
      method: string;
      signatureSource: { kind: string };
      failedCandidates: string[];
    };
    expect(data.method).toBe('sigstore');
    expect(data.signatureSource.kind).toBe('referrers');
    expect(data.failedCandidates).toEqual([]);
    // The key verifier skips the newer Sigstore bundle (another method) and verifies the key one.
    const pub = path.join(dir, 'pub.pem');
    execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
    const byKey = await runCli(['verify', 'key', ref, '--public-key', pub, '--plain-http', '--json'], {
      cwd: dir,
    });
    expect(byKey.code).toBe(0);
    const keyData = expectShape(byKey.stdout, 'verifyImage');
    expect(keyData.method).toBe('key');
    expect(keyData.failedCandidates).toEqual([
      expect.stringMatching(/^referrers signature sha256:[0-9a-f]{64}: made with another signing method$/),
    ]);
  });
});
