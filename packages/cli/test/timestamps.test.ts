// RFC 3161 timestamps through the built CLI: `sign … --timestamp-server` against OpenSSL's `openssl ts` TSA on
// 127.0.0.1, `verify … --timestamp-authority/--min-timestamps`, an openssl-made leaf that expires between
// signing and verification, and PKCS #11 keys on a SoftHSM2 token.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import {
  makeTsaPki,
  opensslVerifyTimestamp,
  type RunningTsa,
  startTsa,
  type TsaPki,
} from '../../../test-support/tsa/index.js';
import { createSoftHsmToken, softHsmSkipReason } from '../../pkcs11/test/softhsm.js';

let work: string;
let model: string;
let alpha: TsaPki;
let beta: TsaPki;
let alphaTsa: RunningTsa;
let betaTsa: RunningTsa;

function openssl(args: readonly string[], cwd = work): string {
  return execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-tsa-'));
  model = path.join(work, 'model');
  mkdirSync(model);
  writeFileSync(path.join(model, 'weights.bin'), 'weights');
  alpha = await makeTsaPki(work, 'alpha');
  beta = await makeTsaPki(work, 'beta');
  alphaTsa = await startTsa(alpha);
  betaTsa = await startTsa(beta);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sec1.key']);
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', 'sec1.key', '-out', 'key.pem']);
  openssl(['ec', '-in', 'key.pem', '-pubout', '-out', 'key.pub.pem']);
}, 60_000);

afterAll(async () => {
  await alphaTsa?.close();
  await betaTsa?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const tokens = (signature: string) =>
  (
    JSON.parse(readFileSync(signature, 'utf8')).verificationMaterial.timestampVerificationData
      .rfc3161Timestamps as { signedTimestamp: string }[]
  ).map((t) => Buffer.from(t.signedTimestamp, 'base64'));
const sig = (signature: string) =>
  Buffer.from(JSON.parse(readFileSync(signature, 'utf8')).dsseEnvelope.signatures[0].sig, 'base64');

const TIMESTAMP_LINE = (n: number, who: string, trust: string) =>
  new RegExp(`^Timestamp ${n}: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by 'CN=${who} TSA' \\(${trust}\\)$`, 'm');

describe('model-signing sign/verify with RFC 3161 timestamps', () => {
  it('sign key --timestamp-server (twice), then verify key --timestamp-authority --min-timestamps 2', async () => {
    const signature = path.join(work, 'key.sig');
    const signed = await runCli([
      'sign',
      'key',
      '--private-key',
      path.join(work, 'key.pem'),
      '--timestamp-server',
      alphaTsa.url,
      '--timestamp_server',
      betaTsa.url,
      '--signature',
      signature,
      model,
    ]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const [first, second] = tokens(signature);
    expect(await opensslVerifyTimestamp(work, first as Buffer, sig(signature), alpha.rootPem)).toContain(
      'Verification: OK',
    );
    expect(await opensslVerifyTimestamp(work, second as Buffer, sig(signature), beta.rootPem)).toContain(
      'Verification: OK',
    );

    const verified = await runCli([
      'verify',
      'key',
      '--public-key',
      path.join(work, 'key.pub.pem'),
      '--signature',
      signature,
      '--timestamp-authority',
      alpha.chainPem,
      '--timestamp-authority',
      beta.chainPem,
      '--min-timestamps',
      '2',
      model,
    ]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));
    expect(verified.stdout).toMatch(TIMESTAMP_LINE(2, 'beta', 'verified'));
    expect(verified.stdout.endsWith('Verification succeeded\n')).toBe(true);

    const json = await runCli([
      'verify',
      'key',
      '--public-key',
      path.join(work, 'key.pub.pem'),
      '--signature',
      signature,
      '--json',
      model,
    ]);
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(
      out.timestamps.map((t: { authority: string; verified: boolean }) => [t.authority, t.verified]),
    ).toEqual([
      ['CN=alpha TSA', false],
      ['CN=beta TSA', false],
    ]);

    const plain = await runCli([
      'verify',
      'key',
      '--public-key',
      path.join(work, 'key.pub.pem'),
      '--signature',
      signature,
      model,
    ]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'not verified: no --timestamp-authority given'));

    const tooMany = await runCli([
      'verify',
      'key',
      '--public-key',
      path.join(work, 'key.pub.pem'),
      '--signature',
      signature,
      '--timestamp-authority',
      alpha.chainPem,
      '--min-timestamps',
      '3',
      model,
    ]);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toBe(
      'Verification failed with error: The signature carries 2 RFC 3161 timestamp(s), but 3 are required (--min-timestamps)\n',
    );
  });

  it('--min-timestamps without --timestamp-authority, or not a number, is a usage error', async () => {
    const base = [
      'verify',
      'key',
      '--public-key',
      path.join(work, 'key.pub.pem'),
      '--signature',
      'x.sig',
      model,
    ];
    const alone = await runCli([...base, '--min-timestamps', '1']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("Option '--min-timestamps' needs '--timestamp-authority'");
    const word = await runCli([...base, '--timestamp-authority', alpha.chainPem, '--min-timestamps', 'two']);
    expect(word.code).toBe(2);
  });

  it('a failing authority fails signing with one line and leaves no signature file', async () => {
    const failing = await startTsa(alpha, { failWithStatus: 500 });
    try {
      const signature = path.join(work, 'failed.sig');
      const result = await runCli([
        'sign',
        'key',
        '--private-key',
        path.join(work, 'key.pem'),
        '--timestamp-server',
        failing.url,
        '--signature',
        signature,
        model,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `Signing failed with error: The timestamp server ${failing.url} answered HTTP 500 Internal Server Error; check the --timestamp-server URL or leave it out\n`,
      );
      expect(existsSync(signature)).toBe(false);
    } finally {
      await failing.close();
    }
  });

  it('verify certificate: a leaf that expired after signing verifies only at its trusted timestamp', async () => {
    // An openssl CA whose leaf expires a few seconds from now (`openssl ca -enddate`).
    const ca = path.join(work, 'ca');
    mkdirSync(ca);
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key'], ca);
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
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        'root.pem',
      ],
      ca,
    );
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key'], ca);
    openssl(['req', '-new', '-key', 'leaf.key', '-subj', '/CN=Short-lived Signer', '-out', 'leaf.csr'], ca);
    writeFileSync(
      path.join(ca, 'ca.cnf'),
      [
        '[ca]',
        'default_ca = c',
        '[c]',
        'database = ./index.txt',
        'new_certs_dir = .',
        'serial = ./serial',
        'default_md = sha256',
        'policy = p',
        'unique_subject = no',
        '[p]',
        'commonName = supplied',
        '[leaf]',
        'keyUsage = critical,digitalSignature',
        'extendedKeyUsage = codeSigning',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(ca, 'index.txt'), '');
    writeFileSync(path.join(ca, 'serial'), '20\n');
    const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
    const notAfter = new Date(Date.now() + 4000);
    openssl(
      [
        'ca',
        '-batch',
        '-config',
        'ca.cnf',
        '-cert',
        'root.pem',
        '-keyfile',
        'root.key',
        '-in',
        'leaf.csr',
        '-out',
        'leaf.pem',
        '-startdate',
        stamp(new Date(Date.now() - 3_600_000)),
        '-enddate',
        stamp(notAfter),
        '-extensions',
        'leaf',
        '-notext',
      ],
      ca,
    );
    const signature = path.join(work, 'cert.sig');
    const signed = await runCli([
      'sign',
      'certificate',
      '--private-key',
      path.join(ca, 'leaf.key'),
      '--signing-certificate',
      path.join(ca, 'leaf.pem'),
      '--timestamp-server',
      alphaTsa.url,
      '--signature',
      signature,
      model,
    ]);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    // Wait until openssl itself calls the leaf expired.
    const expired = () => {
      try {
        openssl(['x509', '-in', 'leaf.pem', '-noout', '-checkend', '0'], ca);
        return false;
      } catch {
        return true;
      }
    };
    while (!expired()) await new Promise((resolve) => setTimeout(resolve, 250));

    const trusted = await runCli([
      'verify',
      'certificate',
      '--certificate-chain',
      path.join(ca, 'root.pem'),
      '--timestamp-authority',
      alpha.chainPem,
      '--signature',
      signature,
      model,
    ]);
    expect(trusted.stderr).toBe('');
    expect(trusted.code).toBe(0);
    expect(trusted.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));

    const untrusted = await runCli([
      'verify',
      'certificate',
      '--certificate-chain',
      path.join(ca, 'root.pem'),
      '--signature',
      signature,
      model,
    ]);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /^Verification failed with error: Certificate 'CN=Short-lived Signer' .* has expired: valid until .*; the signature's 1 timestamp\(s\) are not trusted without --timestamp-authority\n$/,
    );

    const unlisted = await runCli([
      'verify',
      'certificate',
      '--certificate-chain',
      path.join(ca, 'root.pem'),
      '--timestamp-authority',
      beta.chainPem,
      '--signature',
      signature,
      model,
    ]);
    expect(unlisted.code).toBe(1);
    expect(unlisted.stderr).toMatch(
      /^Verification failed with error: Timestamp 1 of 1 is not trusted: The timestamp authority certificate 'CN=alpha TSA' .* does not chain to a trusted root/,
    );
  });
});

const skipReason = softHsmSkipReason();

describe.skipIf(skipReason !== undefined)(
  `PKCS #11 signing with timestamps${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    it('sign pkcs11-key --timestamp-server, verify key --timestamp-authority', async () => {
      const token = await createSoftHsmToken('tsa-test-token');
      try {
        token.generateKey('EC:prime256v1', '0b', 'tsa-key');
        const pub = path.join(work, 'p11.pub.pem');
        writeFileSync(pub, token.exportPublicKeyWithP11tool('0b'));
        const signature = path.join(work, 'p11.sig');
        const signed = await runCli([
          'sign',
          'pkcs11-key',
          '--pkcs11-uri',
          token.uri('object=tsa-key'),
          '--timestamp-server',
          alphaTsa.url,
          '--signature',
          signature,
          model,
        ]);
        expect(signed.stderr).toBe('');
        expect(signed.code).toBe(0);
        const [token1] = tokens(signature);
        expect(await opensslVerifyTimestamp(work, token1 as Buffer, sig(signature), alpha.rootPem)).toContain(
          'Verification: OK',
        );
        const verified = await runCli([
          'verify',
          'key',
          '--public-key',
          pub,
          '--timestamp-authority',
          alpha.chainPem,
          '--signature',
          signature,
          model,
        ]);
        expect(verified.stderr).toBe('');
        expect(verified.code).toBe(0);
        expect(verified.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));
      } finally {
        await token.cleanup();
      }
    });
  },
);
