/**
 * What signing and verifying share, below both: reading PEM keys and certificates, the EC curve rules, the
 * DSSE pre-authentication encoding, tracing spans, and the Sigstore trust material (ClientTrustConfig, TUF,
 * the embedded production root). Verification needs nothing else from the signing side, so a verify-only
 * install never pulls the signing stack.
 *
 * @packageDocumentation
 */
export { readCertificates, readSingleCertificate } from './certificates.js';
export {
  CURVE_HASH,
  curveOf,
  type EcCurve,
  loadEcPublicKey,
  publicKeyHint,
  publicKeyPem,
  spkiDer,
} from './ec-key.js';
export { SigningError, type SigningErrorCode } from './errors.js';
export { describeInput, type PemInput, readPem } from './material.js';
export { pae } from './pae.js';
export { redact, SigstoreError, type SigstoreErrorCode } from './sigstore/errors.js';
export { resolveVerificationTrust, type TrustSelection } from './sigstore/resolve.js';
export {
  loadClientTrustConfig,
  normaliseProtoJsonKeys,
  parseClientTrustConfig,
  parseSigningConfig,
  parseTrustedRoot,
  SIGNING_CONFIG_MEDIA_TYPE,
  type SigstoreTrust,
  TRUSTED_ROOT_MEDIA_TYPES,
} from './sigstore/trust-config.js';
export {
  defaultTufCachePath,
  embeddedProductionTrust,
  loadInstanceTrust,
  normaliseInstanceUrl,
  PRODUCTION_TUF_URL,
  STAGING_TUF_URL,
  type TufOptions,
  trustInstance,
} from './sigstore/tuf.js';
export { withSpan } from './telemetry.js';
