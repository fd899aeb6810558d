import type { Readable, Writable } from 'node:stream';
import { SigstoreError } from '@model-signing/core';
import { type AmbientContext, detectAmbientToken } from './ambient.js';
import { interactiveIdentityToken } from './interactive.js';
import { checkIdentityToken } from './token.js';

export { type AmbientContext, type AmbientToken, detectAmbientToken, SIGSTORE_AUDIENCE } from './ambient.js';
export { type InteractiveOidcOptions, interactiveIdentityToken, OOB_REDIRECT_URI } from './interactive.js';
export { checkIdentityToken, type IdentityTokenClaims } from './token.js';

/** How to obtain the identity token, in the Python tool's precedence. */
export interface TokenSources {
  /** An explicit token: always wins. */
  readonly identityToken?: string | undefined;
  /** Look for ambient CI credentials before going interactive. */
  readonly useAmbientCredentials?: boolean | undefined;
  /** Ambient detection context (environment, HTTP client). */
  readonly ambient?: AmbientContext | undefined;
  /** The issuer of the interactive flow; undefined when neither the caller nor the signing config names one. */
  readonly oidcIssuer?: string | undefined;
  /** OAuth client id of the interactive flow. */
  readonly clientId?: string | undefined;
  /** OAuth client secret of the interactive flow. */
  readonly clientSecret?: string | undefined;
  /** Out-of-band interactive flow. */
  readonly oauthForceOob?: boolean | undefined;
  /** Interactive I/O and browser hooks (tests, embedding applications). */
  readonly interactive?:
    | {
        readonly input?: Readable;
        readonly output?: Writable;
        readonly openBrowser?: (url: string) => void | Promise<void>;
        readonly timeoutMs?: number;
      }
    | undefined;
}

/** Where a token came from: `explicit`, `ambient:<source>` or `interactive`. */
export type TokenOrigin = 'explicit' | `ambient:${string}` | 'interactive';

/**
 * Obtains an identity token: explicit token → ambient CI credentials (only with `useAmbientCredentials`) →
 * interactive OAuth (browser with loopback redirect, or out of band). The token is checked for shape and expiry
 * before it is used; errors never contain it.
 */
export async function obtainIdentityToken(
  sources: TokenSources,
): Promise<{ token: string; origin: TokenOrigin }> {
  if (sources.identityToken) {
    checkIdentityToken(sources.identityToken);
    return { token: sources.identityToken.trim(), origin: 'explicit' };
  }
  if (sources.useAmbientCredentials) {
    const ambient = await detectAmbientToken(sources.ambient);
    if (ambient) {
      checkIdentityToken(ambient.token);
      return { token: ambient.token.trim(), origin: `ambient:${ambient.source}` };
    }
  }
  if (!sources.oidcIssuer) {
    throw new SigstoreError('SIGNING_CONFIG_ERROR', 'No valid OIDC provider found in signing config');
  }
  const token = await interactiveIdentityToken({
    issuer: sources.oidcIssuer,
    ...(sources.clientId ? { clientId: sources.clientId } : {}),
    ...(sources.clientSecret ? { clientSecret: sources.clientSecret } : {}),
    forceOob: sources.oauthForceOob ?? false,
    ...(sources.ambient?.fetch ? { fetch: sources.ambient.fetch } : {}),
    ...sources.interactive,
  });
  checkIdentityToken(token);
  return { token, origin: 'interactive' };
}
