/**
 * Sigstore keyless verification (`verify sigstore`): the Fulcio certificate chain, SCT, transparency-log entry and
 * timestamps through `@sigstore/verify`, plus what it does not check (exact identity and issuer, the leaf's key
 * usages).
 * @module
 */
import { resolveVerificationTrust, type SigstoreTrust, type TufOptions, withSpan } from '@model-signing/core';
import { bundleFromJSON } from '@sigstore/bundle';
import {
  PolicyError,
  VerificationError as SigstoreVerifyError,
  toSignedEntity,
  toTrustMaterial,
  Verifier,
} from '@sigstore/verify';
import type { ParsedBundle } from '../bundle.js';
import { VerificationError, type VerificationErrorCode } from '../errors.js';
import type { BundleVerifier, VerifiedPayload } from '../verifier.js';
import { certificateIdentity, identityMismatch, leafUsageProblem } from './identity.js';

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
  return sigstoreVerifierFromTrust(trust, options.identity, options.oidcIssuer);
}

/** Creates a Sigstore verifier over already resolved trust material. */
export function sigstoreVerifierFromTrust(
  trust: SigstoreTrust,
  identity: string,
  issuer: string,
): BundleVerifier {
  // Default thresholds: one tlog entry, one SCT, one verified time. Never lowered for keyless bundles.
  const verifier = new Verifier(toTrustMaterial(trust.trustedRoot));
  return {
    method: 'sigstore',
    verify(parsed: ParsedBundle): Promise<VerifiedPayload> {
      const attributes = {
        'sigstore.identity': identity,
        'sigstore.oidc_issuer': issuer,
        'sigstore.trust_source': trust.source,
      };
      return withSpan('sigstore.verify', attributes, async () => {
        const leafDer = sigstoreLeaf(parsed);
        let bundle: ReturnType<typeof bundleFromJSON>;
        try {
          bundle = bundleFromJSON(parsed.json);
        } catch (error) {
          throw new VerificationError(
            'INVALID_BUNDLE',
            `Invalid Sigstore bundle: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        try {
          verifier.verify(toSignedEntity(bundle));
        } catch (error) {
          throw translate(error, trust.source);
        }
        const usage = leafUsageProblem(leafDer);
        if (usage) throw new VerificationError('CERTIFICATE_USAGE', `Sigstore verification failed: ${usage}`);
        const mismatch = identityMismatch(certificateIdentity(leafDer), identity, issuer);
        if (mismatch)
          throw new VerificationError('IDENTITY_MISMATCH', `Sigstore identity check failed: ${mismatch}`);
        return { payloadType: parsed.envelope.payloadType, payload: parsed.envelope.payload };
      });
    },
  };
}

/**
 * The Fulcio leaf of a keyless bundle. Key bundles and chain bundles without log entries were made by the key
 * and certificate methods: refused with the method they need (decision 12). Chain bundles with log entries are
 * Sigstore bundles v0.1/v0.2, whose first certificate is the leaf.
 */
function sigstoreLeaf(parsed: ParsedBundle): Uint8Array {
  const content = parsed.content;
  if (content.kind === 'certificate') return content.certificate;
  if (content.kind === 'publicKey') {
    throw new VerificationError(
      'WRONG_METHOD',
      'The bundle was signed with a key, not with Sigstore: verify it with the key method (verify key)',
    );
  }
  const material = parsed.json.verificationMaterial as { tlogEntries?: unknown[] } | undefined;
  if ((material?.tlogEntries?.length ?? 0) === 0) {
    throw new VerificationError(
      'WRONG_METHOD',
      'The bundle was signed with a certificate, not with Sigstore: verify it with the certificate method (verify certificate)',
    );
  }
  return content.certificates[0]!;
}

/** Our code for a `@sigstore/verify` error code. */
function codeFor(sigstoreCode: string): VerificationErrorCode {
  if (sigstoreCode === 'SIGNATURE_ERROR') return 'INVALID_SIGNATURE';
  if (sigstoreCode.startsWith('TLOG')) return 'TRANSPARENCY_LOG';
  if (sigstoreCode === 'TIMESTAMP_ERROR') return 'TIMESTAMP';
  if (sigstoreCode === 'UNTRUSTED_SIGNER_ERROR') return 'IDENTITY_MISMATCH';
  return 'UNTRUSTED_CERTIFICATE';
}

function translate(error: unknown, source: string): VerificationError {
  if (error instanceof SigstoreVerifyError || error instanceof PolicyError) {
    return new VerificationError(
      codeFor(error.code),
      `Sigstore verification failed (${error.code}): ${error.message} [trust: ${source}]`,
      { cause: error },
    );
  }
  return new VerificationError(
    'UNTRUSTED_CERTIFICATE',
    `Sigstore verification failed: ${(error as Error).message}`,
    {
      cause: error,
    },
  );
}
