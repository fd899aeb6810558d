/**
 * EC key material as tokens hand it out (`CKA_EC_PARAMS`, `CKA_EC_POINT`) turned into what the signing code
 * needs: the curve, a DER SubjectPublicKeyInfo, and DER ECDSA signatures from raw `r‖s` (spec §3.6–§3.7).
 * @module
 */
import { createHash, createPublicKey } from 'node:crypto';
import { ECDSASigValue, ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Pkcs11Error } from './errors.js';

/** The curves the model-signing format allows (the same names as `EcCurve` in `@model-signing/signing`). */
export type Pkcs11Curve = 'P-256' | 'P-384' | 'P-521';

interface CurveInfo {
  readonly curve: Pkcs11Curve;
  /** Field size in bytes: each of x, y, r and s has this length. */
  readonly size: number;
  /** Hash the model-signing format pairs with the curve. */
  readonly hash: 'sha256' | 'sha384' | 'sha512';
}

const CURVES: Record<string, CurveInfo> = {
  '1.2.840.10045.3.1.7': { curve: 'P-256', size: 32, hash: 'sha256' },
  '1.3.132.0.34': { curve: 'P-384', size: 48, hash: 'sha384' },
  '1.3.132.0.35': { curve: 'P-521', size: 66, hash: 'sha512' },
};

/** Names of a few curves tokens commonly offer, for the "unsupported" message (OpenSSL's names, as Python). */
const OTHER_CURVE_NAMES: Record<string, string> = {
  '1.3.132.0.10': 'secp256k1',
  '1.2.840.10045.3.1.1': 'prime192v1',
  '1.3.132.0.33': 'secp224r1',
  '1.3.36.3.3.2.8.1.1.7': 'brainpoolP256r1',
  '1.3.36.3.3.2.8.1.1.11': 'brainpoolP384r1',
  '1.3.36.3.3.2.8.1.1.13': 'brainpoolP512r1',
  '1.3.101.112': 'ed25519',
};

/** The curve's parameters for `curve`. */
export function curveInfo(curve: Pkcs11Curve): CurveInfo {
  return Object.values(CURVES).find((info) => info.curve === curve)!;
}

/** The curve named by DER `ECParameters` (`CKA_EC_PARAMS`). Only P-256, P-384 and P-521 are accepted. */
export function curveFromEcParams(params: Uint8Array): CurveInfo {
  let oid: string | undefined;
  try {
    oid = AsnConvert.parse(params, ECParameters).namedCurve;
  } catch {
    oid = undefined;
  }
  if (oid === undefined) {
    throw new Pkcs11Error('UNSUPPORTED_KEY', 'Unsupported key: CKA_EC_PARAMS is not a named curve');
  }
  const info = CURVES[oid];
  if (info === undefined) {
    throw new Pkcs11Error('UNSUPPORTED_KEY', `Unsupported key for curve '${OTHER_CURVE_NAMES[oid] ?? oid}'`);
  }
  return info;
}

/**
 * The uncompressed point `04‖X‖Y` from `CKA_EC_POINT`. PKCS #11 wraps it in a DER OCTET STRING (SoftHSM
 * does); some tokens return it bare, recognised by its leading `04` and exact length.
 */
export function unwrapEcPoint(point: Uint8Array, info: CurveInfo): Uint8Array {
  const bareLength = 1 + 2 * info.size;
  if (point.length === bareLength && point[0] === 0x04) return point;
  let inner: Uint8Array | undefined;
  try {
    inner = new Uint8Array(AsnConvert.parse(point, OctetString).buffer);
  } catch {
    inner = undefined;
  }
  if (inner === undefined || inner.length !== bareLength || inner[0] !== 0x04) {
    throw new Pkcs11Error(
      'UNSUPPORTED_KEY',
      `Unsupported key: CKA_EC_POINT is not an uncompressed ${info.curve} point`,
    );
  }
  return inner;
}

/**
 * The DER SubjectPublicKeyInfo of the point on `info`'s curve. Built through Node's JWK import, which also
 * checks that the point lies on the curve, and exported in the canonical named-curve form.
 */
export function spkiFromPoint(point: Uint8Array, info: CurveInfo): Uint8Array {
  const x = Buffer.from(point.subarray(1, 1 + info.size)).toString('base64url');
  const y = Buffer.from(point.subarray(1 + info.size)).toString('base64url');
  try {
    const key = createPublicKey({ key: { kty: 'EC', crv: info.curve, x, y }, format: 'jwk' });
    return new Uint8Array(key.export({ type: 'spki', format: 'der' }));
  } catch (error) {
    throw new Pkcs11Error(
      'UNSUPPORTED_KEY',
      `Unsupported key: the token's ${info.curve} public point is invalid`,
      {
        cause: error,
      },
    );
  }
}

/** The PEM text of a DER SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, 64-character lines). */
export function spkiToPem(spki: Uint8Array): string {
  return createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
}

/** The host-side digest the token signs with `CKM_ECDSA`: SHA-256/384/512 by curve. */
export function digestFor(info: CurveInfo, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(info.hash).update(data).digest());
}

/** An unsigned big-endian integer in minimal two's-complement form (what DER INTEGER content must be). */
function minimalPositive(bytes: Uint8Array): ArrayBuffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  const out = new Uint8Array(trimmed.length + ((trimmed[0] ?? 0) & 0x80 ? 1 : 0));
  out.set(trimmed, out.length - trimmed.length);
  return out.buffer;
}

/**
 * Converts the raw `r‖s` a token returns for `CKM_ECDSA` into a DER `ECDSA-Sig-Value`. The asn1 library
 * encodes INTEGER contents as given, so they are made minimal (and positive) here first.
 */
export function rawSignatureToDer(raw: Uint8Array, info: CurveInfo): Uint8Array {
  if (raw.length !== 2 * info.size) {
    throw new Pkcs11Error(
      'SIGN_FAILED',
      `The token returned a ${raw.length}-byte ECDSA signature; ${2 * info.size} bytes were expected for ${info.curve}`,
    );
  }
  const value = new ECDSASigValue();
  value.r = minimalPositive(raw.subarray(0, info.size));
  value.s = minimalPositive(raw.subarray(info.size));
  return new Uint8Array(AsnConvert.serialize(value));
}
