// RFC 3161 timestamps through the built CLI: `sign … --timestamp-server` against OpenSSL's `openssl ts` TSA on
// 127.0.0.1, `verify … --timestamp-authority/--min-timestamps`, an openssl-made leaf that expires between
// signing and verification, and PKCS #11 keys on a SoftHSM2 token.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../../../test-support/cli.js';
import {
  type IssueOptions,
  openssl,
  opensslIssue,
  opensslRequest,
  opensslRoot,
} from '../../../test-support/openssl-ca.js';
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

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-tsa-'));
  model = path.join(work, 'model');
  mkdirSync(model);
  writeFileSync(path.join(model, 'weights.bin'), 'weights');
  alpha = await makeTsaPki(work, 'alpha');
  beta = await makeTsaPki(work, 'beta');
  alphaTsa = await startTsa(alpha);
  betaTsa = await startTsa(beta);
  await openssl(work, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sec1.key']);
  await openssl(work, ['pkcs8', '-topk8', '-nocrypt', '-in', 'sec1.key', '-out', 'key.pem']);
  await openssl(work, ['ec', '-in', 'key.pem', '-pubout', '-out', 'key.pub.pem']);
}, 60_000);

afterAll(async () => {
  await alphaTsa?.close();
  await betaTsa?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const bundleOf = (signature: string) => JSON.parse(readFileSync(signature, 'utf8'));
const tokens = (signature: string) =>
  (
    bundleOf(signature).verificationMaterial.timestampVerificationData.rfc3161Timestamps as {
      signedTimestamp: string;
    }[]
  ).map((t) => Buffer.from(t.signedTimestamp, 'base64'));
const sig = (signature: string) => Buffer.from(bundleOf(signature).dsseEnvelope.signatures[0].sig, 'base64');

/** openssl ts -verify of the bundle's token `index` against `tsa`'s root. */
async function opensslAccepts(signature: string, index: number, tsa: TsaPki): Promise<void> {
  const token = tokens(signature)[index] as Buffer;
  expect(await opensslVerifyTimestamp(work, token, sig(signature), tsa.rootPem)).toContain(
    'Verification: OK',
  );
}

const TIMESTAMP_LINE = (n: number, who: string, trust: string) =>
  new RegExp(`^Timestamp ${n}: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z by 'CN=${who} TSA' \\(${trust}\\)$`, 'm');

const signKey = (signature: string, ...extra: string[]) =>
  runCli([
    'sign',
    'key',
    '--private-key',
    path.join(work, 'key.pem'),
    '--signature',
    signature,
    ...extra,
    model,
  ]);
const verifyKey = (signature: string, ...extra: string[]) =>
  runCli([
    ...['verify', 'key', '--public-key', path.join(work, 'key.pub.pem')],
    ...['--signature', signature, ...extra, model],
  ]);

/** An openssl root CA in `work/<dir>` and its code-signing leaf `leaf.pem` (key `leaf.key`) for `name`. */
async function signingCa(
  dir: string,
  name: string,
  options: Pick<IssueOptions, 'validity' | 'publicKey'>,
): Promise<string> {
  const ca = path.join(work, dir);
  mkdirSync(ca);
  await opensslRoot(ca, `/CN=${name} Root`);
  await opensslRequest(ca, 'leaf', `/CN=${name}`);
  await opensslIssue(ca, {
    ...options,
    csr: 'leaf.csr',
    out: 'leaf.pem',
    serial: 0x20,
    extensions: [
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=codeSigning',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
    ],
  });
  return ca;
}

function succeeded(result: CliResult): void {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}

describe('model-signing sign/verify with RFC 3161 timestamps', () => {
  it('sign key --timestamp-server (twice), then verify key --timestamp-authority --min-timestamps 2', async () => {
    const signature = path.join(work, 'key.sig');
    succeeded(
      await signKey(signature, '--timestamp-server', alphaTsa.url, '--timestamp_server', betaTsa.url),
    );
    await opensslAccepts(signature, 0, alpha);
    await opensslAccepts(signature, 1, beta);

    const both = ['--timestamp-authority', alpha.chainPem, '--timestamp-authority', beta.chainPem];
    const verified = await verifyKey(signature, ...both, '--min-timestamps', '2');
    succeeded(verified);
    expect(verified.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));
    expect(verified.stdout).toMatch(TIMESTAMP_LINE(2, 'beta', 'verified'));
    expect(verified.stdout.endsWith('Verification succeeded\n')).toBe(true);

    const json = await verifyKey(signature, '--json');
    succeeded(json);
    const listed = JSON.parse(json.stdout).timestamps.map((t: { authority: string; verified: boolean }) => [
      t.authority,
      t.verified,
    ]);
    expect(listed).toEqual([
      ['CN=alpha TSA', false],
      ['CN=beta TSA', false],
    ]);

    const plain = await verifyKey(signature);
    succeeded(plain);
    expect(plain.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'not verified: no --timestamp-authority given'));

    const tooMany = await verifyKey(
      signature,
      '--timestamp-authority',
      alpha.chainPem,
      '--min-timestamps',
      '3',
    );
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toBe(
      'Verification failed with error: The signature carries 2 RFC 3161 timestamp(s), but 3 are required (--min-timestamps)\n',
    );
  });

  it('--min-timestamps without --timestamp-authority, or not a number, is a usage error', async () => {
    const alone = await verifyKey('x.sig', '--min-timestamps', '1');
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("Option '--min-timestamps' needs '--timestamp-authority'");
    const word = await verifyKey('x.sig', '--timestamp-authority', alpha.chainPem, '--min-timestamps', 'two');
    expect(word.code).toBe(2);
  });

  it('a failing authority fails signing with one line and leaves no signature file', async () => {
    const failing = await startTsa(alpha, { failWithStatus: 500 });
    try {
      const signature = path.join(work, 'failed.sig');
      const result = await signKey(signature, '--timestamp-server', failing.url);
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
    // An openssl CA whose leaf expires a few seconds from now.
    const ca = await signingCa('ca', 'Short-lived Signer', {
      validity: { start: new Date(Date.now() - 3_600_000), end: new Date(Date.now() + 4000) },
    });
    const signature = path.join(work, 'cert.sig');
    const signed = await runCli([
      ...['sign', 'certificate', '--private-key', path.join(ca, 'leaf.key')],
      ...['--signing-certificate', path.join(ca, 'leaf.pem'), '--timestamp-server', alphaTsa.url],
      ...['--signature', signature, model],
    ]);
    succeeded(signed);
    // Wait until openssl itself calls the leaf expired (-checkend 0 fails once it has).
    const expired = () =>
      openssl(ca, ['x509', '-in', 'leaf.pem', '-noout', '-checkend', '0']).then(
        () => false,
        () => true,
      );
    while (!(await expired())) await new Promise((resolve) => setTimeout(resolve, 250));

    const verifyCertificate = (...extra: string[]) =>
      runCli([
        ...['verify', 'certificate', '--certificate-chain', path.join(ca, 'root.pem')],
        ...['--signature', signature, ...extra, model],
      ]);
    const trusted = await verifyCertificate('--timestamp-authority', alpha.chainPem);
    succeeded(trusted);
    expect(trusted.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));

    const untrusted = await verifyCertificate();
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(
      /^Verification failed with error: Certificate 'CN=Short-lived Signer' .* has expired: valid until .*; the signature's 1 timestamp\(s\) are not trusted without --timestamp-authority\n$/,
    );

    const unlisted = await verifyCertificate('--timestamp-authority', beta.chainPem);
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
    it('sign pkcs11-key and pkcs11-certificate --timestamp-server, verify key|certificate --timestamp-authority', async () => {
      const token = await createSoftHsmToken('tsa-test-token');
      try {
        token.generateKey('EC:prime256v1', '0b', 'tsa-key');
        const pub = path.join(work, 'p11.pub.pem');
        writeFileSync(pub, token.exportPublicKeyWithP11tool('0b'));
        const signature = path.join(work, 'p11.sig');
        const signed = await runCli([
          ...['sign', 'pkcs11-key', '--pkcs11-uri', token.uri('object=tsa-key')],
          ...['--timestamp-server', alphaTsa.url, '--signature', signature, model],
        ]);
        succeeded(signed);
        await opensslAccepts(signature, 0, alpha);
        const verified = await runCli([
          ...['verify', 'key', '--public-key', pub, '--timestamp-authority', alpha.chainPem],
          ...['--signature', signature, model],
        ]);
        succeeded(verified);
        expect(verified.stdout).toMatch(TIMESTAMP_LINE(1, 'alpha', 'verified'));

        // pkcs11-certificate: an openssl CA certifies the token's key.
        const ca = await signingCa('p11-ca', 'Token Signer', { validity: { days: 10 }, publicKey: pub });
        const certSignature = path.join(work, 'p11-cert.sig');
        succeeded(
          await runCli([
            ...['sign', 'pkcs11-certificate', '--pkcs11-uri', token.uri('object=tsa-key')],
            ...['--signing-certificate', path.join(ca, 'leaf.pem'), '--timestamp-server', betaTsa.url],
            ...['--signature', certSignature, model],
          ]),
        );
        await opensslAccepts(certSignature, 0, beta);
        const certVerified = await runCli([
          ...['verify', 'certificate', '--certificate-chain', path.join(ca, 'root.pem')],
          ...['--timestamp-authority', beta.chainPem, '--signature', certSignature, model],
        ]);
        succeeded(certVerified);
        expect(certVerified.stdout).toMatch(TIMESTAMP_LINE(1, 'beta', 'verified'));
      } finally {
        await token.cleanup();
      }
    });
  },
);
