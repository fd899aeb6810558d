/**
 * Sigstore keyless verification (`verify sigstore`): the Fulcio certificate chain, SCT, transparency-log entry and
 * timestamps through `@sigstore/verify`, plus what it does not check (exact identity and issuer, the leaf's key
 * usages).
 * @module
 */
import { resolveVerificationTrust, type SigstoreTrust, type TufOptions } from '@model-signing/core';
import { VerificationError } from '../errors.js';
import type { BundleVerifier } from '../verifier.js';

/** Options of Sigstore keyless verification (mirrors the Python `use_sigstore_verifier`). */
export interface SigstoreVerifierOptions {
  /** The signer identity, compared exactly with the certificate's SAN (email, URI or Sigstore otherName). */
  identity: string;
  /** The OIDC issuer, compared exactly with the certificate's issuer extension. */
  oidcIssuer: string;
  /** Trust the Sigstore staging instance (through TUF, online). */
  useStaging?: boolean;
  /** Trust a private instance bootstrapped with `trust-instance` (through TUF, online). */
  instance?: string;
  /** A ClientTrustConfig JSON file whose `trustedRoot` is trusted (wins over `instance` and `useStaging`). */
  trustConfig?: string;
  /** TUF cache and network options for `instance` / `useStaging`. */
  tuf?: TufOptions;
}

/**
 * Creates a Sigstore verifier. Trust precedence: `trustConfig` > `instance` > `useStaging` > production, whose
 * trusted root is the one embedded in `@sigstore/tuf` (no network access).
 */
export async function createSigstoreVerifier(options: SigstoreVerifierOptions): Promise<BundleVerifier> {
  if (!options.identity)
    throw new VerificationError('CONFIG_ERROR', 'Sigstore verification needs an identity');
  if (!options.oidcIssuer) {
    throw new VerificationError(
      'CONFIG_ERROR',
      'Sigstore verification needs an OIDC issuer (identity provider)',
    );
  }
  let trust: SigstoreTrust;
  try {
    trust = await resolveVerificationTrust(options, options.tuf);
  } catch (error) {
    throw new VerificationError('CONFIG_ERROR', (error as Error).message, { cause: error });
  }
  // @sigstore/verify is loaded only now: the key and certificate methods never need it.
  const { sigstoreVerifierFromTrust } = await import('./verifier.js');
  return sigstoreVerifierFromTrust(trust, options.identity, options.oidcIssuer);
}
