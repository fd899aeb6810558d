// The rules are those of the Node.js verifier (and of OpenSSL's default path validation, which the Python tool
// uses), on pkijs and WebCrypto: chains are built by names, key identifiers and signatures, never by names
// alone (the Python test leaf has the same subject as its issuer); validity at the current time unless the
// named opt-out asks for the leaf's notBefore (decision 10); issuers must be CAs with keyCertSign within their
// path length; an unknown critical extension fails; the leaf needs digitalSignature or codeSigning (§7.3).
import * as pkijs from 'pkijs';
import { decodeBase64 } from './base64.js';
import { fail } from './errors.js';

/** A parsed certificate and its DER. */
export interface ChainCertificate {
  /** The DER encoding. */
  readonly der: Uint8Array;
  /** The pkijs certificate. */
  readonly cert: pkijs.Certificate;
}

const OID = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

const KNOWN_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID));

/** The code signing extended key usage. */
export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
};

/**
 * The certificates of PEM text (every `CERTIFICATE` block, in order, text between them ignored); `what` names
 * the text in errors.
 */
export function pemCertificates(pem: string, what: string): Uint8Array[] {
  const blocks = pem.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/g);
  return [...blocks].map(([, body], i) => {
    try {
      return decodeBase64((body ?? '').replace(/\s+/g, ''), what);
    } catch (error) {
      return fail(
        'INVALID_KEY',
        `Certificate ${i + 1} of ${what} is not valid PEM (its base64 is malformed)`,
        error,
      );
    }
  });
}

/** Parses a DER certificate; `what` names it in errors. */
export function parseCertificate(der: Uint8Array, what: string): ChainCertificate {
  try {
    return { der, cert: pkijs.Certificate.fromBER(der as Uint8Array<ArrayBuffer>) };
  } catch (error) {
    return fail('INVALID_KEY', `${what} cannot be parsed: ${(error as Error).message}`, error);
  }
}

/** The subject as `CN=…, O=…`. */
export function subjectText(c: ChainCertificate): string {
  return c.cert.subject.typesAndValues
    .map(({ type, value }) => `${ATTRIBUTE_NAMES[type] ?? type}=${String(value.valueBlock.value)}`)
    .join(', ');
}

const hex = (bytes: ArrayBuffer | Uint8Array) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

const label = (c: ChainCertificate) =>
  `'${subjectText(c) || '(empty subject)'}' (serial ${hex(c.cert.serialNumber.valueBlock.valueHexView)})`;

function extension<T>(c: ChainCertificate, oid: string): T | undefined {
  return c.cert.extensions?.find((e) => e.extnID === oid)?.parsedValue as T | undefined;
}

function keyIdentifier(value: { valueBlock: { valueHexView: Uint8Array } } | undefined): string | undefined {
  return value ? hex(value.valueBlock.valueHexView) : undefined;
}

// Key usage bits, numbered from the most significant bit of the first byte (RFC 5280 §4.2.1.3).
function keyUsageBit(c: ChainCertificate, bit: number): boolean | undefined {
  const usage = extension<{ valueBlock: { valueHexView: Uint8Array } }>(c, OID.keyUsage);
  if (!usage) return undefined;
  const byte = usage.valueBlock.valueHexView[bit >> 3] ?? 0;
  return (byte & (0x80 >> (bit & 7))) !== 0;
}

const DIGITAL_SIGNATURE = 0;
const KEY_CERT_SIGN = 5;

const sameDer = (a: ChainCertificate, b: ChainCertificate) =>
  a.der.length === b.der.length && a.der.every((byte, i) => byte === b.der[i]);

const selfIssued = (c: ChainCertificate) => c.cert.subject.isEqual(c.cert.issuer);

/** A path longer than this is refused. */
const MAX_DEPTH = 10;
/** At most this many signature checks per path search, whatever certificates a bundle brings. */
const MAX_CHECKS = 200;

/**
 * Builds a path from `leaf` to a self-signed certificate in `anchors` through `intermediates` (untrusted), leaf
 * first. Bounded in depth and in signature checks: a bundle cannot make the search run long.
 */
export async function buildPath(
  leaf: ChainCertificate,
  intermediates: readonly ChainCertificate[],
  anchors: readonly ChainCertificate[],
): Promise<ChainCertificate[]> {
  let checks = 0;
  const verdicts = new Map<string, boolean>();
  const all = [...anchors, ...intermediates];
  const id = (c: ChainCertificate) => (c === leaf ? -1 : all.indexOf(c));
  const issued = async (issuer: ChainCertificate, subject: ChainCertificate): Promise<boolean> => {
    if (!issuer.cert.subject.isEqual(subject.cert.issuer)) return false;
    type Aki = { keyIdentifier?: { valueBlock: { valueHexView: Uint8Array } } };
    const aki = keyIdentifier(extension<Aki>(subject, OID.authorityKeyIdentifier)?.keyIdentifier);
    const ski = keyIdentifier(extension(issuer, OID.subjectKeyIdentifier));
    if (aki && ski && aki !== ski) return false;
    const key = `${id(issuer)}>${id(subject)}`;
    const known = verdicts.get(key);
    if (known !== undefined) return known;
    if (++checks > MAX_CHECKS) return false;
    const verdict = await subject.cert.verify(issuer.cert).catch(() => false);
    verdicts.set(key, verdict);
    return verdict;
  };
  const search = async (path: ChainCertificate[]): Promise<ChainCertificate[] | undefined> => {
    const current = path[path.length - 1] as ChainCertificate;
    if (anchors.some((a) => sameDer(a, current)) && (await issued(current, current))) return path;
    if (path.length > MAX_DEPTH) return undefined;
    // Trust anchors first, so that a bundle cannot lengthen the path with its own copies.
    for (const candidate of all) {
      if (path.some((c) => sameDer(c, candidate))) continue;
      if (!(await issued(candidate, current))) continue;
      const found = await search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  const path = await search([leaf]);
  if (!path) {
    fail(
      'UNTRUSTED_CERTIFICATE',
      `The signing certificate ${label(leaf)} does not chain to a trusted root given with the certificate chain option (unable to get local issuer certificate)`,
    );
  }
  return path;
}

/**
 * Checks a built path at `time`: validity of every certificate, issuers that are CAs allowed to sign
 * certificates within their path length, no unknown critical extension.
 */
export function validatePath(path: readonly ChainCertificate[], time: Date): void {
  path.forEach((c, index) => {
    const notBefore = c.cert.notBefore.value;
    const notAfter = c.cert.notAfter.value;
    if (time < notBefore) {
      fail(
        'UNTRUSTED_CERTIFICATE',
        `Certificate ${label(c)} is not yet valid: valid from ${notBefore.toISOString()}`,
      );
    }
    if (time > notAfter) {
      fail(
        'UNTRUSTED_CERTIFICATE',
        `Certificate ${label(c)} has expired: valid until ${notAfter.toISOString()}`,
      );
    }
    for (const ext of c.cert.extensions ?? []) {
      if (ext.critical && !KNOWN_EXTENSIONS.has(ext.extnID)) {
        fail(
          'UNTRUSTED_CERTIFICATE',
          `Certificate ${label(c)} has an unsupported critical extension ${ext.extnID}`,
        );
      }
    }
    if (index === 0) return;
    const constraints = extension<pkijs.BasicConstraints>(c, OID.basicConstraints);
    if (!constraints?.cA) {
      fail('UNTRUSTED_CERTIFICATE', `Certificate ${label(c)} issued another certificate but is not a CA`);
    }
    if (keyUsageBit(c, KEY_CERT_SIGN) === false) {
      fail(
        'UNTRUSTED_CERTIFICATE',
        `Certificate ${label(c)} issued another certificate but its key usage lacks keyCertSign`,
      );
    }
    // pathLen counts the intermediates below this CA that are not self-issued (the leaf is not counted).
    const below = path.slice(1, index).filter((p) => !selfIssued(p)).length;
    const limit = constraints.pathLenConstraint;
    const pathLength = typeof limit === 'number' ? limit : limit?.valueBlock.valueDec;
    if (pathLength !== undefined && below > pathLength) {
      fail(
        'UNTRUSTED_CERTIFICATE',
        `Certificate ${label(c)} allows a path length of ${pathLength}, but ${below} CAs follow it`,
      );
    }
  });
}

/**
 * Checks that the leaf may sign: key usage with digitalSignature, or else extended key usage with
 * codeSigning. Returns warnings for absent extensions, as the Python tool logs them.
 */
export function checkLeafUsage(leaf: ChainCertificate): string[] {
  const warnings: string[] = [];
  const digitalSignature = keyUsageBit(leaf, DIGITAL_SIGNATURE);
  const extended = extension<pkijs.ExtKeyUsage>(leaf, OID.extKeyUsage);
  if (digitalSignature === undefined) warnings.push("Certificate does not specify 'KeyUsage'.");
  if (!extended) warnings.push("Certificate does not specify 'ExtendedKeyUsage'.");
  if (digitalSignature || extended?.keyPurposes.includes(EKU_CODE_SIGNING)) return warnings;
  return fail(
    'CERTIFICATE_USAGE',
    `Signing certificate ${label(leaf)} cannot be used for signing: it has neither the digitalSignature key usage nor the codeSigning extended key usage`,
  );
}

/** The DER SubjectPublicKeyInfo of a certificate. */
export function certificateSpki(c: ChainCertificate): Uint8Array {
  return new Uint8Array(c.cert.subjectPublicKeyInfo.toSchema().toBER(false));
}
