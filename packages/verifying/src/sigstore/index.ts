/**
 * Sigstore keyless verification (`verify sigstore`): the Fulcio certificate chain, SCT, transparency-log entry and
 * timestamps through `@sigstore/verify`, plus what it does not check (exact identity and issuer, the leaf's key
 * usages).
 * @module
 */
import { resolveVerificationTrust, type SigstoreTrust, type TufOptions, withSpan } from '@model-signing/core';
import { ValidationError as BundleValidationError, bundleFromJSON } from '@sigstore/bundle';
import { RFC3161Timestamp, X509Certificate } from '@sigstore/core';
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
          throw unreadable(error);
        }
        try {
          verifier.verify(toSignedEntity(bundle));
        } catch (error) {
          throw translate(error, trust.source, parsed);
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

// Every getter @sigstore/verify reads of a timestamp: they navigate the ASN.1 lazily, and a structure that is
// short of a part fails on first use with a TypeError (`reading 'subs'`) rather than a parse error.
function readTimestamp(der: Uint8Array): void {
  const ts = RFC3161Timestamp.parse(Buffer.from(der));
  const info = ts.tstInfo;
  void [
    ts.status,
    ts.contentType,
    ts.eContentType,
    ts.signingTime,
    ts.signerIssuer,
    ts.signerSerialNumber,
    ts.signerDigestAlgorithm,
    ts.signatureAlgorithm,
    ts.signatureValue,
    info.genTime,
    info.messageImprintHashAlgorithm,
    info.messageImprintHashedMessage,
  ];
}

function readCertificate(der: Uint8Array): void {
  const cert = X509Certificate.parse(Buffer.from(der));
  void [
    cert.notBefore,
    cert.notAfter,
    cert.issuer,
    cert.subject,
    cert.publicKey,
    cert.extensions,
    cert.extSCT,
  ];
}

/** The part of a bundle that cannot be read, read again part by part; undefined when each part reads. */
function malformedPart(parsed: ParsedBundle): string | undefined {
  const reads = (read: () => void): boolean => {
    try {
      read();
      return true;
    } catch {
      return false;
    }
  };
  const content = parsed.content;
  const leaf =
    content.kind === 'certificate'
      ? content.certificate
      : content.kind === 'x509CertificateChain'
        ? content.certificates[0]
        : undefined;
  if (leaf && !reads(() => readCertificate(leaf))) return 'the signing certificate';
  const material = parsed.json.verificationMaterial as
    | { timestampVerificationData?: { rfc3161Timestamps?: { signedTimestamp: string }[] } }
    | undefined;
  const stamps = material?.timestampVerificationData?.rfc3161Timestamps ?? [];
  for (const [index, stamp] of stamps.entries()) {
    const der = Buffer.from(stamp.signedTimestamp, 'base64');
    if (!reads(() => readTimestamp(der))) return `RFC 3161 timestamp ${index + 1} of ${stamps.length}`;
  }
  return undefined;
}

/**
 * A bundle that `@sigstore/bundle` refuses, in one line: the fields it names when it says which, else (a
 * value of the wrong type tripping its JSON reader) a malformed bundle; the original error is the cause.
 */
function unreadable(error: unknown): VerificationError {
  let what = 'a field holds a value of the wrong type';
  if (error instanceof BundleValidationError) {
    what = error.fields.length ? `${error.message} (${error.fields.join(', ')})` : error.message;
  }
  return new VerificationError(
    'INVALID_BUNDLE',
    `Invalid Sigstore bundle: ${what}; the signature is damaged: get an intact copy or sign the model again`,
    { cause: error },
  );
}

/**
 * A failure of `@sigstore/verify` as a {@link VerificationError}. Its own errors keep their code and message;
 * anything else (a dependency tripping over malformed ASN.1 or JSON) is a malformed bundle, in one line that
 * names the part when it can be found, the original error kept as the cause.
 */
function translate(error: unknown, source: string, parsed: ParsedBundle): VerificationError {
  if (error instanceof SigstoreVerifyError || error instanceof PolicyError) {
    return new VerificationError(
      codeFor(error.code),
      `Sigstore verification failed (${error.code}): ${error.message} [trust: ${source}]`,
      { cause: error },
    );
  }
  if (error instanceof VerificationError) return error;
  const part = malformedPart(parsed);
  return new VerificationError(
    'INVALID_BUNDLE',
    `Invalid Sigstore bundle: ${part ? `${part} is malformed` : 'a part of it is malformed'} and cannot be verified; the signature is damaged: get an intact copy or sign the model again`,
    { cause: error },
  );
}
