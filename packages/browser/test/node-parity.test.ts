// The browser modules that need no browser, run in Node.js against the Node.js package and OpenSSL: the same
// error codes, the same bundle reading, and DER signatures converted as OpenSSL converts them.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as signing from '@model-signing/signing';
import * as verifying from '@model-signing/verifying';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PYTHON_SIGNATURES } from '../../../test-support/paths.js';
import { readBundle } from '../src/bundle.js';
import { derToP1363 } from '../src/der.js';
import { compatPae, pae } from '../src/dsse.js';
import {
  type MismatchDetails,
  VERIFICATION_ERROR_CODES,
  VerificationError,
  type VerificationErrorCode,
} from '../src/errors.js';
import { importSpki, keyHint, publicKeyDer } from '../src/keys.js';

describe('error codes', () => {
  it('are those of @model-signing/verifying', () => {
    expectTypeOf<VerificationErrorCode>().toEqualTypeOf<verifying.VerificationErrorCode>();
    expectTypeOf<MismatchDetails>().toEqualTypeOf<verifying.MismatchDetails>();
    expect(new Set(VERIFICATION_ERROR_CODES).size).toBe(VERIFICATION_ERROR_CODES.length);
  });
});

type Json = Record<string, unknown>;

// Reads with both readers: the code each throws, or the kind of content each read.
function both(bundle: Json | string): { browser: string; node: string } {
  const outcome = (read: () => { content: { kind: string } }) => {
    try {
      return `ok:${read().content.kind}`;
    } catch (error) {
      if (error instanceof VerificationError || error instanceof verifying.VerificationError)
        return error.code;
      throw error;
    }
  };
  return {
    browser: outcome(() => readBundle(bundle as Json)),
    node: outcome(() => verifying.readBundle(bundle as Json)),
  };
}

describe('bundle reading', () => {
  const golden = (dir: string): Json =>
    JSON.parse(readFileSync(path.join(PYTHON_SIGNATURES, dir, 'model.sig'), 'utf8'));
  const key = () => golden('v1.1.0-elliptic-key');
  const edits: [string, () => Json | string][] = [
    ['the v1.1.0 key golden', key],
    ['the v0.3.1 key golden (rawBytes, no tlogEntries)', () => golden('v0.3.1-elliptic-key')],
    ['the v0.2.0 certificate golden', () => golden('v0.2.0-certificate')],
    ['the v1.1.0 sigstore golden', () => golden('v1.1.0-sigstore')],
    ['an empty file', () => ''],
    ['text that is not JSON', () => '{"mediaType":'],
    ['a list', () => '[]'],
    ['an unknown top-level field', () => ({ ...key(), extra: 1 })],
    ['an unknown media type', () => ({ ...key(), mediaType: 'application/json' })],
    ['a missing media type', () => ({ ...key(), mediaType: undefined })],
    ['a message signature', () => ({ ...key(), messageSignature: {} })],
    [
      'two kinds of material',
      () => {
        const b = key();
        (b.verificationMaterial as Json).certificate = { rawBytes: 'AAAA' };
        return b;
      },
    ],
    ['no material content', () => ({ ...key(), verificationMaterial: { tlogEntries: [] } })],
    [
      'an unknown material field',
      () => {
        const b = key();
        (b.verificationMaterial as Json).other = 1;
        return b;
      },
    ],
    [
      'a hint that is a number',
      () => {
        const b = key();
        (b.verificationMaterial as Json).publicKey = { hint: 5 };
        return b;
      },
    ],
    [
      'a tlog entry with an unknown field',
      () => {
        const b = key();
        (b.verificationMaterial as Json).tlogEntries = [{ bogus: true }];
        return b;
      },
    ],
    [
      'a timestamp that is not base64',
      () => {
        const b = key();
        (b.verificationMaterial as Json).timestampVerificationData = {
          rfc3161Timestamps: [{ signedTimestamp: 'abc' }],
        };
        return b;
      },
    ],
    ['no envelope', () => ({ ...key(), dsseEnvelope: undefined })],
    [
      'URL-safe base64 in the payload',
      () => {
        const b = key();
        const env = b.dsseEnvelope as Json;
        env.payload = (env.payload as string).replaceAll('+', '-').replaceAll('/', '_');
        return b;
      },
    ],
    [
      'an unpadded signature',
      () => {
        const b = key();
        const sig = (b.dsseEnvelope as { signatures: Json[] }).signatures[0]!;
        sig.sig = (sig.sig as string).replace(/=+$/, '');
        return b;
      },
    ],
    [
      'two signatures',
      () => {
        const b = key();
        const env = b.dsseEnvelope as { signatures: Json[] };
        env.signatures = [env.signatures[0]!, env.signatures[0]!];
        return b;
      },
    ],
    [
      'no signature',
      () => {
        const b = key();
        (b.dsseEnvelope as Json).signatures = [];
        return b;
      },
    ],
    [
      'a keyid that is a number',
      () => {
        const b = key();
        (b.dsseEnvelope as { signatures: Json[] }).signatures[0]!.keyid = 1;
        return b;
      },
    ],
    [
      'a payload type that is missing',
      () => {
        const b = key();
        delete (b.dsseEnvelope as Json).payloadType;
        return b;
      },
    ],
    [
      'an empty certificate list',
      () => ({
        ...golden('v1.1.0-certificate'),
        verificationMaterial: { x509CertificateChain: { certificates: [] }, tlogEntries: [] },
      }),
    ],
    [
      'a sigstore bundle without tlog entries',
      () => {
        const b = golden('v1.1.0-sigstore');
        delete (b.verificationMaterial as Json).tlogEntries;
        return b;
      },
    ],
  ];
  for (const [what, make] of edits) {
    it(`gives what Node.js gives for ${what}`, () => {
      const { browser, node } = both(make());
      expect(browser).toBe(node);
    });
  }
});

describe('DER to IEEE P1363', () => {
  const curves = [
    ['P-256', 'sha256', 32],
    ['P-384', 'sha384', 48],
    ['P-521', 'sha512', 66],
  ] as const;
  for (const [curve, hash, size] of curves) {
    it(`converts ${curve} signatures into the form OpenSSL verifies as IEEE P1363`, () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      // Signatures are random: 64 of them meet short r and s (leading zero bytes) and high bits (a 0x00 pad).
      for (let i = 0; i < 64; i++) {
        const data = Buffer.from(`message ${i}`);
        const der = sign(hash, data, { key: privateKey, dsaEncoding: 'der' });
        const raw = derToP1363(new Uint8Array(der), curve);
        expect(raw?.length).toBe(2 * size);
        expect(verify(hash, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw!)).toBe(true);
      }
    });
  }

  it('refuses what is not one well-formed DER signature', () => {
    const good = Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02]);
    const expected = new Uint8Array(64);
    expected[31] = 1;
    expected[63] = 2;
    expect(derToP1363(good, 'P-256')).toEqual(expected);
    const bad: number[][] = [
      [0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02], // not a SEQUENCE
      [0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02], // wrong length
      [0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x02], // negative r
      [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x02], // r not minimal
      [0x30, 0x08, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02, 0x00, 0x00], // trailing bytes
      [0x30, 0x03, 0x02, 0x01, 0x01], // no s
    ];
    for (const der of bad) expect(derToP1363(Uint8Array.from(der), 'P-256')).toBeUndefined();
    const tooLong = [0x30, 0x26, 0x02, 0x21, 0x01, ...new Array(32).fill(1), 0x02, 0x01, 0x01];
    expect(derToP1363(Uint8Array.from(tooLong), 'P-256')).toBeUndefined();
  });
});

describe('DSSE encodings', () => {
  it('are the bytes Node.js signs and verifies, for every golden payload', () => {
    const dirs = ['v0.2.0-certificate', 'v1.0.1-elliptic-key', 'v1.1.0-certificate'];
    for (const dir of dirs) {
      const bundle = JSON.parse(readFileSync(path.join(PYTHON_SIGNATURES, dir, 'model.sig'), 'utf8'));
      const payload = new Uint8Array(Buffer.from(bundle.dsseEnvelope.payload, 'base64'));
      const type = bundle.dsseEnvelope.payloadType;
      const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
      expect(same(pae(type, payload), signing.pae(type, payload))).toBe(true);
      expect(same(compatPae(type, payload), verifying.compatPae(type, payload))).toBe(true);
    }
  });
});

describe('key hints', () => {
  it("are the Python tool's for its test key (format §6.2)", async () => {
    const pem = readFileSync(path.join(PYTHON_SIGNATURES, 'keys/certificate/signing-key-pub.pem'), 'utf8');
    const key = await importSpki(publicKeyDer(pem, 'public key'), 'public key');
    expect(key.curve).toBe('P-384');
    expect(await keyHint(key)).toBe('e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e');
  });

  for (const curve of ['P-256', 'P-521'] as const) {
    it(`are those of Node.js for ${curve} keys`, async () => {
      const { publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const key = await importSpki(publicKeyDer(pem, 'public key'), 'public key');
      expect(await keyHint(key)).toBe(signing.publicKeyHint(signing.spkiDer(publicKey)));
    });
  }

  it('refuse keys that are not EC on the three curves, as Node.js does', async () => {
    const keys = [
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
      generateKeyPairSync('ed25519').publicKey,
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey,
    ];
    for (const publicKey of keys) {
      const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
      const browser = await importSpki(publicKeyDer(pem, 'public key'), 'public key').catch((e) => e.code);
      let node: string | undefined;
      try {
        new verifying.Config().useEllipticKeyVerifier({ publicKey: Buffer.from(pem) });
      } catch (error) {
        node = (error as verifying.VerificationError).code;
      }
      expect(browser).toBe('UNSUPPORTED_KEY');
      expect(node).toBe('UNSUPPORTED_KEY');
    }
  });
});

describe('base64 of a large signature', () => {
  it('is checked in one pass, as in Node.js: 8 MiB decodes to the bytes Buffer encoded', async () => {
    const { decodeBase64 } = await import('../src/base64.js');
    const bytes = new Uint8Array(6 * 1024 * 1024).map((_, i) => (i * 31) & 0xff);
    const text = Buffer.from(bytes).toString('base64');
    expect(Buffer.from(decodeBase64(text, 'payload')).equals(Buffer.from(bytes))).toBe(true);
    expect(() => decodeBase64(`${text.slice(0, -1)}_`, 'payload')).toThrow(/not standard padded base64/);
  });
});
