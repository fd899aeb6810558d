import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { modelImage, pushImage, signatureTagOf, skopeoRaw } from '../../../test-support/oci/layout.js';
import { freePort, startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';

const skip = registryToolsMissing();

describe.skipIf(skip)('model-signing sign/verify key with image targets', () => {
  let plain: TestRegistry;
  let secure: TestRegistry;
  let dir: string;
  let priv: string;
  let pub: string;
  beforeAll(async () => {
    [plain, secure] = await Promise.all([
      startRegistry({ tls: false }),
      startRegistry({ tls: true, htpasswd: true }),
    ]);
    dir = mkdtempSync(path.join(tmpdir(), 'ms-cli-oci-'));
    priv = path.join(dir, 'key.pem');
    pub = path.join(dir, 'pub.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', priv]);
    execFileSync('openssl', ['ec', '-in', priv, '-pubout', '-out', pub], { stdio: 'ignore' });
  });
  afterAll(async () => {
    await plain?.stop();
    await secure?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in tag mode over plain HTTP and verifies, with the fork’s output lines', async () => {
    const { digest } = pushImage(plain, 'cli/model', 'v1', modelImage({ 'model.bin': 'cli weights' }));
    const ref = `${plain.host}/cli/model:v1`;
    const signed = await runCli(
      ['sign', 'key', ref, '--private-key', priv, '--attachment-mode', 'tag', '--plain-http'],
      { cwd: dir },
    );
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const tag = signatureTagOf(digest);
    expect(signed.stdout).toMatch(
      new RegExp(
        `^Pushing signature to: ${plain.host}/cli/model:${tag}\nSignature pushed: sha256:[0-9a-f]{64}\n$`,
      ),
    );
    expect(JSON.parse(skopeoRaw(plain, `cli/model:${tag}`)).layers[0].mediaType).toBe(
      'application/vnd.dev.sigstore.bundle.v0.3+json',
    );

    const verified = await runCli(['verify', 'key', ref, '--public-key', pub, '--plain-http'], { cwd: dir });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toBe(
      `Verifying: ${ref}\nFetching signature from registry...\n\nThe following checks were performed:\n  - Signature verified against public key\n\nVerification succeeded\n`,
    );
    const json = await runCli(
      ['verify', 'key', ref, '--public_key', pub, '--plain_http', '--json', '--attachment-mode', 'tag'],
      { cwd: dir },
    );
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout);
    expect(data).toMatchObject({
      status: 'success',
      method: 'key',
      imageDigest: digest,
      signatureSource: { kind: 'tag', location: tag },
    });
    expect(data.files).toEqual(['config.json', 'model.bin']);
  });

  it('verifies --local-model and reports a changed local file', async () => {
    pushImage(plain, 'cli/local', 'v1', modelImage({ 'model.bin': 'local' }));
    const ref = `oci://${plain.host}/cli/local:v1`;
    const signature = path.join(dir, 'local.sig');
    const signed = await runCli(
      [
        'sign',
        'key',
        ref,
        '--private-key',
        priv,
        '--plain-http',
        '--output-mode',
        'both',
        '--signature',
        signature,
        '--attachment-mode',
        'tag',
      ],
      { cwd: dir },
    );
    expect(signed.code).toBe(0);
    expect(signed.stdout).toContain(`Signature written to: ${signature}`);
    const local = path.join(dir, 'local-model');
    mkdirSync(local);
    writeFileSync(path.join(local, 'model.bin'), 'local');
    writeFileSync(path.join(local, 'config.json'), '{}');
    const ok = await runCli(
      [
        'verify',
        'key',
        ref,
        '--public-key',
        pub,
        '--plain-http',
        '--local-model',
        local,
        '--signature',
        signature,
      ],
      { cwd: dir },
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`Signature: ${signature}\n`);
    expect(ok.stdout).toContain(`Local files verified: ${local}\n`);
    writeFileSync(path.join(local, 'model.bin'), 'changed');
    const bad = await runCli(
      ['verify', 'key', ref, '--public-key', pub, '--plain-http', '--local-model', local],
      { cwd: dir },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^Verification failed with error: .*model.bin: expected sha256:/s);
  });

  it('talks TLS with --registry-ca or NODE_EXTRA_CA_CERTS and htpasswd credentials; wrong ones give one line without the secret', async () => {
    pushImage(secure, 'cli/secure', 'v1', modelImage({ 'w.bin': 'secure' }));
    const ref = `${secure.host}/cli/secure:v1`;
    const { username, password } = secure.credentials!;
    const signed = await runCli(
      [
        'sign',
        'key',
        ref,
        '--private-key',
        priv,
        '--attachment-mode',
        'tag',
        '--registry-ca',
        secure.pki!.caFile,
        '--registry-username',
        username,
      ],
      { cwd: dir, env: { MODEL_SIGNING_REGISTRY_PASSWORD: password } },
    );
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const authFile = path.join(dir, 'auth.json');
    writeFileSync(
      authFile,
      JSON.stringify({
        auths: { [secure.host]: { auth: Buffer.from(`${username}:${password}`).toString('base64') } },
      }),
    );
    const verified = await runCli(['verify', 'key', ref, '--public-key', pub], {
      cwd: dir,
      env: { NODE_EXTRA_CA_CERTS: secure.pki!.caFile, REGISTRY_AUTH_FILE: authFile },
    });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const wrong = await runCli(
      [
        'verify',
        'key',
        ref,
        '--public-key',
        pub,
        '--registry-ca',
        secure.pki!.caFile,
        '--registry-username',
        username,
        '--registry-password',
        'not-the-pw-42',
      ],
      { cwd: dir },
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      `Verification failed with error: Registry ${secure.host} rejected the credentials from the explicit registry credentials (401)\n`,
    );
    expect(wrong.stderr + wrong.stdout).not.toContain('not-the-pw-42');
  });

  it('says "no such file or directory" for a mistyped local path and needs --signature for local models', async () => {
    const missing = await runCli(['sign', 'key', './my-model', '--private-key', priv], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('./my-model: no such file or directory');
    mkdirSync(path.join(dir, 'm'), { recursive: true });
    const badMode = await runCli(
      ['sign', 'key', 'h:5000/r:t', '--private-key', priv, '--attachment-mode', 'sideways'],
      { cwd: dir },
    );
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toContain("Invalid attachment mode 'sideways'. Must be 'referrers' or 'tag'.");
    const badOutput = await runCli(
      ['verify', 'key', 'h:5000/r:t', '--public-key', pub, '--attachment-mode', 'x'],
      { cwd: dir },
    );
    expect(badOutput.code).toBe(2);
    expect(badOutput.stdout).toBe('');
    const noSig = await runCli(['verify', 'key', 'm', '--public-key', pub], { cwd: dir });
    expect(noSig.code).toBe(2);
    expect(noSig.stderr).toContain('--signature is required when verifying local files');
  });

  it('fails in bounded time on an unreachable registry', async () => {
    const port = await freePort();
    const result = await runCli(
      ['verify', 'key', `127.0.0.1:${port}/x/y:v1`, '--public-key', pub, '--plain-http'],
      {
        cwd: dir,
        timeoutMs: 60_000,
      },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^Verification failed with error: Cannot reach registry 127\\.0\\.0\\.1:${port} .*ECONNREFUSED: nothing listens there; check the host and port\n$`,
      ),
    );
  });
});
