import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { CA_CERT, KEYS } from './fixtures.js';
import { failure, temp, tempFile, writeModel } from './helpers.js';
import { issue, pki } from './pki.js';

const DAY = 86_400_000;

async function signWith(
  leaf: { pem: string; keyPem: string },
  chain: readonly { pem: string }[],
  files: Record<string, string> = { 'w.bin': 'weights', 'c/config.json': '{}' },
) {
  const dir = temp();
  const model = writeModel(dir, files);
  const signature = path.join(dir, 'model.sig');
  await new SigningConfig()
    .useCertificateSigner({
      privateKey: Buffer.from(leaf.keyPem),
      signingCertificate: Buffer.from(leaf.pem),
      certificateChain: chain.length ? [tempFile('chain.pem', chain.map((c) => c.pem).join('\n'))] : [],
    })
    .sign(model, signature);
  return { model, signature };
}

describe('certificate round trips', () => {
  for (const curve of ['P-256', 'P-384', 'P-521'] as const) {
    for (const depth of [1, 2, 3]) {
      it(`${curve} leaf, chain depth ${depth}`, async () => {
        const { root, intermediates, leaf } = await pki(depth, curve);
        const { model, signature } = await signWith(leaf, intermediates);
        const bundle = JSON.parse(readFileSync(signature, 'utf8'));
        expect(bundle.verificationMaterial.x509CertificateChain.certificates).toHaveLength(depth);
        expect(bundle.verificationMaterial.tlogEntries).toEqual([]);
        const result = await new Config()
          .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
          .verify(model, signature);
        expect(result.method).toBe('certificate');
        expect(result.files).toEqual(['c/config.json', 'w.bin']);
      });
    }
  }

  it('signs with the Python test key and certificate chain; verifies against the Python root', async () => {
    const dir = temp();
    const model = writeModel(dir, { a: 'a' });
    const signature = path.join(dir, 'model.sig');
    await new SigningConfig()
      .useCertificateSigner({
        privateKey: path.join(KEYS, 'signing-key.pem'),
        signingCertificate: path.join(KEYS, 'signing-key-cert.pem'),
        certificateChain: [path.join(KEYS, 'int-ca-cert.pem')],
      })
      .sign(model, signature);
    await new Config().useCertificateVerifier({ certificateChain: [CA_CERT] }).verify(model, signature);
  });

  it('fails for an expired leaf, and passes with the named opt-out', async () => {
    const { root, leaf } = await pki(1, 'P-256', {
      notBefore: new Date(Date.now() - 10 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const { model, signature } = await signWith(leaf, []);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
        .verify(model, signature),
    );
    expect(error.code).toBe('UNTRUSTED_CERTIFICATE');
    expect(error.message).toMatch(/has expired/);
    await new Config()
      .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)], allowExpiredCertificates: true })
      .verify(model, signature);
  });

  it('fails for a leaf that is not yet valid', async () => {
    const { root, leaf } = await pki(1, 'P-256', {
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 10 * DAY),
    });
    const { model, signature } = await signWith(leaf, []);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
        .verify(model, signature),
    );
    expect(error.message).toMatch(/is not yet valid/);
  });

  it('fails against a wrong CA', async () => {
    const { intermediates, leaf } = await pki(2);
    const other = await issue({ name: 'test-root', ca: true });
    const { model, signature } = await signWith(leaf, intermediates);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(other.pem)] })
        .verify(model, signature),
    );
    expect(error.code).toBe('UNTRUSTED_CERTIFICATE');
    expect(error.message).toMatch(/does not chain to a trusted root/);
  });

  it('does not accept an intermediate as trust anchor (no partial chains)', async () => {
    const { intermediates, leaf } = await pki(2);
    const { model, signature } = await signWith(leaf, intermediates);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(intermediates[0]?.pem ?? '')] })
        .verify(model, signature),
    );
    expect(error.code).toBe('UNTRUSTED_CERTIFICATE');
  });

  it('refuses an issuer that is not a CA', async () => {
    const root = await issue({ name: 'test-root', ca: true });
    const notCa = await issue({ name: 'not-a-ca', keyUsage: null, extendedKeyUsage: null }, root);
    const leaf = await issue({ name: 'leaf' }, notCa);
    const { model, signature } = await signWith(leaf, [notCa]);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
        .verify(model, signature),
    );
    expect(error.message).toMatch(/is not a CA/);
  });

  it('enforces path length constraints', async () => {
    const root = await issue({ name: 'test-root', ca: true, pathLength: 0 });
    const int = await issue({ name: 'int', ca: true }, root);
    const leaf = await issue({ name: 'leaf' }, int);
    const { model, signature } = await signWith(leaf, [int]);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
        .verify(model, signature),
    );
    expect(error.message).toMatch(/path length/);
  });

  it('refuses a leaf without digitalSignature or codeSigning', async () => {
    const root = await issue({ name: 'test-root', ca: true });
    const leaf = await issue(
      { name: 'leaf', keyUsage: 4 /* keyEncipherment */, extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'] },
      root,
    );
    const { model, signature } = await signWith(leaf, []);
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
        .verify(model, signature),
    );
    expect(error.code).toBe('CERTIFICATE_USAGE');
  });

  it('accepts codeSigning alone and warns about the missing key usage', async () => {
    const root = await issue({ name: 'test-root', ca: true });
    const leaf = await issue({ name: 'leaf', keyUsage: null }, root);
    const { model, signature } = await signWith(leaf, []);
    const result = await new Config()
      .useCertificateVerifier({ certificateChain: [Buffer.from(root.pem)] })
      .verify(model, signature);
    expect(result.warnings).toContain("Certificate does not specify 'KeyUsage'.");
  });

  it('refuses to sign when the key does not match the certificate', async () => {
    const { leaf } = await pki(1);
    const other = await issue({ name: 'other' });
    expect(() =>
      new SigningConfig().useCertificateSigner({
        privateKey: Buffer.from(other.keyPem),
        signingCertificate: Buffer.from(leaf.pem),
      }),
    ).toThrow(
      'The public key from the certificate does not match the public key paired with the private key',
    );
  });

  it('refuses to run without trust anchors (decision 11)', () => {
    expect(() => new Config().useCertificateVerifier({ certificateChain: [] })).toThrow(
      /at least one trusted root/,
    );
  });

  it('logs fingerprints of trusted and bundle certificates when asked', async () => {
    const lines: string[] = [];
    const sig = path.join(KEYS, '../../v1.1.0-certificate/model.sig');
    await new Config()
      .useCertificateVerifier({
        certificateChain: [CA_CERT],
        logFingerprints: true,
        log: (l) => lines.push(l),
      })
      .verify(path.dirname(sig), sig);
    expect(lines[0]).toMatch(/^\[ {2}init {2}\] sha256 Fingerprint: 96:B4:07:4F:/);
    expect(lines.filter((l) => l.startsWith('[ verify ]'))).toHaveLength(2);
  });
});

describe('the Python root CA validation time', () => {
  it('verifies the certificate goldens now (valid until 2035)', async () => {
    const sig = path.join(KEYS, '../../v1.0.0-certificate/model.sig');
    await new Config().useCertificateVerifier({ certificateChain: [CA_CERT] }).verify(path.dirname(sig), sig);
  });

  it('fails the goldens when checked after 2035 unless the opt-out is used', async () => {
    const sig = path.join(KEYS, '../../v1.1.0-certificate/model.sig');
    const later = () => new Date('2036-01-01T00:00:00Z');
    const error = await failure(
      new Config()
        .useCertificateVerifier({ certificateChain: [CA_CERT], now: later })
        .verify(path.dirname(sig), sig),
    );
    expect(error.message).toMatch(/has expired/);
    await new Config()
      .useCertificateVerifier({ certificateChain: [CA_CERT], now: later, allowExpiredCertificates: true })
      .verify(path.dirname(sig), sig);
  });
});
