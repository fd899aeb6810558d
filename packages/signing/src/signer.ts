/**
 * The small interfaces every signing method implements. The data path is
 * model → manifest → statement bytes → {@link ModelSigner} → bundle JSON.
 * @module
 */

import type { EcCurve } from '@model-signing/core';

/** The signing methods, named as the CLI names them. */
export type SigningMethod = 'sigstore' | 'key' | 'certificate' | 'pkcs11-key' | 'pkcs11-certificate';

/**
 * A Sigstore bundle (v0.3) as JSON, exactly the object that is written to the signature file.
 * Only fields of the Sigstore protobuf schema may appear: the Python reader rejects unknown fields.
 */
export type BundleJson = { readonly mediaType: string } & Record<string, unknown>;

/** Signs the in-toto statement bytes of a model and returns the complete bundle. */
export interface ModelSigner {
  /** The method, for logs, telemetry and errors. */
  readonly method: SigningMethod;
  /** Signs `statement` (the exact bytes that become the DSSE payload) and returns the bundle JSON. */
  sign(statement: Uint8Array): Promise<BundleJson>;
  /** Releases what the signer holds (PKCS #11 sessions, for instance). Safe to call twice. */
  close?(): Promise<void>;
}

/**
 * An ECDSA key that can sign but whose private half may live elsewhere (a PEM file, a PKCS #11 token).
 * Key-based and certificate-based bundles are built from one of these.
 */
export interface EcdsaKeySigner {
  /** The curve; it decides the hash (SHA-256, SHA-384, SHA-512). */
  readonly curve: EcCurve;
  /** DER SubjectPublicKeyInfo of the public key. */
  readonly publicKeySpki: Uint8Array;
  /** Signs `data` (hashing it with the curve's hash) and returns a DER ECDSA-Sig-Value. */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Releases the key's resources. Safe to call twice. */
  close?(): Promise<void>;
}
