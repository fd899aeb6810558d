/**
 * Verifies ML model signatures (OpenSSF model-signing format) in the browser: EC-key and certificate
 * signatures on WebCrypto and pkijs, the model's files hashed as streams in Web Workers with hash-wasm
 * (SHA-256, BLAKE2b, BLAKE3). Models come from a folder picker, a directory handle, Blobs or URLs.
 *
 * @packageDocumentation
 */
export {
  ACCEPTED_MEDIA_TYPES,
  type BundleContent,
  bundleMethod,
  type Envelope,
  KEY_BUNDLE_MEDIA_TYPE,
  type ParsedBundle,
  readBundle,
} from './bundle.js';
export {
  type CertificateVerifierOptions,
  Config,
  type KeyVerifierOptions,
  type PemSource,
  type SignatureSource,
  type VerificationResult,
  type VerifyOptions,
  type VerifyProgress,
} from './config.js';
export { CURVE_FIELD_BYTES, type Curve, derToP1363 } from './der.js';
export {
  type MismatchDetails,
  type ReportedDigest,
  VERIFICATION_ERROR_CODES,
  VerificationError,
  type VerificationErrorCode,
} from './errors.js';
export type { FileSource, ModelInput } from './sources.js';
