// RFC 3161 timestamps of key and certificate bundles, verified here on pkijs (CMS SignedData, TSTInfo) and this
// package's own path builder rather than with @sigstore/verify's timestamp verifier: that one accepts ECDSA
// token signatures only (most authorities sign with RSA), checks no timeStamping extended key usage and no
// PKIStatus, and builds the authority's chain with its own unbounded rules, while the chain rules here are
// the ones the certificate method already applies (bounded search, validity, CA and path length).
import { createHash, webcrypto } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import type { ParsedBundle } from './bundle.js';
import { buildPath, type ChainCertificate, parseCertificate, validatePath } from './chain.js';
import { VerificationError } from './errors.js';
import {
  essCertificateHash,
  type ParsedToken,
  type Pkijs,
  parseToken,
  TIMESTAMP_HASHES,
  TST_INFO,
  toArrayBuffer,
} from './timestamps-token.js';
import type { TimestampTrust } from './timestamps-trust.js';

export {
  loadTimestampTrust,
  type TimestampAnchor,
  type TimestampTrust,
  type TimestampVerifierOptions,
} from './timestamps-trust.js';

const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const EXTENDED_KEY_USAGE = '2.5.29.37';
const CONTENT_TYPE_ATTRIBUTE = '1.2.840.113549.1.9.3';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** One timestamp of a bundle, as verification found it. */
export interface TimestampReport {
  /** The authority's genTime (absent when the token cannot be read). */
  readonly time?: Date;
  /** The subject of the authority's signing certificate, when the token names or carries it. */
  readonly authority?: string;
  /** True when it was verified against a trusted authority; false when no authority was given. */
  readonly verified: boolean;
}

/** The outcome of {@link checkTimestamps}. */
export interface TimestampOutcome {
  /** Every timestamp of the bundle, in bundle order. */
  readonly reports: readonly TimestampReport[];
  /** The earliest verified genTime: the time a certificate chain is validated at. */
  readonly earliest?: Date;
}

/** The DER `signedTimestamp`s of a bundle (`verificationMaterial.timestampVerificationData`), bundle order. */
export function bundleTimestamps(bundle: ParsedBundle): Uint8Array[] {
  const material = bundle.json.verificationMaterial;
  const data = isRecord(material) ? material.timestampVerificationData : undefined;
  const list = isRecord(data) ? data.rfc3161Timestamps : undefined;
  if (!Array.isArray(list)) return [];
  return list.map((entry, i) =>
    decodeBase64Strict(
      isRecord(entry) ? entry.signedTimestamp : undefined,
      `rfc3161Timestamps[${i}].signedTimestamp`,
    ),
  );
}

async function loadPkijs(): Promise<Pkijs> {
  return import('pkijs');
}

function timestampFailure(label: string, why: string, cause?: unknown): never {
  throw new VerificationError('TIMESTAMP', `${label} ${why}`, cause === undefined ? undefined : { cause });
}

/** Checks the TSA certificate's extended key usage (RFC 3161 §2.3): timeStamping only, critical. */
function checkTimeStampingUsage(tsa: ChainCertificate, label: string): void {
  const ext = tsa.cert.extensions.find((e) => e.type === EXTENDED_KEY_USAGE);
  const subject = `'${tsa.cert.subject}'`;
  if (!ext) {
    timestampFailure(
      label,
      `is signed by ${subject}, whose certificate has no extendedKeyUsage timeStamping`,
    );
  }
  if (!ext.critical) {
    timestampFailure(label, `is signed by ${subject}, whose extendedKeyUsage timeStamping is not critical`);
  }
  const usages = tsa.node.keyUsage ?? [];
  if (usages.length !== 1 || usages[0] !== EKU_TIME_STAMPING) {
    timestampFailure(label, `is signed by ${subject}, whose extendedKeyUsage is not timeStamping alone`);
  }
}

async function verifyToken(
  pkijs: Pkijs,
  token: ParsedToken,
  signature: Uint8Array,
  trust: TimestampTrust,
  label: string,
): Promise<string> {
  const { signed, info, genTime } = token;
  const hash = TIMESTAMP_HASHES[info.messageImprint.hashAlgorithm.algorithmId];
  if (!hash) {
    timestampFailure(
      label,
      `uses the unsupported imprint hash ${info.messageImprint.hashAlgorithm.algorithmId}`,
    );
  }
  const imprint = new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (!createHash(hash).update(signature).digest().equals(Buffer.from(imprint))) {
    timestampFailure(
      label,
      "covers other data than this bundle's signature (it was made for another signature)",
    );
  }
  const signerInfo = signed.signerInfos[0];
  const contentType = signerInfo?.signedAttrs?.attributes.find((a) => a.type === CONTENT_TYPE_ATTRIBUTE);
  if (contentType && contentType.values[0]?.valueBlock?.toString() !== TST_INFO) {
    timestampFailure(label, 'has a signed content-type attribute other than TSTInfo');
  }
  // A token without the authority's certificate is verified with the given ones.
  const given = [...trust.anchors.map((a) => a.cert), ...trust.intermediates].map(
    (c) => new pkijs.Certificate({ schema: pkijs.Certificate.fromBER(toArrayBuffer(c.der)).toSchema() }),
  );
  signed.certificates = [...(signed.certificates ?? []), ...given];
  const engine = new pkijs.CryptoEngine({
    name: 'node',
    crypto: webcrypto as ConstructorParameters<Pkijs['CryptoEngine']>[0]['crypto'],
  });
  let result: Awaited<ReturnType<typeof signed.verify>>;
  try {
    result = await signed.verify(
      { signer: 0, data: toArrayBuffer(signature), checkChain: false, extendedMode: true },
      engine,
    );
  } catch (error) {
    const message = (error as { message?: string }).message ?? String(error);
    return timestampFailure(label, `cannot be verified: ${message}`, error);
  }
  if (typeof result === 'boolean' || !result.signatureVerified || !result.signerCertificate) {
    return timestampFailure(label, "has a signature that does not verify with its authority's certificate");
  }
  const tsa = parseCertificate(
    new Uint8Array(result.signerCertificate.toSchema().toBER()),
    'Timestamp authority certificate',
  );
  const embedded = (signed.certificates ?? [])
    .filter((c): c is InstanceType<Pkijs['Certificate']> => c instanceof pkijs.Certificate)
    .map((c) => parseCertificate(new Uint8Array(c.toSchema().toBER()), 'Timestamp token certificate'));
  let path: ChainCertificate[];
  try {
    path = buildPath(
      tsa,
      [...embedded, ...trust.intermediates],
      trust.anchors.map((a) => a.cert),
      {
        what: 'timestamp authority certificate',
        anchorsOption: 'the timestamp authority option (--timestamp-authority)',
      },
    );
    // genTime must lie inside the validity of the authority's certificate and of its chain.
    validatePath(path, genTime);
  } catch (error) {
    return timestampFailure(label, `is not trusted: ${(error as Error).message}`, error);
  }
  checkTimeStampingUsage(tsa, label);
  const ess = essCertificateHash(signerInfo?.signedAttrs?.attributes ?? []);
  if (!ess) {
    timestampFailure(
      label,
      'has no signing-certificate attribute naming its authority certificate (RFC 3161 §2.4.1)',
    );
  }
  if (!createHash(ess.hash).update(tsa.der).digest().equals(Buffer.from(ess.value))) {
    timestampFailure(label, `names another certificate than '${tsa.cert.subject}', which signed it`);
  }
  // The same root may stand in several trusted-root entries: genTime must lie in one of their windows.
  const root = Buffer.from((path[path.length - 1] as ChainCertificate).der);
  const windows = trust.anchors.filter((a) => root.equals(Buffer.from(a.cert.der)));
  if (!windows.some((a) => (!a.start || genTime >= a.start) && (!a.end || genTime <= a.end))) {
    timestampFailure(
      label,
      `has genTime ${genTime.toISOString()} outside the validFor window of its trusted authority`,
    );
  }
  return tsa.cert.subject;
}

/**
 * Reads every RFC 3161 timestamp of `bundle`. With `trust`, each one must verify — the imprint is the hash of
 * the DSSE signature, the token signature verifies with the authority's certificate, that certificate chains
 * to a trusted root with the timeStamping key usage (critical) and genTime lies inside the chain's validity —
 * and at least `trust.minimum` must be present. Without it, they are only reported.
 */
export async function checkTimestamps(
  bundle: ParsedBundle,
  trust: TimestampTrust | undefined,
): Promise<TimestampOutcome> {
  const tokens = bundleTimestamps(bundle);
  if (trust && tokens.length < trust.minimum) {
    throw new VerificationError(
      'TIMESTAMP',
      tokens.length === 0
        ? `The signature carries no RFC 3161 timestamp, but ${trust.minimum} verified timestamp(s) are required: re-sign with --timestamp-server, or verify without --timestamp-authority`
        : `The signature carries ${tokens.length} RFC 3161 timestamp(s), but ${trust.minimum} are required (--min-timestamps)`,
    );
  }
  if (tokens.length === 0) return { reports: [] };
  const pkijs = await loadPkijs();
  const signature = bundle.envelope.signatures[0].sig;
  const reports: TimestampReport[] = [];
  for (const [i, der] of tokens.entries()) {
    const label = `Timestamp ${i + 1} of ${tokens.length}`;
    let token: ParsedToken;
    try {
      token = parseToken(pkijs, der);
    } catch (error) {
      if (trust) timestampFailure(label, `cannot be read: ${(error as Error).message}`, error);
      reports.push({ verified: false });
      continue;
    }
    if (!trust) {
      reports.push({
        time: token.genTime,
        ...(token.signer ? { authority: token.signer } : {}),
        verified: false,
      });
      continue;
    }
    const authority = await verifyToken(pkijs, token, signature, trust, label);
    reports.push({ time: token.genTime, authority, verified: true });
  }
  const verified = reports.filter((r) => r.verified && r.time).map((r) => r.time as Date);
  const earliest = verified.length ? new Date(Math.min(...verified.map((t) => t.getTime()))) : undefined;
  return earliest ? { reports, earliest } : { reports };
}
