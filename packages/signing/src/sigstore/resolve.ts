import {
  embeddedProductionTrust,
  loadClientTrustConfig,
  loadInstanceTrust,
  PRODUCTION_TUF_URL,
  parseSigningConfig,
  type SigstoreTrust,
  STAGING_TUF_URL,
  type TrustSelection,
  type TufOptions,
} from '@model-signing/core';

/**
 * The public-good signing configuration, used when signing against production without a trust config. Built in
 * (public service URLs, as sigstore-python embeds them) so that choosing production needs no TUF round trip.
 */
const PRODUCTION_SIGNING_CONFIG = {
  mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
  caUrls: [
    {
      url: 'https://fulcio.sigstore.dev',
      majorApiVersion: 1,
      validFor: { start: '2022-04-13T20:06:15.000Z' },
      operator: 'sigstore.dev',
    },
  ],
  oidcUrls: [
    {
      url: 'https://oauth2.sigstore.dev/auth',
      majorApiVersion: 1,
      validFor: { start: '2022-04-13T20:06:15.000Z' },
      operator: 'sigstore.dev',
    },
  ],
  rekorTlogUrls: [
    {
      url: 'https://rekor.sigstore.dev',
      majorApiVersion: 1,
      validFor: { start: '2021-01-12T11:53:27.000Z' },
      operator: 'sigstore.dev',
    },
  ],
  tsaUrls: [
    {
      url: 'https://timestamp.sigstore.dev/api/v1/timestamp',
      majorApiVersion: 1,
      validFor: { start: '2025-07-04T00:00:00Z' },
      operator: 'sigstore.dev',
    },
  ],
  rekorTlogConfig: { selector: 'ANY' },
  tsaConfig: { selector: 'ANY' },
};

/**
 * Resolves the trust material for signing; it must carry a signing config. Production uses the embedded trusted
 * root and the built-in public-good services; staging and instances come from TUF.
 */
export async function resolveSigningTrust(
  selection: TrustSelection,
  tuf: TufOptions = {},
): Promise<SigstoreTrust> {
  if (selection.trustConfig) return loadClientTrustConfig(selection.trustConfig);
  if (selection.instance)
    return loadInstanceTrust(selection.instance, { ...tuf, requireSigningConfig: true });
  if (selection.useStaging) return loadInstanceTrust(STAGING_TUF_URL, { ...tuf, requireSigningConfig: true });
  return {
    ...embeddedProductionTrust(),
    signingConfig: parseSigningConfig(PRODUCTION_SIGNING_CONFIG, 'the built-in production signing config'),
    source: PRODUCTION_TUF_URL,
  };
}
