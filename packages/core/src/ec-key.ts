import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SigningError } from './errors.js';
import { describeInput, type PemInput, readPem } from './material.js';

/** The three curves the model-signing format allows for keys, certificates and PKCS #11. */
export type EcCurve = 'P-256' | 'P-384' | 'P-521';

/** OpenSSL curve names of the three supported curves. */
const CURVES: Readonly<Record<string, EcCurve>> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** The hash that goes with each curve (format §5.1). Node defaults to SHA-256 for every curve: never rely on it. */
export const CURVE_HASH: Readonly<Record<EcCurve, 'sha256' | 'sha384' | 'sha512'>> = {
  'P-256': 'sha256',
  'P-384': 'sha384',
  'P-521': 'sha512',
};

/**
 * The curve of an EC key, or a {@link SigningError} `UNSUPPORTED_KEY` for anything that is not ECDSA on
 * P-256, P-384 or P-521 (RSA, Ed25519, secp256k1, …).
 */
export function curveOf(key: KeyObject, source = 'The key'): EcCurve {
  if (key.asymmetricKeyType !== 'ec') {
    throw new SigningError(
      'UNSUPPORTED_KEY',
      `Unsupported key type: ${source} is ${String(key.asymmetricKeyType).toUpperCase()}; only elliptic curve keys (P-256, P-384, P-521) are supported`,
    );
  }
  const name = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
  const curve = CURVES[name];
  if (!curve) {
    throw new SigningError(
      'UNSUPPORTED_KEY',
      `Unsupported key type: ${source} uses curve '${name}'; only P-256, P-384 and P-521 are supported`,
    );
  }
  return curve;
}

/** Loads a public key from PEM (SPKI; leading text tolerated) and checks its curve. */
export function loadEcPublicKey(input: PemInput): KeyObject {
  const source = describeInput(input, 'public key');
  const pem = readPem(input, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SigningError(
      'INVALID_KEY',
      `The ${source} is not a PEM public key (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  curveOf(key, `the ${source}`);
  return key;
}

/** DER SubjectPublicKeyInfo of a key (named curve, uncompressed point: the canonical encoding). */
export function spkiDer(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
}

/** The PEM text of a DER SubjectPublicKeyInfo, 64-character lines, each ending in `\n`. */
export function publicKeyPem(spki: Uint8Array): string {
  const lines =
    Buffer.from(spki)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
}

/**
 * The key hint written as `verificationMaterial.publicKey.hint`: lower-case hex SHA-256 of the PEM text of
 * the public key (not of its DER, and never of the user's file bytes).
 */
export function publicKeyHint(spki: Uint8Array): string {
  return createHash('sha256').update(publicKeyPem(spki)).digest('hex');
}
