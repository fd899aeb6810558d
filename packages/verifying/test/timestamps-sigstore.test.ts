// A timestamp made by a real public authority: the Python tool's v1.1.0 Sigstore golden carries one from
// timestamp.sigstore.dev, and the public-good trusted root lists that authority. Our verifier must accept it,
// as openssl does; nothing is fetched.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleTimestamps, checkTimestamps, loadTimestampTrust, readBundle } from '@model-signing/verifying';
import { afterAll, describe, expect, it } from 'vitest';
import { openssl } from '../../../test-support/openssl-ca.js';
import { FIXTURES, PYTHON_SIGNATURES } from '../../../test-support/paths.js';

const work = mkdtempSync(path.join(tmpdir(), 'ms-tsa-sigstore-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TRUSTED_ROOT = path.join(FIXTURES, 'trusted_root.public-good.json');
const bundle = readBundle(readFileSync(path.join(PYTHON_SIGNATURES, 'v1.1.0-sigstore/model.sig')));

describe('the v1.1.0 Sigstore golden timestamp (timestamp.sigstore.dev)', () => {
  it('verifies against the public-good trusted root, with the genTime openssl reads', async () => {
    const [token] = bundleTimestamps(bundle);
    expect(token).toBeDefined();
    const root = JSON.parse(readFileSync(TRUSTED_ROOT, 'utf8'));
    const [leaf, ca] = root.timestampAuthorities[0].certChain.certificates.map(
      (c: { rawBytes: string }) =>
        `-----BEGIN CERTIFICATE-----\n${(c.rawBytes.match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`,
    );
    writeFileSync(path.join(work, 'tsa.pem'), leaf);
    writeFileSync(path.join(work, 'root.pem'), ca);
    writeFileSync(path.join(work, 'resp.tsr'), token as Uint8Array);
    writeFileSync(path.join(work, 'sig.bin'), bundle.envelope.signatures[0].sig);
    const out = await openssl(work, [
      ...['ts', '-verify', '-in', 'resp.tsr', '-data', 'sig.bin'],
      ...['-CAfile', 'root.pem', '-untrusted', 'tsa.pem'],
    ]);
    expect(out).toContain('Verification: OK');
    const text = await openssl(work, ['ts', '-reply', '-in', 'resp.tsr', '-text']);
    const genTime = new Date(/Time stamp: (.+)/.exec(text)?.[1] ?? '');

    const outcome = await checkTimestamps(
      bundle,
      loadTimestampTrust({ timestampAuthorities: [TRUSTED_ROOT] }),
    );
    expect(outcome.reports).toHaveLength(1);
    expect(outcome.reports[0]?.verified).toBe(true);
    expect(outcome.reports[0]?.authority).toBe('O=sigstore.dev, CN=sigstore-tsa');
    expect(Math.floor((outcome.earliest as Date).getTime() / 1000)).toBe(genTime.getTime() / 1000);
  });

  it('is refused by an authority list that does not hold its root', async () => {
    const other = path.join(FIXTURES, 'python-upstream/signatures/keys/certificate/ca-cert.pem');
    await expect(
      checkTimestamps(bundle, loadTimestampTrust({ timestampAuthorities: [other] })),
    ).rejects.toThrow(
      /^Timestamp 1 of 1 is not trusted: The timestamp authority certificate .* does not chain to a trusted root/,
    );
  });
});
