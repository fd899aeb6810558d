/**
 * Signs ML models in the OpenSSF model-signing (OMS) format: the in-toto statement of the model's manifest,
 * wrapped in DSSE and a Sigstore bundle v0.3, signed with an EC key, an X.509 certificate chain, Sigstore
 * keyless or PKCS #11.
 *
 * @packageDocumentation
 */
export { BUNDLE_MEDIA_TYPE, createCertificateBundleSigner, createKeyBundleSigner } from './bundle.js';
export { readCertificates, readSingleCertificate } from './certificates.js';
export {
  type CertificateSignerOptions,
  Config,
  type EllipticKeySignerOptions,
  type SignOptions,
  type SignResult,
} from './config.js';
export {
  CURVE_HASH,
  createEcdsaKeySigner,
  curveOf,
  loadEcPrivateKey,
  loadEcPublicKey,
  publicKeyHint,
  publicKeyPem,
  spkiDer,
} from './ec-key.js';
export { SigningError, type SigningErrorCode } from './errors.js';
export {
  type ImageSignOptions,
  type ImageSignResult,
  type SignerSource,
  signFromManifestWith,
  signImageWith,
} from './image.js';
export type { PemInput } from './material.js';
export { pae } from './pae.js';
export {
  createPkcs11CertificateSigner,
  createPkcs11Signer,
  type Pkcs11CertificateSignerOptions,
  type Pkcs11SignerOptions,
} from './pkcs11.js';
export type { BundleJson, EcCurve, EcdsaKeySigner, ModelSigner, SigningMethod } from './signer.js';
export * from './sigstore/index.js';
export { withSpan } from './telemetry.js';
export { checkWritable, writeAtomically } from './write.js';
