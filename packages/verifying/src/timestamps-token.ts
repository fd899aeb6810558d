// Reading RFC 3161 tokens: the TimeStampResp or TimeStampToken, its TSTInfo, and the ESS attribute that names
// the authority's certificate. Trust is decided in timestamps.ts.
import { parseCertificate } from './chain.js';

/** The TSTInfo content type. */
export const TST_INFO = '1.2.840.113549.1.9.16.1.4';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const SIGNING_CERTIFICATE = '1.2.840.113549.1.9.16.2.12';
const SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const SHA1_OID = '1.3.14.3.2.26';

/** Node hash names of the imprint and ESS hash algorithms accepted. */
export const TIMESTAMP_HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** The pkijs module, loaded on first use. */
export type Pkijs = typeof import('pkijs');

/** A timestamp token read from a bundle (not yet verified). */
export interface ParsedToken {
  /** The CMS SignedData. */
  readonly signed: InstanceType<Pkijs['SignedData']>;
  /** The TSTInfo it signs. */
  readonly info: InstanceType<Pkijs['TSTInfo']>;
  /** The authority's time. */
  readonly genTime: Date;
  /** The subject of the signer's certificate when the token carries it. */
  readonly signer?: string;
}

/** The bytes as a standalone ArrayBuffer (what pkijs takes). */
export const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer =>
  bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

/** Reads a TimeStampResp (what Sigstore bundles hold) or a bare TimeStampToken; throws a plain Error. */
export function parseToken(pkijs: Pkijs, der: Uint8Array): ParsedToken {
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
export function essCertificateHash(
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
    const hash = hasAlgorithm ? (TIMESTAMP_HASHES[oid] ?? (oid === SHA1_OID ? 'sha1' : undefined)) : 'sha256';
    const value = (parts[hasAlgorithm ? 1 : 0] as Asn1Value | undefined)?.valueBlock?.valueHexView;
    return hash && value ? { hash, value: new Uint8Array(value) } : undefined;
  }
  return undefined;
}
