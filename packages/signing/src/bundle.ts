import { X509Certificate } from 'node:crypto';
import { pae, publicKeyHint, SigningError } from '@model-signing/core';
import { STATEMENT_PAYLOAD_TYPE } from '@model-signing/manifest';
import type { BundleJson, EcdsaKeySigner, ModelSigner } from './signer.js';
import { checkTimestampServers, type TimestampOptions, timestampSignature } from './timestamp.js';

/** The bundle media type every method writes (and the only one the key and certificate verifiers accept). */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * Signs a statement and builds the bundle around `content` (the verification material's key or chain), keys
 * in the order the Python tool writes them. With timestamp servers, the DSSE signature bytes are timestamped
 * (the message imprint Sigstore uses) and the replies follow `tlogEntries`, where Sigstore bundles keep them;
 * the Python reader accepts that field and ignores it for these methods.
 */
async function signedBundle(
  key: EcdsaKeySigner,
  statement: Uint8Array,
  content: Record<string, unknown>,
  timestamps: TimestampOptions,
): Promise<BundleJson> {
  const signature = await key.sign(pae(STATEMENT_PAYLOAD_TYPE, statement));
  const material: Record<string, unknown> = { ...content, tlogEntries: [] };
  if (timestamps.timestampServers?.length) {
    material.timestampVerificationData = {
      rfc3161Timestamps: await timestampSignature(signature, timestamps),
    };
  }
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: material,
    // keyid is "" (not absent, not null) as the Python tool writes it from 1.1.0 on.
    dsseEnvelope: {
      payload: b64(statement),
      payloadType: STATEMENT_PAYLOAD_TYPE,
      signatures: [{ sig: b64(signature), keyid: '' }],
    },
  };
}

// Why the bundle JSON is written here and not by @sigstore/sign's DSSEBundleBuilder: its bundleToJSON drops
// proto3 defaults (`tlogEntries: []`, `keyid: ""`), and with a certificate chain it writes a v0.2 bundle holding
// the leaf only. The Python reader wants v0.3 with the whole chain; this is the exact layout it writes.

/**
 * A signer that writes key bundles: `verificationMaterial.publicKey.hint` (SHA-256 of the public key's PEM
 * text), `tlogEntries: []`, one signature with `keyid: ""`.
 */
export function createKeyBundleSigner(key: EcdsaKeySigner, timestamps: TimestampOptions = {}): ModelSigner {
  checkTimestampServers(timestamps.timestampServers ?? []);
  const hint = publicKeyHint(key.publicKeySpki);
  return {
    method: 'key',
    async sign(statement: Uint8Array): Promise<BundleJson> {
      return signedBundle(key, statement, { publicKey: { hint } }, timestamps);
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
  timestamps: TimestampOptions = {},
): ModelSigner {
  checkTimestampServers(timestamps.timestampServers ?? []);
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
      return signedBundle(key, statement, { x509CertificateChain: { certificates } }, timestamps);
    },
    async close(): Promise<void> {
      await key.close?.();
    },
  };
}
