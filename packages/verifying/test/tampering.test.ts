import { generateKeyPairSync } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config, readBundle } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { CA_CERT, PUBLIC_KEY, SIGNATURES } from './fixtures.js';
import { copyDir, failure, tempFile } from './helpers.js';

const keyVerifier = () => new Config().useEllipticKeyVerifier({ publicKey: PUBLIC_KEY });
const certVerifier = () => new Config().useCertificateVerifier({ certificateChain: [CA_CERT] });

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary bundle JSON in place.
type Json = Record<string, any>;
const golden = (dir: string): Json =>
  JSON.parse(readFileSync(path.join(SIGNATURES, dir, 'model.sig'), 'utf8'));

/** Writes a modified copy of a golden bundle outside the model and verifies the original model with it. */
async function verifyEdited(dir: string, edit: (bundle: Json) => void, config = keyVerifier()) {
  const bundle = golden(dir);
  edit(bundle);
  const signature = tempFile('model.sig', JSON.stringify(bundle));
  return config.verify(path.join(SIGNATURES, dir), signature);
}

describe('tampered models', () => {
  for (const [dir, config] of [
    ['v1.1.0-elliptic-key', keyVerifier],
    ['v1.1.0-certificate', certVerifier],
  ] as const) {
    it(`${dir}: a changed byte names the file with both digests`, async () => {
      const model = copyDir(path.join(SIGNATURES, dir));
      writeFileSync(path.join(model, 'signme-2'), 'signme-X');
      const error = await failure(config().verify(model, path.join(model, 'model.sig')));
      expect(error.code).toBe('MODEL_MISMATCH');
      expect(error.details?.extra).toEqual([]);
      expect(error.details?.missing).toEqual([]);
      expect(error.details?.mismatched).toEqual([
        {
          name: 'signme-2',
          expected: {
            algorithm: 'sha256',
            digest: '32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028',
          },
          // sha256("signme-X"), independent of our hashing code: computed with sha256sum.
          actual: { algorithm: 'sha256', digest: expect.stringMatching(/^[0-9a-f]{64}$/) },
        },
      ]);
      expect(error.detailLines()).toEqual([
        expect.stringMatching(/^Hash mismatch: signme-2: expected sha256:32dcb1f8.*, actual sha256:/),
      ]);
    });

    it(`${dir}: an added file is extra`, async () => {
      const model = copyDir(path.join(SIGNATURES, dir));
      writeFileSync(path.join(model, 'extra'), 'x');
      const error = await failure(config().verify(model, path.join(model, 'model.sig')));
      expect(error.details?.extra).toEqual(['extra']);
      expect(error.message).toContain("Extra files found in model '");
    });

    it(`${dir}: a deleted file is missing`, async () => {
      const model = copyDir(path.join(SIGNATURES, dir));
      rmSync(path.join(model, 'signme-1'));
      const error = await failure(config().verify(model, path.join(model, 'model.sig')));
      expect(error.details?.missing).toEqual(['signme-1']);
    });

    it(`${dir}: an added file passes with ignoreUnsignedFiles, a changed one does not`, async () => {
      const model = copyDir(path.join(SIGNATURES, dir));
      writeFileSync(path.join(model, 'extra'), 'x');
      await config().setIgnoreUnsignedFiles(true).verify(model, path.join(model, 'model.sig'));
      appendFileSync(path.join(model, 'signme-1'), 'x');
      const error = await failure(
        config().setIgnoreUnsignedFiles(true).verify(model, path.join(model, 'model.sig')),
      );
      expect(error.details?.mismatched.map((m) => m.name)).toEqual(['signme-1']);
    });
  }

  it('the sha256sum of the changed file is the reported actual digest', async () => {
    const model = copyDir(path.join(SIGNATURES, 'v1.1.0-elliptic-key'));
    writeFileSync(path.join(model, 'signme-2'), 'signme-X');
    const error = await failure(keyVerifier().verify(model, path.join(model, 'model.sig')));
    const { execFileSync } = await import('node:child_process');
    const expected = execFileSync('sha256sum', [path.join(model, 'signme-2')])
      .toString()
      .split(' ')[0];
    expect(error.details?.mismatched[0]?.actual.digest).toBe(expected);
  });
});

describe('tampered bundles', () => {
  it('a flipped payload byte breaks the signature', async () => {
    const error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        const payload = Buffer.from(b.dsseEnvelope.payload, 'base64');
        payload[40] = (payload[40] as number) ^ 0x01;
        b.dsseEnvelope.payload = payload.toString('base64');
      }),
    );
    expect(error.code).toBe('INVALID_SIGNATURE');
    expect(error.message).toMatch(/^The signature does not verify with the given public key/);
  });

  it('a changed payloadType breaks the signature', async () => {
    const error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        b.dsseEnvelope.payloadType = 'application/json';
      }),
    );
    expect(error.code).toBe('INVALID_SIGNATURE');
  });

  it('a changed mediaType is refused', async () => {
    let error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        b.mediaType = 'application/vnd.dev.sigstore.bundle+json;version=0.3';
      }),
    );
    expect(error.message).toBe(
      'Invalid sigstore bundle, got media type application/vnd.dev.sigstore.bundle+json;version=0.3 but expected application/vnd.dev.sigstore.bundle.v0.3+json',
    );
    error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        b.mediaType = 'application/json';
      }),
    );
    expect(error.code).toBe('INVALID_BUNDLE');
    expect(error.message).toMatch(/unknown media type/);
  });

  it('an unknown field anywhere is refused', async () => {
    for (const edit of [
      (b: Json) => {
        b.extra = 1;
      },
      (b: Json) => {
        b.verificationMaterial.publicKey.foo = 'x';
      },
      (b: Json) => {
        b.dsseEnvelope.signatures[0].extra = 'x';
      },
    ]) {
      const error = await failure(verifyEdited('v1.1.0-elliptic-key', edit));
      expect(error.code).toBe('INVALID_BUNDLE');
      expect(error.message).toMatch(/unknown field/);
    }
  });

  it('stripped base64 padding is refused', async () => {
    for (const edit of [
      (b: Json) => {
        b.dsseEnvelope.payload = b.dsseEnvelope.payload.replace(/=+$/, '');
      },
      (b: Json) => {
        b.dsseEnvelope.signatures[0].sig = b.dsseEnvelope.signatures[0].sig.replace(/=+$/, '');
      },
    ]) {
      const error = await failure(verifyEdited('v1.1.0-elliptic-key', edit));
      expect(error.message).toMatch(/not standard padded base64/);
    }
  });

  it('URL-safe base64 is refused', async () => {
    const error = await failure(
      verifyEdited(
        'v1.1.0-certificate',
        (b) => {
          const raw = b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes as string;
          b.verificationMaterial.x509CertificateChain.certificates[0].rawBytes = raw
            .replaceAll('+', '-')
            .replaceAll('/', '_');
        },
        certVerifier(),
      ),
    );
    expect(error.message).toMatch(/not standard padded base64/);
  });

  it('no signatures, or two, are refused', async () => {
    let error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        b.dsseEnvelope.signatures = [];
      }),
    );
    expect(error.message).toMatch(/exactly one signature, found 0/);
    error = await failure(
      verifyEdited('v1.1.0-elliptic-key', (b) => {
        b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]);
      }),
    );
    expect(error.message).toMatch(/exactly one signature, found 2/);
  });

  it('the wrong key fails with a key mismatch (hint) or a bad signature (no hint)', async () => {
    const other = tempFile(
      'other.pem',
      generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({
        type: 'spki',
        format: 'pem',
      }),
    );
    const wrong = () => new Config().useEllipticKeyVerifier({ publicKey: other });
    let error = await failure(
      wrong().verify(
        path.join(SIGNATURES, 'v1.1.0-elliptic-key'),
        path.join(SIGNATURES, 'v1.1.0-elliptic-key/model.sig'),
      ),
    );
    expect(error.code).toBe('KEY_MISMATCH');
    expect(error.message).toMatch(/^Key mismatch: The public key hash/);
    const model = path.join(SIGNATURES, 'v1.0.0-elliptic-key');
    error = await failure(wrong().verify(path.join(model, 'signme-1'), path.join(model, 'model.sig')));
    expect(error.code).toBe('INVALID_SIGNATURE');
  });

  it('a key given for a certificate bundle, and the reverse, name the right method', async () => {
    const certDir = path.join(SIGNATURES, 'v1.1.0-certificate');
    let error = await failure(keyVerifier().verify(certDir, path.join(certDir, 'model.sig')));
    expect(error.code).toBe('WRONG_METHOD');
    expect(error.message).toMatch(/made with the certificate method.*`verify certificate`/);
    const keyDir = path.join(SIGNATURES, 'v1.1.0-elliptic-key');
    error = await failure(certVerifier().verify(keyDir, path.join(keyDir, 'model.sig')));
    expect(error.message).toMatch(/made with the key method.*`verify key`/);
  });
});

describe('bad signature files', () => {
  const model = path.join(SIGNATURES, 'v1.1.0-elliptic-key');
  it('an unreadable signature path names the file', async () => {
    const error = await failure(keyVerifier().verify(model, '/nonexistent/model.sig'));
    expect(error.code).toBe('READ_ERROR');
    expect(error.message).toBe(
      'Cannot read the signature file /nonexistent/model.sig: no such file or directory',
    );
  });

  it('truncated, empty and non-JSON bundles are refused', async () => {
    const text = readFileSync(path.join(model, 'model.sig'), 'utf8');
    for (const content of [text.slice(0, text.length / 2), '', 'not json', '[]', '"x"']) {
      const error = await failure(keyVerifier().verify(model, tempFile('model.sig', content)));
      expect(error.code).toBe('INVALID_BUNDLE');
    }
  });

  it('a bundle with no verifier configured is refused', async () => {
    const error = await failure(new Config().verify(model, path.join(model, 'model.sig')));
    expect(error.code).toBe('NO_VERIFIER');
  });

  it('readBundle keeps pre-1.1 key bundles readable without their legacy key bytes', () => {
    const bundle = readBundle(readFileSync(path.join(SIGNATURES, 'v1.0.0-elliptic-key/model.sig')));
    expect(bundle.content).toEqual({ kind: 'publicKey', hint: undefined });
    expect((bundle.json.verificationMaterial as Json).publicKey).toEqual({});
    expect((bundle.json.verificationMaterial as Json).tlogEntries).toEqual([]);
  });
});
