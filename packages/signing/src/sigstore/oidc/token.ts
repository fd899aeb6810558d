import { SigstoreError } from '@model-signing/core';

/** The claims of an identity token that signing looks at. */
export interface IdentityTokenClaims {
  /** The issuer. */
  readonly iss: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** The email, when the issuer vouches for one. */
  readonly email?: string;
  /** The subject. */
  readonly sub?: string;
}

/**
 * Decodes an identity token's claims WITHOUT checking its signature (Fulcio does that) and refuses tokens that
 * are malformed, lack an issuer or an expiry, are expired or not yet valid. Messages never contain the token.
 */
export function checkIdentityToken(token: string, now: Date = new Date()): IdentityTokenClaims {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) {
    throw new SigstoreError('IDENTITY_TOKEN_ERROR', 'The identity token is malformed: it is not a JWT');
  }
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    claims = parsed as Record<string, unknown>;
  } catch {
    throw new SigstoreError(
      'IDENTITY_TOKEN_ERROR',
      'The identity token is malformed: its claims are not JSON',
    );
  }
  if (typeof claims.iss !== 'string' || claims.iss === '') {
    throw new SigstoreError(
      'IDENTITY_TOKEN_ERROR',
      'The identity token is malformed: it has no issuer (iss)',
    );
  }
  if (typeof claims.exp !== 'number') {
    throw new SigstoreError(
      'IDENTITY_TOKEN_ERROR',
      'The identity token is malformed: it has no expiry (exp)',
    );
  }
  const seconds = now.getTime() / 1000;
  if (claims.exp <= seconds) {
    throw new SigstoreError(
      'IDENTITY_TOKEN_ERROR',
      `The identity token from ${claims.iss} expired at ${new Date(claims.exp * 1000).toISOString()}: get a fresh one`,
    );
  }
  if (typeof claims.nbf === 'number' && claims.nbf > seconds + 60) {
    throw new SigstoreError(
      'IDENTITY_TOKEN_ERROR',
      `The identity token from ${claims.iss} is not valid yet (nbf)`,
    );
  }
  return {
    iss: claims.iss,
    exp: claims.exp,
    ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
    ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
  };
}
