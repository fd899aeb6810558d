import { createRequire } from 'node:module';

type PreAuthEncoding = (payloadType: string, payload: Buffer) => Buffer;

// Only the DSSE module of @sigstore/core when its layout allows: the index loads its ASN.1, X.509 and RFC 3161
// code too, which key and certificate verification never use (about 20 ms of every `verify key`). A release
// that hides the module behind an exports map falls back to the index rather than failing.
const requireHere = createRequire(import.meta.url);
let encoding: PreAuthEncoding | undefined;
function preAuthEncoding(): PreAuthEncoding {
  if (!encoding) {
    try {
      encoding = (requireHere('@sigstore/core/dist/dsse.js') as { preAuthEncoding: PreAuthEncoding })
        .preAuthEncoding;
    } catch {
      encoding = (requireHere('@sigstore/core') as typeof import('@sigstore/core')).dsse.preAuthEncoding;
    }
  }
  return encoding;
}

/**
 * The DSSE v1 pre-authentication encoding: `DSSEv1 <len(type)> <type> <len(payload)> <payload>`, the exact
 * bytes an ECDSA signature covers.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  return new Uint8Array(preAuthEncoding()(payloadType, Buffer.from(payload)));
}
