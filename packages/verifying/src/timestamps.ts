// RFC 3161 timestamps of key and certificate bundles, verified here on pkijs (CMS SignedData, TSTInfo) and this
// package's own path builder rather than with @sigstore/verify's timestamp verifier: that one accepts ECDSA
// token signatures only (most authorities sign with RSA), checks no timeStamping extended key usage and no
// PKIStatus, and builds the authority's chain with its own unbounded rules, while the chain rules here are
// the ones the certificate method already applies (bounded search, validity, CA and path length).
import { createHash, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PemInput } from '@model-signing/core';
import { fileErrorReason } from '@model-signing/manifest';
import { decodeBase64Strict } from './base64.js';
import type { ParsedBundle } from './bundle.js';
import { buildPath, type ChainCertificate, parseCertificate, validatePath } from './chain.js';
import { VerificationError } from './errors.js';

/** What the verifiers need to trust RFC 3161 timestamps. */
export interface TimestampVerifierOptions {
  /**
   * Trusted time-stamp authorities: PEM files (paths or contents) holding an authority's chain (its
   * self-signed roots are the anchors, the other certificates may serve as intermediates), or trusted-root
   * JSON files whose `timestampAuthorities` list them (as Sigstore trusted roots do). With none, timestamps
   * are reported but not trusted.
   */
  timestampAuthorities?: readonly PemInput[];
  /** How many verified timestamps a bundle must carry (default 1 when authorities are given). */
  minTimestamps?: number;
}

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

/** A trusted root of one authority, with the window its trusted-root entry allows (if any). */
interface Anchor {
  readonly cert: ChainCertificate;
  readonly start?: Date;
  readonly end?: Date;
}

/** Trusted authorities, loaded once when the verifier is configured. */
export interface TimestampTrust {
  /** The self-signed roots. */
  readonly anchors: readonly Anchor[];
  /** The other given certificates (authority certificates and intermediates). */
  readonly intermediates: readonly ChainCertificate[];
  /** At least this many verified timestamps. */
  readonly minimum: number;
}

const EKU_TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
const EXTENDED_KEY_USAGE = '2.5.29.37';
const TST_INFO = '1.2.840.113549.1.9.16.1.4';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const CONTENT_TYPE_ATTRIBUTE = '1.2.840.113549.1.9.3';
const SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12';
const SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const SHA1_OID = '1.3.14.3.2.26';
const IMPRINT_HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

const configError = (message: string): never => {
  throw new VerificationError('CONFIG_ERROR', message);
};

function readInput(input: PemInput, index: number): { text: string; source: string } {
  const source = typeof input === 'string' ? input : `timestamp authority ${index + 1} (given in memory)`;
  if (typeof input !== 'string') return { text: Buffer.from(input).toString('utf8'), source };
  try {
    return { text: readFileSync(input, 'utf8'), source };
  } catch (error) {
    throw new VerificationError(
      'READ_ERROR',
      `Cannot read the timestamp authority file ${input}: ${fileErrorReason(error)}`,
      { cause: error },
    );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `timestampAuthorities` of a trusted root or of a ClientTrustConfig's `trustedRoot`. */
function authoritiesOfJson(json: unknown, source: string): GivenAuthority[] {
  const root = isRecord(json) && isRecord(json.trustedRoot) ? json.trustedRoot : json;
  const list = isRecord(root) ? root.timestampAuthorities : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    configError(`The trusted root ${source} lists no timestampAuthorities`);
  }
  return (list as unknown[]).map((entry, i) => {
    const where = `timestampAuthorities[${i}] of ${source}`;
    const chain = isRecord(entry) && isRecord(entry.certChain) ? entry.certChain.certificates : undefined;
    if (!Array.isArray(chain) || chain.length === 0) configError(`${where} has no certChain.certificates`);
    const ders = (chain as unknown[]).map((c, j) =>
      decodeBase64Strict(
        isRecord(c) ? c.rawBytes : undefined,
        `${where}.certChain.certificates[${j}].rawBytes`,
      ),
    );
    const validFor = isRecord(entry) && isRecord(entry.validFor) ? entry.validFor : {};
    const date = (value: unknown, field: string) => {
      if (value === undefined) return undefined;
      const parsed = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
      if (Number.isNaN(parsed.getTime())) configError(`${where}.validFor.${field} is not a date`);
      return parsed;
    };
    return { ders, start: date(validFor.start, 'start'), end: date(validFor.end, 'end'), where };
  });
}

interface GivenAuthority {
  readonly ders: readonly Uint8Array[];
  readonly start: Date | undefined;
  readonly end: Date | undefined;
  readonly where: string;
}

function authoritiesOfPem(text: string, source: string): GivenAuthority[] {
  const ders = [...text.matchAll(PEM_CERTIFICATE)].map(
    (m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')),
  );
  if (ders.length === 0) configError(`The timestamp authority file ${source} holds no PEM certificate`);
  return [{ ders, start: undefined, end: undefined, where: `the timestamp authority file ${source}` }];
}

/** Loads the trusted authorities of `options` (undefined when none is given). */
export function loadTimestampTrust(options: TimestampVerifierOptions): TimestampTrust | undefined {
  const inputs = options.timestampAuthorities ?? [];
  if (options.minTimestamps !== undefined) {
    if (!Number.isInteger(options.minTimestamps) || options.minTimestamps < 0) {
      configError(
        `The minimum number of timestamps must be a whole number ≥ 0, not ${options.minTimestamps}`,
      );
    }
    if (inputs.length === 0 && options.minTimestamps > 0) {
      configError(
        'A minimum number of timestamps needs a trusted timestamp authority (--timestamp-authority)',
      );
    }
  }
  if (inputs.length === 0) return undefined;
  const anchors: Anchor[] = [];
  const intermediates: ChainCertificate[] = [];
  for (const [i, input] of inputs.entries()) {
    const { text, source } = readInput(input, i);
    let authorities: GivenAuthority[];
    if (text.trimStart().startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        configError(`The trusted root ${source} is not JSON (${(error as Error).message})`);
      }
      authorities = authoritiesOfJson(json, source);
    } else {
      authorities = authoritiesOfPem(text, source);
    }
    for (const authority of authorities) {
      const certs = authority.ders.map((der, j) =>
        parseCertificate(der, `Certificate ${j + 1} of ${authority.where}`),
      );
      const roots = certs.filter((c) => c.node.subject === c.node.issuer && c.node.verify(c.node.publicKey));
      if (roots.length === 0) {
        configError(`${authority.where} holds no self-signed root certificate: add the authority's root`);
      }
      for (const cert of certs) {
        if (roots.includes(cert)) {
          anchors.push({
            cert,
            ...(authority.start ? { start: authority.start } : {}),
            ...(authority.end ? { end: authority.end } : {}),
          });
        } else intermediates.push(cert);
      }
    }
  }
  return { anchors, intermediates, minimum: options.minTimestamps ?? 1 };
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

type Pkijs = typeof import('pkijs');

interface ParsedToken {
  readonly signed: InstanceType<Pkijs['SignedData']>;
  readonly info: InstanceType<Pkijs['TSTInfo']>;
  readonly genTime: Date;
  readonly signer?: string;
}

const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Reads a TimeStampResp (what Sigstore bundles hold) or a bare TimeStampToken; throws a plain Error. */
function parseToken(pkijs: Pkijs, der: Uint8Array): ParsedToken {
  let content: InstanceType<Pkijs['ContentInfo']>;
  try {
    const response = pkijs.TimeStampResp.fromBER(toArrayBuffer(der));
    const status = response.status.status;
    if (status !== 0 && status !== 1) throw new Error(`the authority refused it (PKIStatus ${status})`);
    if (!response.timeStampToken) throw new Error('the response holds no token');
    content = response.timeStampToken;
  } catch (error) {
    if ((error as Error).message.startsWith('the ')) throw error;
    content = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
  }
  if (content.contentType !== SIGNED_DATA) throw new Error('the token is not CMS SignedData');
  const signed = new pkijs.SignedData({ schema: content.content });
  const encap = signed.encapContentInfo;
  if (encap.eContentType !== TST_INFO || !encap.eContent)
    throw new Error('the token does not hold a TSTInfo');
  if (signed.signerInfos.length !== 1)
    throw new Error(`the token has ${signed.signerInfos.length} signers, not 1`);
  const info = pkijs.TSTInfo.fromBER(encap.eContent.getValue());
  const sid = signed.signerInfos[0]?.sid;
  let signer: string | undefined;
  for (const cert of signed.certificates ?? []) {
    if (!(cert instanceof pkijs.Certificate) || !(sid instanceof pkijs.IssuerAndSerialNumber)) continue;
    if (cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber)) {
      signer = parseCertificate(new Uint8Array(cert.toSchema().toBER()), 'timestamp signer').cert.subject;
    }
  }
  return { signed, info, genTime: info.genTime, ...(signer ? { signer } : {}) };
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

type Asn1Value = {
  valueBlock?: { value?: unknown[]; valueHexView?: Uint8Array };
  idBlock?: { tagNumber: number };
};

const children = (node: unknown): unknown[] => (node as Asn1Value | undefined)?.valueBlock?.value ?? [];

/**
 * The hash the token's signing-certificate attribute (ESS, RFC 2634 / RFC 5035) gives for the first
 * certificate: RFC 3161 §2.4.1 requires it, so that the token names the authority certificate it was made
 * with and no other certificate with the same key can stand in for it.
 */
function essCertificateHash(
  attributes: readonly { type: string; values: unknown[] }[],
): { hash: string; value: Uint8Array } | undefined {
  for (const attribute of attributes) {
    if (attribute.type !== SIGNING_CERTIFICATE && attribute.type !== SIGNING_CERTIFICATE_V2) continue;
    const first = children(children(attribute.values[0])[0])[0];
    const parts = children(first);
    if (attribute.type === SIGNING_CERTIFICATE) {
      const value = (parts[0] as Asn1Value | undefined)?.valueBlock?.valueHexView;
      return value ? { hash: 'sha1', value: new Uint8Array(value) } : undefined;
    }
    // ESSCertIDv2: an optional AlgorithmIdentifier (default SHA-256), then the hash.
    const hasAlgorithm = (parts[0] as Asn1Value | undefined)?.idBlock?.tagNumber === 16;
    const oid = hasAlgorithm
      ? String((children(parts[0])[0] as { valueBlock?: unknown })?.valueBlock ?? '')
      : '';
    const hash = hasAlgorithm ? (IMPRINT_HASHES[oid] ?? (oid === SHA1_OID ? 'sha1' : undefined)) : 'sha256';
    const value = (parts[hasAlgorithm ? 1 : 0] as Asn1Value | undefined)?.valueBlock?.valueHexView;
    return hash && value ? { hash, value: new Uint8Array(value) } : undefined;
  }
  return undefined;
}

async function verifyToken(
  pkijs: Pkijs,
  token: ParsedToken,
  signature: Uint8Array,
  trust: TimestampTrust,
  label: string,
): Promise<string> {
  const { signed, info, genTime } = token;
  const hash = IMPRINT_HASHES[info.messageImprint.hashAlgorithm.algorithmId];
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
  const root = path[path.length - 1] as ChainCertificate;
  const anchor = trust.anchors.find((a) => a.cert === root);
  if ((anchor?.start && genTime < anchor.start) || (anchor?.end && genTime > anchor.end)) {
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
