import { dsse } from '@sigstore/core';

/**
 * The DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, the exact
 * bytes an ECDSA signature covers.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  return new Uint8Array(dsse.preAuthEncoding(payloadType, Buffer.from(payload)));
}
