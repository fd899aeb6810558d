/**
 * Sigstore keyless signing and the shared Sigstore trust code (ClientTrustConfig, TUF, `trust-instance`).
 * @module
 */
import { SigningError } from '../errors.js';
import type { ModelSigner } from '../signer.js';

export { redact, SigstoreError, type SigstoreErrorCode } from './errors.js';
export { resolveSigningTrust, resolveVerificationTrust, type TrustSelection } from './resolve.js';
export {
  loadClientTrustConfig,
  normaliseProtoJsonKeys,
  parseClientTrustConfig,
  parseSigningConfig,
  parseTrustedRoot,
  type SigstoreTrust,
} from './trust-config.js';
export {
  defaultTufCachePath,
  embeddedProductionTrust,
  loadInstanceTrust,
  normaliseInstanceUrl,
  PRODUCTION_TUF_URL,
  STAGING_TUF_URL,
  type TufOptions,
  trustInstance,
} from './tuf.js';

/** Options of Sigstore keyless signing (mirrors the Python `use_sigstore_signer`). */
export interface SigstoreSignerOptions {
  /** Use the Sigstore staging instance. */
  useStaging?: boolean;
  /** The URL of a private Sigstore instance bootstrapped with `trust-instance`. */
  instance?: string;
  /** A ClientTrustConfig JSON file. */
  trustConfig?: string;
  /** An OIDC identity token to use instead of an interactive flow. */
  identityToken?: string;
  /** The OIDC issuer of the interactive flow. */
  oidcIssuer?: string;
  /** Print the authorization URL instead of opening a browser. */
  oauthForceOob?: boolean;
  /** The OAuth client id (default `sigstore`). */
  clientId?: string;
  /** The OAuth client secret (default none). */
  clientSecret?: string;
  /** Detect ambient CI credentials (GitHub Actions and others). */
  useAmbientCredentials?: boolean;
}

/** Creates a Sigstore keyless signer. */
export async function createSigstoreSigner(_options: SigstoreSignerOptions): Promise<ModelSigner> {
  throw new SigningError('NOT_AVAILABLE', 'Sigstore signing is not available in this build');
}
