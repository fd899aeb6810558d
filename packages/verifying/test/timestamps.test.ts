import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config as SigningConfig, SigningError } from '@model-signing/signing';
import { Config, readBundle } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTsaPki,
  opensslTimestampText,
  opensslVerifyTimestamp,
  type RunningTsa,
  startTsa,
  type TsaPki,
} from '../../../test-support/tsa/index.js';
import { failure, temp, tempFile, writeModel } from './helpers.js';
import { pki } from './pki.js';

const DAY = 86_400_000;

let work: string;
const authorities: Record<string, TsaPki> = {};
const servers: Record<string, RunningTsa> = {};

beforeAll(async () => {
  // Kept for the whole file (the helpers' temp() is removed after each test).
  work = mkdtempSync(path.join(tmpdir(), 'ms-tsa-'));
  for (const [name, kind] of [
    ['alpha', 'valid'],
    ['beta', 'valid'],
    ['unlisted', 'valid'],
    ['noeku', 'no-eku'],
    ['expired', 'expired'],
    ['noess', 'no-ess'],
    ['rsa', 'valid'],
  ] as const) {
    authorities[name] = await makeTsaPki(work, name, kind, name === 'rsa' ? 'rsa' : 'p256');
    servers[name] = await startTsa(authorities[name] as TsaPki);
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(servers).map((s) => s.close()));
  rmSync(work, { recursive: true, force: true });
});

const url = (name: string) => (servers[name] as RunningTsa).url;
const chain = (name: string) => (authorities[name] as TsaPki).chainPem;
const root = (name: string) => (authorities[name] as TsaPki).rootPem;

type Bundle = {
  verificationMaterial: { timestampVerificationData?: { rfc3161Timestamps: { signedTimestamp: string }[] } };
  dsseEnvelope: { signatures: { sig: string }[] };
};

const tokensOf = (bundle: Bundle) =>
  (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((t) =>
    Buffer.from(t.signedTimestamp, 'base64'),
  );
const signatureOf = (bundle: Bundle) => Buffer.from(bundle.dsseEnvelope.signatures[0]?.sig ?? '', 'base64');

/** genTime as openssl prints it (`Time stamp: Dec  4 18:02:21 2026 GMT`). */
async function opensslGenTime(response: Uint8Array): Promise<Date> {
  const text = await opensslTimestampText(work, response);
  const line = /Time stamp: (.+)/.exec(text)?.[1];
  if (!line) throw new Error(`no genTime in ${text}`);
  return new Date(line);
}

async function keySigned(servers: string[], files: Record<string, string> = { 'w.bin': 'weights' }) {
  const { leaf } = await pki(1);
  const dir = temp();
  const model = writeModel(dir, files);
  const signature = path.join(dir, 'model.sig');
  const publicKey = Buffer.from(leaf.cert.publicKey.toString('pem'));
  await new SigningConfig()
    .useEllipticKeySigner({ privateKey: Buffer.from(leaf.keyPem), timestampServers: servers.map(url) })
    .sign(model, signature);
  return {
    model,
    signature,
    publicKey,
    keyPem: leaf.keyPem,
    bundle: JSON.parse(readFileSync(signature, 'utf8')) as Bundle,
  };
}

async function certificateSigned(servers: string[]) {
  const { root: caRoot, intermediates, leaf } = await pki(2);
  const dir = temp();
  const model = writeModel(dir, { 'w.bin': 'weights', 'c/config.json': '{}' });
  const signature = path.join(dir, 'model.sig');
  await new SigningConfig()
    .useCertificateSigner({
      privateKey: Buffer.from(leaf.keyPem),
      signingCertificate: Buffer.from(leaf.pem),
      certificateChain: [tempFile('chain.pem', intermediates.map((c) => c.pem).join('\n'))],
      timestampServers: servers.map(url),
    })
    .sign(model, signature);
  // A day after the leaf expired: checked now, the chain fails; checked at the timestamp, it holds.
  const afterExpiry = () => new Date(leaf.cert.notAfter.getTime() + DAY);
  return {
    model,
    signature,
    rootPem: Buffer.from(caRoot.pem),
    afterExpiry,
    bundle: JSON.parse(readFileSync(signature, 'utf8')) as Bundle,
  };
}

describe('signing with RFC 3161 timestamps', () => {
  it('timestamps the DSSE signature with every server; openssl ts -verify accepts each token', async () => {
    const before = (servers.alpha as RunningTsa).requests();
    const { bundle } = await keySigned(['alpha', 'beta']);
    expect((servers.alpha as RunningTsa).requests()).toBe(before + 1);
    expect(Object.keys(bundle.verificationMaterial)).toEqual([
      'publicKey',
      'tlogEntries',
      'timestampVerificationData',
    ]);
    const tokens = tokensOf(bundle);
    expect(tokens).toHaveLength(2);
    const out = await opensslVerifyTimestamp(work, tokens[0] as Buffer, signatureOf(bundle), root('alpha'));
    expect(out).toContain('Verification: OK');
    const out2 = await opensslVerifyTimestamp(work, tokens[1] as Buffer, signatureOf(bundle), root('beta'));
    expect(out2).toContain('Verification: OK');
    // Our reader, which applies the Python reader's strict rules, accepts the bundle.
    expect(() => readBundle(JSON.stringify(bundle))).not.toThrow();
  });

  it('fails with one line and writes no signature when an authority answers an error', async () => {
    const failing = await startTsa(authorities.alpha as TsaPki, { failWithStatus: 503 });
    try {
      const dir = temp();
      const model = writeModel(dir, { 'w.bin': 'weights' });
      const { leaf } = await pki(1);
      const signature = path.join(dir, 'model.sig');
      const error = await new SigningConfig()
        .useEllipticKeySigner({ privateKey: Buffer.from(leaf.keyPem), timestampServers: [failing.url] })
        .sign(model, signature)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SigningError);
      expect((error as SigningError).code).toBe('TIMESTAMP_ERROR');
      expect((error as Error).message).toBe(
        `The timestamp server ${failing.url} answered HTTP 503 Service Unavailable; check the --timestamp-server URL or leave it out`,
      );
      expect(() => readFileSync(signature)).toThrow();
    } finally {
      await failing.close();
    }
  });

  it('refuses a replayed reply (another nonce, another imprint) from an authority', async () => {
    const replaying = await startTsa(authorities.alpha as TsaPki, { replayFirst: true });
    try {
      const { leaf } = await pki(1);
      const dir = temp();
      const model = writeModel(dir, { 'w.bin': 'weights' });
      const sign = () =>
        new SigningConfig()
          .useEllipticKeySigner({ privateKey: Buffer.from(leaf.keyPem), timestampServers: [replaying.url] })
          .signToBundle(model);
      await sign();
      // ECDSA signatures are randomised: the second signature differs, so the replayed token covers other data.
      const error = await sign().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SigningError);
      expect((error as Error).message).toBe(
        `The timestamp server ${replaying.url} timestamped other data than the signature sent; check the --timestamp-server URL or leave it out`,
      );
    } finally {
      await replaying.close();
    }
  });

  it('names an authority that cannot be reached', async () => {
    const gone = await startTsa(authorities.alpha as TsaPki);
    await gone.close();
    const { leaf } = await pki(1);
    const model = writeModel(temp(), { 'w.bin': 'weights' });
    const error = await new SigningConfig()
      .useEllipticKeySigner({ privateKey: Buffer.from(leaf.keyPem), timestampServers: [gone.url] })
      .signToBundle(model)
      .catch((e: unknown) => e);
    expect((error as SigningError).code).toBe('TIMESTAMP_ERROR');
    expect((error as Error).message).toMatch(
      new RegExp(
        `^The timestamp server ${gone.url} cannot be reached \\(.*ECONNREFUSED.*\\); check the --timestamp-server URL or leave it out$`,
      ),
    );
  });

  it('refuses a URL that is not http(s) before hashing', () => {
    expect(() =>
      new SigningConfig().useEllipticKeySigner({
        privateKey: Buffer.from('x'),
        timestampServers: ['ftp://x'],
      }),
    ).toThrow();
  });
});

describe('verifying RFC 3161 timestamps', () => {
  it('key method: verifies every timestamp and reports the genTime openssl reads', async () => {
    const { model, signature, publicKey, bundle } = await keySigned(['alpha', 'beta']);
    const result = await new Config()
      .useEllipticKeyVerifier({
        publicKey,
        timestampAuthorities: [chain('alpha'), chain('beta')],
        minTimestamps: 2,
      })
      .verify(model, signature);
    const expected = await Promise.all(tokensOf(bundle).map(opensslGenTime));
    expect(result.timestamps.map((t) => t.verified)).toEqual([true, true]);
    expect(result.timestamps.map((t) => t.authority)).toEqual(['CN=alpha TSA', 'CN=beta TSA']);
    // openssl prints whole seconds.
    expect(result.timestamps.map((t) => Math.floor((t.time as Date).getTime() / 1000))).toEqual(
      expected.map((d) => d.getTime() / 1000),
    );
  });

  it('verifies a token an RSA authority signed (openssl accepts it too)', async () => {
    const { model, signature, publicKey, bundle } = await keySigned(['rsa']);
    const token = tokensOf(bundle)[0] as Buffer;
    expect(await opensslVerifyTimestamp(work, token, signatureOf(bundle), root('rsa'))).toContain(
      'Verification: OK',
    );
    const result = await new Config()
      .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [chain('rsa')] })
      .verify(model, signature);
    expect(result.timestamps.map((t) => [t.authority, t.verified])).toEqual([['CN=rsa TSA', true]]);
  });

  it('key method without an authority: reports the timestamps as not verified and verifies as before', async () => {
    const { model, signature, publicKey } = await keySigned(['alpha']);
    const result = await new Config().useEllipticKeyVerifier({ publicKey }).verify(model, signature);
    expect(result.timestamps).toHaveLength(1);
    expect(result.timestamps[0]?.verified).toBe(false);
    expect(result.timestamps[0]?.authority).toBe('CN=alpha TSA');
  });

  it('certificate method: an expired leaf verifies at the time of a trusted timestamp', async () => {
    const { model, signature, rootPem, afterExpiry } = await certificateSigned(['alpha']);
    const result = await new Config()
      .useCertificateVerifier({
        certificateChain: [rootPem],
        timestampAuthorities: [chain('alpha')],
        now: afterExpiry,
      })
      .verify(model, signature);
    expect(result.timestamps[0]?.verified).toBe(true);
  });

  it('certificate method: an expired leaf with an untrusted timestamp fails, naming why', async () => {
    const { model, signature, rootPem, afterExpiry } = await certificateSigned(['alpha']);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [rootPem], now: afterExpiry })
        .verify(model, signature),
    );
    expect(error.code).toBe('UNTRUSTED_CERTIFICATE');
    expect(error.message).toMatch(
      /^Certificate 'CN=test-leaf' .* has expired: valid until .*; the signature's 1 timestamp\(s\) are not trusted without --timestamp-authority$/,
    );
  });

  /** Signs a certificate bundle with `servers` and verifies it, after the leaf expired, trusting alpha. */
  async function expiredLeafTrustingAlpha(servers: string[]) {
    const { model, signature, rootPem, afterExpiry } = await certificateSigned(servers);
    const config = new Config().useCertificateVerifier({
      certificateChain: [rootPem],
      timestampAuthorities: [chain('alpha')],
      now: afterExpiry,
    });
    const error = await failure(config.verify(model, signature));
    expect(error.code).toBe('TIMESTAMP');
    return error;
  }

  it('certificate method: an expired leaf with no timestamp fails when an authority is required', async () => {
    const error = await expiredLeafTrustingAlpha([]);
    expect(error.message).toMatch(
      /^The signature carries no RFC 3161 timestamp, but 1 verified timestamp\(s\) are required/,
    );
  });

  it('refuses a timestamp from an authority that is not listed', async () => {
    const error = await expiredLeafTrustingAlpha(['unlisted']);
    expect(error.message).toMatch(
      /^Timestamp 1 of 1 is not trusted: The timestamp authority certificate 'CN=unlisted TSA' .* does not chain to a trusted root given with the timestamp authority option/,
    );
  });

  it('refuses a timestamp made over another signature', async () => {
    const first = await keySigned(['alpha'], { 'w.bin': 'one' });
    const dir = temp();
    const model = writeModel(dir, { 'w.bin': 'two' });
    const signature = path.join(dir, 'model.sig');
    await new SigningConfig()
      .useEllipticKeySigner({ privateKey: Buffer.from(first.keyPem) })
      .sign(model, signature);
    const bundle = JSON.parse(readFileSync(signature, 'utf8'));
    bundle.verificationMaterial.timestampVerificationData =
      first.bundle.verificationMaterial.timestampVerificationData;
    writeFileSync(signature, JSON.stringify(bundle));
    // openssl agrees the token does not cover this signature.
    await expect(
      opensslVerifyTimestamp(work, tokensOf(bundle)[0] as Buffer, signatureOf(bundle), root('alpha')),
    ).rejects.toThrow(/message imprint mismatch/);
    const error = await failure(
      new Config()
        .useEllipticKeyVerifier({ publicKey: first.publicKey, timestampAuthorities: [chain('alpha')] })
        .verify(model, signature),
    );
    expect(error.code).toBe('TIMESTAMP');
    expect(error.message).toBe(
      "Timestamp 1 of 1 covers other data than this bundle's signature (it was made for another signature)",
    );
  });

  /** Signs with the authority `name`; openssl ts -verify and our verifier must both refuse its token. */
  async function refusedByBoth(name: string, opensslSays: RegExp, weSay: string | RegExp): Promise<void> {
    const { model, signature, publicKey, bundle } = await keySigned([name]);
    const token = tokensOf(bundle)[0] as Buffer;
    await expect(opensslVerifyTimestamp(work, token, signatureOf(bundle), root(name))).rejects.toThrow(
      opensslSays,
    );
    const error = await failure(
      new Config()
        .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [chain(name)] })
        .verify(model, signature),
    );
    expect(error.code).toBe('TIMESTAMP');
    if (typeof weSay === 'string') expect(error.message).toBe(weSay);
    else expect(error.message).toMatch(weSay);
  }

  it('refuses a timestamp whose authority certificate lacks the timeStamping key usage', async () => {
    await refusedByBoth(
      'noeku',
      /unsuitable certificate purpose/,
      "Timestamp 1 of 1 is signed by 'CN=noeku TSA', whose certificate has no extendedKeyUsage timeStamping",
    );
  });

  it('refuses a token that does not name its authority certificate (no ESS signing-certificate attribute)', async () => {
    await refusedByBoth(
      'noess',
      /missing signing certificate attribute/,
      'Timestamp 1 of 1 has no signing-certificate attribute naming its authority certificate (RFC 3161 §2.4.1)',
    );
  });

  it("refuses a timestamp whose genTime lies outside the authority certificate's validity", async () => {
    await refusedByBoth(
      'expired',
      /certificate has expired/,
      /^Timestamp 1 of 1 is not trusted: Certificate 'CN=expired TSA' .* has expired: valid until 2021-01-01T00:00:00.000Z$/,
    );
  });

  it('counts timestamps against the minimum and fails when any one of them is not trusted', async () => {
    const { model, signature, publicKey } = await keySigned(['alpha', 'unlisted']);
    const both = new Config().useEllipticKeyVerifier({
      publicKey,
      timestampAuthorities: [chain('alpha'), chain('unlisted')],
      minTimestamps: 2,
    });
    expect((await both.verify(model, signature)).timestamps).toHaveLength(2);
    const three = await failure(
      new Config()
        .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [chain('alpha')], minTimestamps: 3 })
        .verify(model, signature),
    );
    expect(three.message).toBe(
      'The signature carries 2 RFC 3161 timestamp(s), but 3 are required (--min-timestamps)',
    );
    const oneUnlisted = await failure(
      new Config()
        .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [chain('alpha')] })
        .verify(model, signature),
    );
    expect(oneUnlisted.message).toMatch(/^Timestamp 2 of 2 is not trusted: .*'CN=unlisted TSA'/);
  });

  it('takes the authorities from a trusted-root JSON file and honours its validFor window', async () => {
    const { model, signature, publicKey } = await keySigned(['alpha']);
    const der = (file: string) =>
      [
        ...readFileSync(file, 'utf8').matchAll(
          /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g,
        ),
      ].map((m) => ({ rawBytes: (m[1] as string).replace(/\s+/g, '') }));
    const trustedRoot = (...windows: Record<string, string>[]) =>
      tempFile(
        'trusted_root.json',
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
          timestampAuthorities: windows.map((validFor) => ({
            subject: { commonName: 'alpha' },
            certChain: { certificates: der(chain('alpha')) },
            validFor,
          })),
        }),
      );
    const open = trustedRoot({ start: new Date(Date.now() - DAY).toISOString() });
    const result = await new Config()
      .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [open] })
      .verify(model, signature);
    expect(result.timestamps[0]?.verified).toBe(true);
    const closed = trustedRoot({ start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' });
    const error = await failure(
      new Config()
        .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [closed] })
        .verify(model, signature),
    );
    expect(error.message).toMatch(
      /^Timestamp 1 of 1 has genTime .* outside the validFor window of its trusted authority$/,
    );
    // The same authority listed again with a current window (a key rotation entry) is enough.
    const both = trustedRoot(
      { start: '2020-01-01T00:00:00Z', end: '2021-01-01T00:00:00Z' },
      { start: new Date(Date.now() - DAY).toISOString() },
    );
    const rotated = await new Config()
      .useEllipticKeyVerifier({ publicKey, timestampAuthorities: [both] })
      .verify(model, signature);
    expect(rotated.timestamps[0]?.verified).toBe(true);
  });

  it('refuses a minimum without an authority and an authority file without a root', async () => {
    const { leaf } = await pki(1);
    const publicKey = Buffer.from(leaf.cert.publicKey.toString('pem'));
    expect(() => new Config().useEllipticKeyVerifier({ publicKey, minTimestamps: 1 })).toThrow(
      'A minimum number of timestamps needs a trusted timestamp authority (--timestamp-authority)',
    );
    const leafOnly = tempFile('leaf.pem', readFileSync((authorities.alpha as TsaPki).tsaPem));
    expect(() =>
      new Config().useCertificateVerifier({
        certificateChain: [root('alpha')],
        timestampAuthorities: [leafOnly],
      }),
    ).toThrow(/holds no self-signed root certificate/);
  });
});
