import type { KeyObject } from 'node:crypto';
import { type PemInput, publicKeyHint, spkiDer } from '@model-signing/core';
import type { ParsedBundle } from './bundle.js';
import { verifyDsseSignature } from './dsse.js';
import { VerificationError } from './errors.js';
import { loadPublicKey } from './keys.js';
import { requireKeyBundleMediaType, requireMethod } from './method.js';
import type { BundleVerifier, VerifiedPayload } from './verifier.js';

/** The warning the Python tool prints for key bundles older than v1.1.0 (they carry no key hint). */
export const OLD_KEY_FORMAT_WARNING =
  "WARNING: This model's signature uses an older verification material format. Please re-sign with an updated signer to use a public key identifier hash.";

/** Options of {@link createKeyVerifier}. */
export interface KeyVerifierOptions {
  /** The EC public key: a PEM file path or the PEM contents. */
  publicKey: PemInput;
}

/**
 * A verifier for key bundles: the bundle's key hint must name `publicKey` (when present), and the DSSE
 * signature must verify with it (falling back to the v0.2.0 PAE with the curve hash).
 */
export function createKeyVerifier(options: KeyVerifierOptions): BundleVerifier {
  const key: KeyObject = loadPublicKey(options.publicKey);
  const hint = publicKeyHint(spkiDer(key));
  return {
    method: 'key',
    async verify(bundle: ParsedBundle): Promise<VerifiedPayload> {
      requireKeyBundleMediaType(bundle);
      requireMethod(bundle, 'key');
      const warnings: string[] = [];
      if (bundle.content.kind === 'publicKey' && bundle.content.hint !== undefined) {
        if (bundle.content.hint !== hint) {
          throw new VerificationError(
            'KEY_MISMATCH',
            "Key mismatch: The public key hash in the signature's verification material does not match the provided public key",
          );
        }
      } else {
        warnings.push(OLD_KEY_FORMAT_WARNING);
      }
      verifyDsseSignature(key, bundle.envelope, 'curve', 'the given public key');
      return { payloadType: bundle.envelope.payloadType, payload: bundle.envelope.payload, warnings };
    },
  };
}
