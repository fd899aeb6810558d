import { verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { CURVE_HASH, curveOf, pae } from '@model-signing/core';
import type { DsseEnvelope } from './bundle.js';
import { VerificationError } from './errors.js';

/**
 * The malformed PAE that v0.2.0 signed (format §5.2): `DSSEV1` (capital V), the lengths, then Python's
 * `repr()` of the payload bytes. No library produces this quirk, so it is written here.
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
  repr += "'";
  const type = Buffer.from(payloadType, 'utf8');
  return new Uint8Array(
    Buffer.from(`DSSEV1 ${type.length} ${payloadType} ${payload.length} ${repr}`, 'latin1'),
  );
}

function check(hash: string, data: Uint8Array, key: KeyObject, sig: Uint8Array): boolean {
  try {
    return cryptoVerify(hash, data, { key, dsaEncoding: 'der' }, sig);
  } catch {
    return false;
  }
}

/**
 * Verifies the envelope's single ECDSA signature with `key`, always with the hash of the key's curve (Node's
 * default would be SHA-256 for every curve). When that fails and `compatHash` is given, the v0.2.0 PAE is
 * tried with that hash: the curve hash for the key method, SHA-256 for the certificate method (decision 13).
 */
export function verifyDsseSignature(
  key: KeyObject,
  envelope: DsseEnvelope,
  compatHash: 'curve' | 'sha256' | undefined,
  what: string,
): void {
  const curve = curveOf(key);
  const hash = CURVE_HASH[curve];
  const sig = envelope.signatures[0].sig;
  if (check(hash, pae(envelope.payloadType, envelope.payload), key, sig)) return;
  if (compatHash !== undefined) {
    const legacy = compatPae(envelope.payloadType, envelope.payload);
    if (check(compatHash === 'curve' ? hash : 'sha256', legacy, key, sig)) return;
  }
  throw new VerificationError(
    'INVALID_SIGNATURE',
    `The signature does not verify with ${what}: the signed payload or the signature was changed, or it was made with another key`,
  );
}
