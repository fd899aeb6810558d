import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Config, expectedManifest, readBundle, VerificationError } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { CA_CERT, FIXTURES, PUBLIC_KEY, SIGNATURES } from './fixtures.js';
import { failure } from './helpers.js';

const VECTORS = path.join(FIXTURES, 'oms-spec/test-vectors/v1.0');
// The vectors sign `signme-1` (with a newline) and `signme-2`: the files of the v1.1.0-elliptic-key golden.
const MODEL = path.join(SIGNATURES, 'v1.1.0-elliptic-key');

describe('OMS v1.0 test vectors', () => {
  it('covers every vector file', () => {
    expect(readdirSync(path.join(VECTORS, 'valid')).sort()).toEqual([
      'certificate.bundle.json',
      'key.bundle.json',
      'sigstore.bundle.json',
    ]);
    expect(readdirSync(path.join(VECTORS, 'invalid')).length).toBe(4);
    expect(readdirSync(path.join(VECTORS, 'invalid-payload')).length).toBe(1);
  });

  it('valid/key.bundle.json verifies', async () => {
    await new Config()
      .useEllipticKeyVerifier({ publicKey: PUBLIC_KEY })
      .verify(MODEL, path.join(VECTORS, 'valid/key.bundle.json'), { ignorePaths: ['model.sig'] });
  });

  it('valid/certificate.bundle.json verifies', async () => {
    await new Config()
      .useCertificateVerifier({ certificateChain: [CA_CERT] })
      .verify(MODEL, path.join(VECTORS, 'valid/certificate.bundle.json'), { ignorePaths: ['model.sig'] });
  });

  it('valid/sigstore.bundle.json is read as a Sigstore bundle (its trust is checked by the Sigstore verifier)', () => {
    const bundle = readBundle(readFileSync(path.join(VECTORS, 'valid/sigstore.bundle.json')));
    expect(bundle.content.kind).toBe('certificate');
  });

  for (const name of readdirSync(path.join(VECTORS, 'invalid'))) {
    it(`invalid/${name} is refused`, async () => {
      expect(() => readBundle(readFileSync(path.join(VECTORS, 'invalid', name)))).toThrow(VerificationError);
      const error = await failure(
        new Config()
          .useEllipticKeyVerifier({ publicKey: PUBLIC_KEY })
          .verify(MODEL, path.join(VECTORS, 'invalid', name)),
      );
      expect(error.code).toBe('INVALID_BUNDLE');
    });
  }

  it('invalid-payload/wrong-predicate.bundle.json is refused, and its statement on its own too', async () => {
    const file = path.join(VECTORS, 'invalid-payload/wrong-predicate.bundle.json');
    // The vector re-uses the key vector's signature over an edited payload, so the signature check (which comes
    // first, as in the Python tool) already refuses it; the statement is refused for its predicate type.
    const error = await failure(
      new Config().useEllipticKeyVerifier({ publicKey: PUBLIC_KEY }).verify(MODEL, file),
    );
    expect(error.code).toBe('INVALID_SIGNATURE');
    const payload = readBundle(readFileSync(file)).envelope.payload;
    expect(() => expectedManifest(payload)).toThrow(
      'Invalid signed statement: Predicate type mismatch, expected https://model_signing/signature/v1.0, got https://example.com/wrong-predicate/v1.0',
    );
  });
});
