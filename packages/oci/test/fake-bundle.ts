/**
 * A stand-in for the signing and verifying packages (which depend on oci, so oci's own tests cannot use
 * them): an HMAC over the statement, wrapped in a bundle-shaped JSON object.
 */
import { createHmac } from 'node:crypto';

const SECRET = 'oci-test-secret';

/** Signs statement bytes into bundle bytes. */
export async function fakeSign(statement: Uint8Array): Promise<Uint8Array> {
  const bundle = {
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: 'test' }, tlogEntries: [] },
    dsseEnvelope: {
      payload: Buffer.from(statement).toString('base64'),
      payloadType: 'application/vnd.in-toto+json',
      signatures: [{ sig: createHmac('sha256', SECRET).update(statement).digest('base64'), keyid: '' }],
    },
  };
  return new TextEncoder().encode(JSON.stringify(bundle));
}

/** Checks a bundle made by {@link fakeSign} and returns its payload. */
export async function fakeVerify(bundle: unknown): Promise<{ payloadType: string; payload: Uint8Array }> {
  const envelope = (
    bundle as { dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string }[] } }
  ).dsseEnvelope;
  const payload = Buffer.from(envelope.payload, 'base64');
  if (createHmac('sha256', SECRET).update(payload).digest('base64') !== envelope.signatures[0]?.sig) {
    throw new Error('signature does not verify');
  }
  return { payloadType: envelope.payloadType, payload };
}
