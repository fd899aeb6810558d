import { X509Certificate } from 'node:crypto';
import { pae, publicKeyHint, SigningError } from '@model-signing/core';
import { STATEMENT_PAYLOAD_TYPE } from '@model-signing/manifest';
import type { BundleJson, EcdsaKeySigner, ModelSigner } from './signer.js';

/** The bundle media type every method writes (and the only one the key and certificate verifiers accept). */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** The DSSE envelope of a signed statement, keys in the order the Python tool writes them. */
async function signedEnvelope(key: EcdsaKeySigner, statement: Uint8Array): Promise<Record<string, unknown>> {
  const signature = await key.sign(pae(STATEMENT_PAYLOAD_TYPE, statement));
  // keyid is "" (not absent, not null) as the Python tool writes it from 1.1.0 on.
  return {
    payload: b64(statement),
    payloadType: STATEMENT_PAYLOAD_TYPE,
    signatures: [{ sig: b64(signature), keyid: '' }],
  };
}

// Why the bundle JSON is written here and not by @sigstore/sign's DSSEBundleBuilder: its bundleToJSON drops
// proto3 defaults (`tlogEntries: []`, `keyid: ""`), and with a certificate chain it writes a v0.2 bundle holding
// the leaf only. The Python reader wants v0.3 with the whole chain; this is the exact layout it writes.

/**
 * A signer that writes key bundles: `verificationMaterial.publicKey.hint` (SHA-256 of the public key's PEM
 * text), `tlogEntries: []`, one signature with `keyid: ""`.
 */
export function createKeyBundleSigner(key: EcdsaKeySigner): ModelSigner {
  const hint = publicKeyHint(key.publicKeySpki);
  return {
    method: 'key',
    async sign(statement: Uint8Array): Promise<BundleJson> {
      return {
        mediaType: BUNDLE_MEDIA_TYPE,
        verificationMaterial: { publicKey: { hint }, tlogEntries: [] },
        dsseEnvelope: await signedEnvelope(key, statement),
      };
    },
    async close(): Promise<void> {
      await key.close?.();
    },
  };
}

/**
 * A signer that writes certificate bundles: `x509CertificateChain` = the leaf then `chainDer` in the given
 * order (nothing is reordered or validated, as the Python tool does). Fails when the key does not belong to
 * the leaf.
 */
export function createCertificateBundleSigner(
  key: EcdsaKeySigner,
  leafDer: Uint8Array,
  chainDer: readonly Uint8Array[],
): ModelSigner {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch (error) {
    throw new SigningError(
      'INVALID_CERTIFICATE',
      `The signing certificate cannot be parsed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const leafSpki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  if (!leafSpki.equals(Buffer.from(key.publicKeySpki))) {
    throw new SigningError(
      'KEY_CERTIFICATE_MISMATCH',
      'The public key from the certificate does not match the public key paired with the private key',
    );
  }
  const certificates = [leafDer, ...chainDer].map((der) => ({ rawBytes: b64(der) }));
  return {
    method: 'certificate',
    async sign(statement: Uint8Array): Promise<BundleJson> {
      return {
        mediaType: BUNDLE_MEDIA_TYPE,
        verificationMaterial: { x509CertificateChain: { certificates }, tlogEntries: [] },
        dsseEnvelope: await signedEnvelope(key, statement),
      };
    },
    async close(): Promise<void> {
      await key.close?.();
    },
  };
}
