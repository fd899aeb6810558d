/**
 * Signs ML models in the OpenSSF model-signing (OMS) format: the in-toto statement of the model's manifest,
 * wrapped in DSSE and a Sigstore bundle v0.3, signed with an EC key, an X.509 certificate chain, Sigstore
 * keyless or PKCS #11.
 *
 * @packageDocumentation
 */

// Key, certificate and PAE helpers shared with verification live in @model-signing/core; signing keeps
// exporting them so that its public API is unchanged.
export {
  CURVE_HASH,
  curveOf,
  type EcCurve,
  loadEcPublicKey,
  type PemInput,
  pae,
  publicKeyHint,
  publicKeyPem,
  readCertificates,
  readSingleCertificate,
  SigningError,
  type SigningErrorCode,
  spkiDer,
  withSpan,
} from '@model-signing/core';
export { BUNDLE_MEDIA_TYPE, createCertificateBundleSigner, createKeyBundleSigner } from './bundle.js';
export {
  type CertificateSignerOptions,
  Config,
  type EllipticKeySignerOptions,
  type SignOptions,
  type SignResult,
} from './config.js';
export { createEcdsaKeySigner, loadEcPrivateKey } from './ec-key.js';
export {
  type ImageSignOptions,
  type ImageSignResult,
  type SignerSource,
  signFromManifestWith,
  signImageWith,
} from './image.js';
export {
  createPkcs11CertificateSigner,
  createPkcs11Signer,
  type Pkcs11CertificateSignerOptions,
  type Pkcs11SignerOptions,
} from './pkcs11.js';
export type { BundleJson, EcdsaKeySigner, ModelSigner, SigningMethod } from './signer.js';
export * from './sigstore/index.js';
export {
  checkTimestampServers,
  type Rfc3161TimestampJson,
  requestTimestamp,
  type TimestampOptions,
  timestampSignature,
} from './timestamp.js';
export {
  abortPendingWrites,
  checkWritable,
  removeStaleTempFiles,
  STALE_TEMP_AGE_MS,
  writeAtomically,
} from './write.js';
