import * as pkijs from 'pkijs';
import { decodeBase64, encodeBase64 } from './base64.js';
import type { Curve } from './der.js';
import type { VerificationKey } from './dsse.js';
import { fail } from './errors.js';

const CURVE_OIDS: Readonly<Record<string, Curve>> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';

// Names of the other key types a user may give, for the message.
const KEY_TYPES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'RSA',
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

const PEM_BLOCK = /-----BEGIN (PUBLIC KEY|CERTIFICATE)-----([A-Za-z0-9+/=\s]*)-----END \1-----/;

/**
 * The DER SubjectPublicKeyInfo of the PEM public key in `pem`, or of the certificate in it (as Node.js reads
 * either as a public key). Text before the block is tolerated, as certtool writes it.
 */
export function publicKeyDer(pem: string, source: string): Uint8Array {
  const [, kind, body] = PEM_BLOCK.exec(pem) ?? [];
  if (kind === undefined || body === undefined) {
    fail('INVALID_KEY', `The ${source} is not a PEM public key (no PUBLIC KEY or CERTIFICATE block)`);
  }
  let der: Uint8Array;
  try {
    der = decodeBase64(body.replace(/\s+/g, ''), source);
  } catch {
    return fail('INVALID_KEY', `The ${source} is not a PEM public key (its base64 is malformed)`);
  }
  if (kind === 'PUBLIC KEY') return der;
  try {
    const certificate = pkijs.Certificate.fromBER(der as Uint8Array<ArrayBuffer>);
    return new Uint8Array(certificate.subjectPublicKeyInfo.toSchema().toBER(false));
  } catch (error) {
    return fail('INVALID_KEY', `The ${source} holds a certificate that cannot be parsed`, error);
  }
}

/**
 * Imports a DER SubjectPublicKeyInfo for ECDSA verification, refusing every key that is not EC on P-256, P-384
 * or P-521 (`UNSUPPORTED_KEY`) and what does not parse (`INVALID_KEY`).
 */
export async function importSpki(spki: Uint8Array, source: string): Promise<VerificationKey> {
  let info: pkijs.PublicKeyInfo;
  try {
    info = pkijs.PublicKeyInfo.fromBER(spki as Uint8Array<ArrayBuffer>);
  } catch (error) {
    return fail('INVALID_KEY', `The ${source} is not a public key (${(error as Error).message})`, error);
  }
  const type = info.algorithm.algorithmId;
  if (type !== EC_PUBLIC_KEY) {
    fail(
      'UNSUPPORTED_KEY',
      `Unsupported key type: the ${source} is ${KEY_TYPES[type] ?? type}; only elliptic curve keys (P-256, P-384, P-521) are supported`,
    );
  }
  const params = info.algorithm.algorithmParams as { valueBlock?: { toString(): string } } | undefined;
  const oid = params?.valueBlock?.toString() ?? 'unknown';
  const curve = CURVE_OIDS[oid];
  if (!curve) {
    fail(
      'UNSUPPORTED_KEY',
      `Unsupported key type: the ${source} uses curve '${oid}'; only P-256, P-384 and P-521 are supported`,
    );
  }
  try {
    const key = await crypto.subtle.importKey(
      'spki',
      spki as Uint8Array<ArrayBuffer>,
      { name: 'ECDSA', namedCurve: curve },
      true,
      ['verify'],
    );
    return { key, curve };
  } catch (error) {
    return fail('INVALID_KEY', `The ${source} cannot be used: ${(error as Error).message}`, error);
  }
}

/** Lower-case hex SHA-256 of `data`. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The key hint of the key method: SHA-256 of the PEM text of the key's canonical SubjectPublicKeyInfo (named
 * curve, uncompressed point, as WebCrypto exports it), never of the user's bytes.
 */
export async function keyHint(key: VerificationKey): Promise<string> {
  const der = new Uint8Array(await crypto.subtle.exportKey('spki', key.key));
  const lines = encodeBase64(der).match(/.{1,64}/g) ?? [];
  const pem = `-----BEGIN PUBLIC KEY-----\n${lines.join('\n')}\n-----END PUBLIC KEY-----\n`;
  return sha256Hex(new TextEncoder().encode(pem));
}
