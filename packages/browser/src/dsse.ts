import type { Envelope } from './bundle.js';
import { type Curve, derToP1363 } from './der.js';
import { fail } from './errors.js';

const ascii = new TextEncoder();

/** The hash that goes with each curve (format §5.1). */
export const CURVE_HASH: Readonly<Record<Curve, 'SHA-256' | 'SHA-384' | 'SHA-512'>> = {
  'P-256': 'SHA-256',
  'P-384': 'SHA-384',
  'P-521': 'SHA-512',
};

function concat(head: string, payload: Uint8Array): Uint8Array {
  const prefix = ascii.encode(head);
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix);
  out.set(payload, prefix.length);
  return out;
}

/** DSSE v1 pre-authentication encoding: what the signature covers. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  return concat(`DSSEv1 ${ascii.encode(payloadType).length} ${payloadType} ${payload.length} `, payload);
}

/**
 * The malformed PAE that v0.2.0 signed (format §5.2): `DSSEV1`, then Python's `repr()` of the payload bytes.
 * No library produces this quirk.
 */
export function compatPae(payloadType: string, payload: Uint8Array): Uint8Array {
  let repr = "b'";
  for (const byte of payload) {
    if (byte === 0x5c) repr += '\\\\';
    else if (byte === 0x27) repr += "\\'";
    else if (byte === 0x09) repr += '\\t';
    else if (byte === 0x0a) repr += '\\n';
    else if (byte === 0x0d) repr += '\\r';
    else if (byte < 0x20 || byte >= 0x7f) repr += `\\x${byte.toString(16).padStart(2, '0')}`;
    else repr += String.fromCharCode(byte);
  }
  return concat(
    `DSSEV1 ${ascii.encode(payloadType).length} ${payloadType} ${payload.length} ${repr}'`,
    new Uint8Array(),
  );
}

/** A WebCrypto key, named through `crypto` so that the type reads the same with the DOM and Node.js typings. */
export type WebCryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** An EC public key ready for WebCrypto, with its curve. */
export interface VerificationKey {
  /** The WebCrypto key (ECDSA, verify). */
  readonly key: WebCryptoKey;
  /** Its curve. */
  readonly curve: Curve;
}

async function check(
  key: VerificationKey,
  hash: string,
  data: Uint8Array,
  raw: Uint8Array,
): Promise<boolean> {
  return crypto.subtle.verify(
    { name: 'ECDSA', hash },
    key.key,
    raw as Uint8Array<ArrayBuffer>,
    data as Uint8Array<ArrayBuffer>,
  );
}

/**
 * Verifies the envelope's ECDSA signature with the hash of the key's curve; when that fails and `compatHash`
 * is given, the v0.2.0 PAE with that hash (the curve's for the key method, SHA-256 for the certificate method:
 * decision 13). `what` names the key in the error.
 */
export async function verifyEnvelope(
  key: VerificationKey,
  envelope: Envelope,
  compatHash: 'curve' | 'sha256',
  what: string,
): Promise<void> {
  const hash = CURVE_HASH[key.curve];
  const raw = derToP1363(envelope.signature, key.curve);
  if (raw) {
    if (await check(key, hash, pae(envelope.payloadType, envelope.payload), raw)) return;
    const legacy = compatPae(envelope.payloadType, envelope.payload);
    if (await check(key, compatHash === 'curve' ? hash : 'SHA-256', legacy, raw)) return;
  }
  fail(
    'INVALID_SIGNATURE',
    `The signature does not verify with ${what}: the signed payload or the signature was changed, or it was made with another key`,
  );
}
