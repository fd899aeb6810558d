import type { webcrypto } from 'node:crypto';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import {
  buildPath,
  type ChainCertificate,
  Config,
  PATH_SEARCH_LIMITS,
  type PathSearchStats,
  parseCertificate,
  VerificationError,
} from '@model-signing/verifying';
import type * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failure, temp, tempFile, writeModel } from './helpers.js';
import { certificate, hostileChain, p256 } from './hostile-chain.js';
import { issue, pki } from './pki.js';

const chainCert = (c: x509.X509Certificate, what = 'test'): ChainCertificate =>
  parseCertificate(new Uint8Array(c.rawData), what);

const EXCEEDED = /^Certificate path search exceeded .* in the bundle's \d+ certificates/;

describe('bounded certificate path search', () => {
  for (const n of [10, 30]) {
    it(`refuses a bundle of ${n} CA certificates sharing one name and key with one clear line`, async () => {
      const { cas, leaf, leafKeyPem } = await hostileChain(n);
      const dir = temp();
      const model = writeModel(dir, { 'w.bin': 'weights' });
      const signature = path.join(dir, 'model.sig');
      await new SigningConfig()
        .useCertificateSigner({
          privateKey: Buffer.from(leafKeyPem),
          signingCertificate: Buffer.from(leaf.toString('pem')),
          certificateChain: [tempFile('chain.pem', cas.map((c) => c.toString('pem')).join('\n'))],
        })
        .sign(model, signature);
      const unrelated = await issue({ name: 'unrelated-root', ca: true });
      const error = await failure(
        new Config()
          .useCertificateVerifier({ certificateChain: [Buffer.from(unrelated.pem)] })
          .verify(model, signature),
      );
      expect(error.code).toBe('UNTRUSTED_CERTIFICATE');
      expect(error.message).toMatch(EXCEEDED);
      expect(error.message).toContain(`in the bundle's ${n + 1} certificates`);
      expect(error.message.split('\n')).toHaveLength(1);
    });
  }

  it('verifies each (child, candidate) signature once and stops at the issuer-check limit', async () => {
    const { cas, leaf } = await hostileChain(10);
    const anchor = chainCert((await issue({ name: 'unrelated-root', ca: true })).cert);
    const stats: PathSearchStats = { signatureChecks: 0, issuerChecks: 0 };
    expect(() =>
      buildPath(
        chainCert(leaf),
        cas.map((c) => chainCert(c)),
        [anchor],
        { stats },
      ),
    ).toThrow(EXCEEDED);
    // 11 certificates: at most 11 × 11 distinct pairs can ever be verified.
    expect(stats.signatureChecks).toBeLessThanOrEqual(11 * 11);
    expect(stats.issuerChecks).toBe(PATH_SEARCH_LIMITS.issuerChecks + 1);
  });

  it('refuses more candidate issuers for one certificate than the per-step limit', async () => {
    const { cas, leaf } = await hostileChain(5);
    const anchor = chainCert((await issue({ name: 'unrelated-root', ca: true })).cert);
    const error = (() => {
      try {
        buildPath(
          chainCert(leaf),
          cas.map((c) => chainCert(c)),
          [anchor],
          {
            limits: { candidatesPerStep: 4, issuerChecks: 1000 },
          },
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as Error).message).toMatch(/exceeded 4 candidate issuers for 'CN=hostile leaf'/);
  });

  const names = ['CN=test-root', 'CN=test-int-1', 'CN=test-int-2', 'CN=test-leaf'];
  const lookAlike = (keyCount: number) =>
    fc.record({
      subject: fc.constantFrom(...names),
      issuer: fc.constantFrom(...names),
      subjectKey: fc.integer({ min: 0, max: keyCount - 1 }),
      issuerKey: fc.integer({ min: 0, max: keyCount - 1 }),
      ca: fc.boolean(),
    });
  type Spec = { subject: string; issuer: string; subjectKey: number; issuerKey: number; ca: boolean };
  const make = async (
    specs: Spec[],
    subjectKeys: webcrypto.CryptoKeyPair[],
    issuerKeys: webcrypto.CryptoKeyPair[],
  ) => {
    const made: ChainCertificate[] = [];
    for (const s of specs) {
      const c = await certificate({
        subject: s.subject,
        subjectKeys: subjectKeys[s.subjectKey] as webcrypto.CryptoKeyPair,
        issuer: s.issuer,
        issuerKeys: issuerKeys[s.issuerKey] as webcrypto.CryptoKeyPair,
        ca: s.ca,
      });
      made.push(chainCert(c));
    }
    return made;
  };
  const REAL_PATH = ['CN=test-leaf', 'CN=test-int-2', 'CN=test-int-1', 'CN=test-root'];

  it('keeps the signature checks under the bound for random sets of look-alike certificates', async () => {
    const { root, intermediates, leaf } = await pki(3);
    // Look-alikes reuse the real names and share a few keys, so they form cliques that verify one another.
    const keys = [await p256(), await p256(), await p256()];
    await fc.assert(
      fc.asyncProperty(
        fc.array(lookAlike(keys.length), { maxLength: 30 }),
        fc.boolean(),
        async (specs, withReal) => {
          const junk = await make(specs, keys, keys);
          const real = withReal ? intermediates.map((c) => chainCert(c.cert)) : [];
          const stats: PathSearchStats = { signatureChecks: 0, issuerChecks: 0 };
          let built: ChainCertificate[] | undefined;
          let failed: unknown;
          try {
            built = buildPath(chainCert(leaf.cert), [...junk, ...real], [chainCert(root.cert)], { stats });
          } catch (error) {
            failed = error;
          }
          expect(stats.signatureChecks).toBeLessThanOrEqual(PATH_SEARCH_LIMITS.issuerChecks + 1);
          expect(stats.issuerChecks).toBeLessThanOrEqual(PATH_SEARCH_LIMITS.issuerChecks + 1);
          if (built) expect(built.map((c) => c.cert.subject)).toEqual(REAL_PATH);
          else {
            expect(failed).toBeInstanceOf(VerificationError);
            if (withReal) expect((failed as Error).message).toMatch(EXCEEDED);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('still finds a valid chain behind look-alike certificates that no key of the pool signed', async () => {
    const { root, intermediates, leaf } = await pki(3);
    const subjects = [await p256(), await p256()];
    const strangers = [await p256(), await p256()];
    await fc.assert(
      fc.asyncProperty(fc.array(lookAlike(2), { maxLength: 24 }), async (specs) => {
        const junk = await make(specs, subjects, strangers);
        const stats: PathSearchStats = { signatureChecks: 0, issuerChecks: 0 };
        const built = buildPath(
          chainCert(leaf.cert),
          [...junk, ...intermediates.map((c) => chainCert(c.cert))],
          [chainCert(root.cert)],
          { stats },
        );
        expect(built.map((c) => c.cert.subject)).toEqual(REAL_PATH);
        // Each look-alike is tried at most once below each of the four real certificates (and itself).
        expect(stats.signatureChecks).toBeLessThanOrEqual(5 * (specs.length + 3));
      }),
      { numRuns: 25 },
    );
  });
});
