/**
 * Sigstore keyless signing and the shared Sigstore trust code (ClientTrustConfig, TUF, `trust-instance`).
 * @module
 */

import { SigstoreError, type TufOptions } from '@model-signing/core';
import type { ModelSigner } from '../signer.js';
import { type AmbientContext, checkIdentityToken, type TokenSources } from './oidc/index.js';
import { resolveSigningTrust } from './resolve.js';
import { selectServices } from './services.js';
import { createKeylessSigner, type ServiceNetworkOptions } from './signer.js';

// The trust code lives in @model-signing/core, shared with verification; signing keeps exporting it.
export {
  defaultTufCachePath,
  embeddedProductionTrust,
  loadClientTrustConfig,
  loadInstanceTrust,
  normaliseInstanceUrl,
  normaliseProtoJsonKeys,
  PRODUCTION_TUF_URL,
  parseClientTrustConfig,
  parseSigningConfig,
  parseTrustedRoot,
  redact,
  resolveVerificationTrust,
  SigstoreError,
  type SigstoreErrorCode,
  type SigstoreTrust,
  STAGING_TUF_URL,
  type TrustSelection,
  type TufOptions,
  trustInstance,
} from '@model-signing/core';
export {
  type AmbientContext,
  type AmbientToken,
  checkIdentityToken,
  detectAmbientToken,
  type IdentityTokenClaims,
  type InteractiveOidcOptions,
  interactiveIdentityToken,
  OOB_REDIRECT_URI,
  obtainIdentityToken,
  SIGSTORE_AUDIENCE,
  type TokenOrigin,
  type TokenSources,
} from './oidc/index.js';
export { resolveSigningTrust } from './resolve.js';
export { type SelectedService, type SelectedServices, selectServices } from './services.js';
export { createKeylessSigner, type KeylessSignerParts, type ServiceNetworkOptions } from './signer.js';

/** Options of Sigstore keyless signing (mirrors the Python `use_sigstore_signer`). */
export interface SigstoreSignerOptions {
  /** Use the Sigstore staging instance (applies only without `trustConfig` and `instance`). */
  useStaging?: boolean;
  /** The URL of a private Sigstore instance bootstrapped with `trust-instance` (loses to `trustConfig`). */
  instance?: string;
  /** A ClientTrustConfig JSON file (trusted root + signing config); wins over `instance` and `useStaging`. */
  trustConfig?: string;
  /** An OIDC identity token; wins over ambient credentials and the interactive flow. */
  identityToken?: string;
  /** The OIDC issuer of the interactive flow (default: the signing config's first valid OIDC URL). */
  oidcIssuer?: string;
  /** Print the authorization URL and read the code from stdin instead of a browser with a loopback redirect. */
  oauthForceOob?: boolean;
  /** The OAuth client id (default `sigstore`). */
  clientId?: string;
  /** The OAuth client secret (default none). */
  clientSecret?: string;
  /** Detect ambient CI credentials (GitHub Actions, GitLab CI, Buildkite, Google Cloud, `SIGSTORE_ID_TOKEN`). */
  useAmbientCredentials?: boolean;
  /** TUF cache and network options (`instance`, `useStaging`). */
  tuf?: TufOptions;
  /** Timeouts and retries of the Fulcio, Rekor and TSA clients. */
  network?: ServiceNetworkOptions;
  /** Ambient detection context (environment, HTTP client); default the process's. */
  ambient?: AmbientContext;
  /** Interactive-flow I/O and browser hooks; default stdin, stderr and the system browser. */
  interactive?: TokenSources['interactive'];
}

/**
 * Creates a Sigstore keyless signer. Trust precedence: `trustConfig` > `instance` > `useStaging` > production
 * (decision 20). Resolves the trust material and the services now (so a bad config fails before hashing); the
 * identity token is obtained when signing. An explicit token is checked now.
 */
export async function createSigstoreSigner(options: SigstoreSignerOptions = {}): Promise<ModelSigner> {
  if (options.identityToken) checkIdentityToken(options.identityToken);
  const trust = await resolveSigningTrust(options, options.tuf);
  if (!trust.signingConfig) {
    throw new SigstoreError(
      'TRUST_CONFIG_ERROR',
      `${trust.source}: the trust config has no signing_config/signingConfig, which signing needs`,
    );
  }
  if (trust.trustedRoot.certificateAuthorities.length === 0) {
    throw new SigstoreError(
      'TRUST_CONFIG_ERROR',
      `${trust.source}: the trusted root has no certificate authority, so no Fulcio certificate can be trusted`,
    );
  }
  const services = selectServices(trust.signingConfig);
  return createKeylessSigner({
    trustedRoot: trust.trustedRoot,
    source: trust.source,
    services,
    tokens: {
      identityToken: options.identityToken,
      useAmbientCredentials: options.useAmbientCredentials,
      ambient: options.ambient,
      oidcIssuer: options.oidcIssuer ?? services.oidc?.url,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      oauthForceOob: options.oauthForceOob,
      interactive: options.interactive,
    },
    ...(options.network ? { network: options.network } : {}),
  });
}
