/**
 * Verifies ML model signatures in the OpenSSF model-signing (OMS) format: reads the bundle strictly, checks
 * the signature and the trust in its key (EC public key, X.509 chain, Sigstore), then hashes the model with
 * the signed serialization and compares it file by file.
 *
 * @packageDocumentation
 */
export { decodeBase64Strict } from './base64.js';
export {
  ACCEPTED_MEDIA_TYPES,
  type BundleContent,
  bundleMethod,
  type DsseEnvelope,
  type DsseSignature,
  KEY_BUNDLE_MEDIA_TYPE,
  type ParsedBundle,
  readBundle,
  readBundleFile,
} from './bundle.js';
export { type CertificateVerifierOptions, createCertificateVerifier } from './certificate-verifier.js';
export {
  buildPath,
  type ChainCertificate,
  checkLeafUsage,
  EKU_CODE_SIGNING,
  fingerprint,
  parseCertificate,
  validatePath,
} from './chain.js';
export {
  Config,
  type VerificationResult,
  type VerifyIgnoredPathsOptions,
  type VerifyOptions,
} from './config.js';
export { compatPae, verifyDsseSignature } from './dsse.js';
export {
  type MismatchDetails,
  type ReportedDigest,
  VerificationError,
  type VerificationErrorCode,
} from './errors.js';
export { type ImageVerificationResult, type ImageVerifyOptions, verifyImageWith } from './image.js';
export { createKeyVerifier, type KeyVerifierOptions, OLD_KEY_FORMAT_WARNING } from './key-verifier.js';
export { loadPublicKey } from './keys.js';
export { requireKeyBundleMediaType, requireMethod } from './method.js';
export {
  checkPayloadType,
  compareManifests,
  expectedManifest,
  hashingConfigFor,
  hashLocalModel,
  type LocalHashingOptions,
  signedStatement,
} from './pipeline.js';
export { createSigstoreVerifier, type SigstoreVerifierOptions } from './sigstore/lazy.js';
export type { BundleVerifier, VerificationMethod, VerifiedPayload } from './verifier.js';
