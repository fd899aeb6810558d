import { loadClientTrustConfig, type SigstoreTrust } from './trust-config.js';
import { embeddedProductionTrust, loadInstanceTrust, STAGING_TUF_URL, type TufOptions } from './tuf.js';

/** Where Sigstore trust comes from; precedence trustConfig > instance > useStaging > production (decision 20). */
export interface TrustSelection {
  /** Path to a ClientTrustConfig JSON file. */
  readonly trustConfig?: string | undefined;
  /** URL of a private instance's TUF repository, bootstrapped before with `trust-instance`. */
  readonly instance?: string | undefined;
  /** The Sigstore staging instance. */
  readonly useStaging?: boolean | undefined;
}

/**
 * Resolves the trust material for verification: the trust config's trusted root, an instance's or staging's
 * through TUF, or the production root embedded in `@sigstore/tuf` (offline).
 */
export async function resolveVerificationTrust(
  selection: TrustSelection,
  tuf: TufOptions = {},
): Promise<SigstoreTrust> {
  if (selection.trustConfig) return loadClientTrustConfig(selection.trustConfig);
  if (selection.instance) return loadInstanceTrust(selection.instance, tuf);
  if (selection.useStaging) return loadInstanceTrust(STAGING_TUF_URL, tuf);
  return embeddedProductionTrust();
}
