// Only the DSSE module of @sigstore/core: its index loads the ASN.1, X.509 and RFC 3161 code too, which
// key and certificate verification never use (about 20 ms of every `verify key`).
import { preAuthEncoding } from '@sigstore/core/dist/dsse.js';

/**
 * The DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, the exact
 * bytes an ECDSA signature covers.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  return new Uint8Array(preAuthEncoding(payloadType, Buffer.from(payload)));
}
