// The PKCS #11 commands of the built CLI against a real SoftHSM2 token: sign pkcs11-key / pkcs11-certificate
// (both spellings), pkcs11 export-public-key, and one-line failures. Signatures are checked with the
// verifying API, the public key against gnutls' p11tool, the certificates made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config as VerifyConfig } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { createSoftHsmToken, type SoftHsmToken, softHsmSkipReason } from '../../pkcs11/test/softhsm.js';
import { expectShape } from './json-schema.js';

const skipReason = softHsmSkipReason();

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * With the openssl CLI: root CA → intermediate CA → leaf certificate for `publicKeyFile` (the token's key,
 * which openssl cannot hold, hence `-force_pubkey`). Returns the PEM file paths.
 */
function opensslChain(dir: string, publicKeyFile: string) {
  const ca = [
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ];
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key'], dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'root.key',
      '-subj',
      '/CN=CLI Root',
      '-days',
      '30',
      ...ca,
      '-out',
      'root.pem',
    ],
    dir,
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'inter.key'], dir);
  openssl(['req', '-new', '-key', 'inter.key', '-subj', '/CN=CLI Intermediate', '-out', 'inter.csr'], dir);
  writeFileSync(
    path.join(dir, 'inter.ext'),
    'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'inter.csr',
      '-CA',
      'root.pem',
      '-CAkey',
      'root.key',
      '-CAcreateserial',
      '-days',
      '30',
    ].concat(['-extfile', 'inter.ext', '-out', 'inter.pem']),
    dir,
  );
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'throwaway.key'], dir);
  openssl(['req', '-new', '-key', 'throwaway.key', '-subj', '/CN=CLI Token Signer', '-out', 'leaf.csr'], dir);
  writeFileSync(
    path.join(dir, 'leaf.ext'),
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'inter.pem',
      '-CAkey',
      'inter.key',
      '-CAcreateserial',
      '-days',
      '30',
    ].concat(['-force_pubkey', publicKeyFile, '-extfile', 'leaf.ext', '-out', 'leaf.pem']),
    dir,
  );
  return {
    root: path.join(dir, 'root.pem'),
    inter: path.join(dir, 'inter.pem'),
    leaf: path.join(dir, 'leaf.pem'),
  };
}

describe.skipIf(skipReason !== undefined)(
  `model-signing PKCS #11 commands${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let token: SoftHsmToken;
    let work: string;
    let model: string;
    let pubFile: string;

    beforeAll(async () => {
      token = await createSoftHsmToken('cli-test-token');
      token.generateKey('EC:secp384r1', '0a', 'cli-key');
      work = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-pkcs11-'));
      model = path.join(work, 'model');
      mkdirSync(path.join(model, 'sub'), { recursive: true });
      writeFileSync(path.join(model, 'weights.bin'), 'weights');
      writeFileSync(path.join(model, 'sub', 'config.json'), '{}');
      pubFile = path.join(work, 'p11tool.pem');
      writeFileSync(pubFile, token.exportPublicKeyWithP11tool('0a'));
    });

    afterAll(async () => {
      await token?.cleanup();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('sign pkcs11-key writes a key bundle that verifies with the p11tool public key', async () => {
      const signature = path.join(work, 'key.sig');
      const result = await runCli([
        'sign',
        'pkcs11-key',
        '--pkcs11-uri',
        token.uri('object=cli-key'),
        '--signature',
        signature,
        model,
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Signing succeeded\n');
      const verified = await new VerifyConfig()
        .useEllipticKeyVerifier({ publicKey: pubFile })
        .verify(model, signature);
      expect(verified.files).toEqual(['sub/config.json', 'weights.bin']);
      // Upstream's scripts/pkcs11-tests/test_pkcs11.sh: verify key with the Python flag spelling.
      const cliVerify = await runCli([
        'verify',
        'key',
        '--signature',
        signature,
        '--public_key',
        pubFile,
        model,
      ]);
      expect(cliVerify.stderr).toBe('');
      expect(cliVerify.code).toBe(0);
    });

    it('accepts the Python spellings pkcs11_key and --pkcs11_uri, and --json', async () => {
      const signature = path.join(work, 'underscore.sig');
      const result = await runCli([
        'sign',
        'pkcs11_key',
        '--pkcs11_uri',
        token.uri('id=%0a'),
        '--signature',
        signature,
        '--json',
        model,
      ]);
      expect(result.code).toBe(0);
      const out = expectShape(result.stdout, 'sign');
      expect(out).toMatchObject({ status: 'success', method: 'pkcs11-key', signature, modelName: 'model' });
      await new VerifyConfig().useEllipticKeyVerifier({ publicKey: pubFile }).verify(model, signature);
    });

    it('sign pkcs11-certificate writes leaf + chain that verify against the root (openssl-made chain)', async () => {
      const pki = path.join(work, 'pki');
      mkdirSync(pki);
      const files = opensslChain(pki, pubFile);
      const signature = path.join(work, 'cert.sig');
      const result = await runCli([
        'sign',
        'pkcs11_certificate',
        '--pkcs11_uri',
        token.uri('object=cli-key'),
        '--signing_certificate',
        files.leaf,
        '--certificate-chain',
        files.inter,
        '--signature',
        signature,
        model,
      ]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const bundle = JSON.parse(readFileSync(signature, 'utf8'));
      expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(2);
      await new VerifyConfig()
        .useCertificateVerifier({ certificateChain: [files.root] })
        .verify(model, signature);
      const cliVerify = await runCli([
        'verify',
        'certificate',
        '--signature',
        signature,
        '--certificate-chain',
        files.root,
        model,
      ]);
      expect(cliVerify.stderr).toBe('');
      expect(cliVerify.code).toBe(0);

      // A certificate for another key is refused before anything is written.
      const other = await runCli([
        'sign',
        'pkcs11-certificate',
        '--pkcs11-uri',
        token.uri('object=cli-key'),
        '--signing-certificate',
        files.inter,
        '--signature',
        path.join(work, 'mismatch.sig'),
        model,
      ]);
      expect(other.code).toBe(1);
      expect(other.stderr).toBe(
        'Signing failed with error: The public key from the certificate does not match the public key paired with the private key\n',
      );
    });

    it('pkcs11 export-public-key prints or writes the same PEM as p11tool', async () => {
      const pem = readFileSync(pubFile, 'utf8');
      const uri = `pkcs11:token=${token.label};object=cli-key?module-path=${token.module}`;
      const printed = await runCli(['pkcs11', 'export-public-key', '--pkcs11-uri', uri]);
      expect(printed.stderr).toBe('');
      expect(printed.code).toBe(0);
      expect(printed.stdout).toBe(pem);
      const out = path.join(work, 'exported.pem');
      const written = await runCli([
        'pkcs11',
        'export_public_key',
        '--pkcs11_uri',
        uri,
        '--output',
        out,
        '--json',
      ]);
      expect(written.code).toBe(0);
      expect(expectShape(written.stdout, 'pkcs11ExportPublicKey')).toEqual({
        status: 'success',
        publicKey: pem,
        output: out,
      });
      expect(readFileSync(out, 'utf8')).toBe(pem);
    });

    it('fails with one line and exit 1 on token errors, never showing the PIN; exit 2 without --pkcs11-uri', async () => {
      const signature = path.join(work, 'never.sig');
      const wrongPin = await runCli([
        'sign',
        'pkcs11-key',
        '--pkcs11-uri',
        `pkcs11:token=${token.label};object=cli-key?pin-value=13579&module-path=${token.module}`,
        '--signature',
        signature,
        model,
      ]);
      expect(wrongPin.code).toBe(1);
      expect(wrongPin.stderr).toBe(
        `Signing failed with error: Login to PKCS #11 token '${token.label}' failed: the PIN is incorrect\n`,
      );
      expect(wrongPin.stdout + wrongPin.stderr).not.toContain('13579');

      const noKey = await runCli([
        'sign',
        'pkcs11-key',
        '--pkcs11-uri',
        token.uri('object=nope'),
        '--signature',
        signature,
        model,
      ]);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toBe(
        `Signing failed with error: Could not find a private key with label 'nope' on PKCS #11 token '${token.label}'\n`,
      );

      const noModule = await runCli([
        'pkcs11',
        'export-public-key',
        '--pkcs11-uri',
        `pkcs11:token=${token.label};object=cli-key?module-path=/nonexistent/libsofthsm2.so`,
      ]);
      expect(noModule.code).toBe(1);
      expect(noModule.stderr).toBe(
        'Exporting the public key failed with error: PKCS #11 module not found: /nonexistent/libsofthsm2.so\n',
      );

      const usage = await runCli(['sign', 'pkcs11-key', '--signature', signature, model]);
      expect(usage.code).toBe(2);
      expect(() => readFileSync(signature)).toThrow();
    });
  },
);

describe('model-signing PKCS #11 usage errors (no token needed)', () => {
  it('verify pkcs11-key / pkcs11_certificate point to verify key / certificate (exit 2, as click)', async () => {
    const key = await runCli([
      'verify',
      'pkcs11-key',
      '--signature',
      'model.sig',
      '--public-key',
      'pub.pem',
      '.',
    ]);
    expect(key.code).toBe(2);
    expect(key.stderr.split('\n')[0]).toBe(
      "Error: No such command 'pkcs11-key': pkcs11-key signatures are verified with `verify key --public-key PEM` (get the PEM with `model-signing pkcs11 export-public-key`)",
    );
    const certificate = await runCli(['verify', 'pkcs11_certificate', '.']);
    expect(certificate.code).toBe(2);
    expect(certificate.stderr).toContain('verified with `verify certificate`');
    const help = await runCli(['verify', '--help']);
    expect(help.stdout).not.toContain('pkcs11');
  });

  it('pkcs11 without a subcommand is a usage error; export-public-key needs --pkcs11-uri', async () => {
    const bare = await runCli(['pkcs11']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('model-signing pkcs11 export-public-key --pkcs11-uri URI');
    const missing = await runCli(['pkcs11', 'export-public-key']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--pkcs11-uri <uri>' not specified");
    const malformed = await runCli([
      'pkcs11',
      'export-public-key',
      '--pkcs11-uri',
      'pkcs11:object=k;?pin-value=1',
    ]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toBe(
      'Exporting the public key failed with error: Malformed pkcs11 URI: malformed path attribute\n',
    );
  });
});
