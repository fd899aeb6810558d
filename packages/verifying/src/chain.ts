// Path building and validation are written here, on @peculiar/x509 (extensions) and node:crypto (signatures),
// because the rules this format needs come together in no library: chains built by key identifiers and
// signatures (the Python test leaf has the same subject as its issuer, so name matching alone mistakes it for
// self-issued), validity at the current time with a named opt-out (decision 10), OpenSSL's CA and path-length
// rules, and the Python tool's leaf-usage rule (format-and-behaviour §7.3).
import { X509Certificate as NodeCertificate, webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';
import { VerificationError } from './errors.js';

// @peculiar/x509 (with reflect-metadata, tsyringe and the @peculiar/asn1 schemas) is some hundred modules that
// only the certificate method needs: it is required on first use, so that importing this package, and `verify
// key`, do not load it. A namespace that loads on first property access keeps these functions synchronous.
const requireHere = createRequire(import.meta.url);
let peculiar: typeof X509 | undefined;
const x509 = new Proxy({} as typeof X509, {
  get(_, property) {
    if (!peculiar) {
      requireHere('reflect-metadata');
      const loaded = requireHere('@peculiar/x509') as typeof X509;
      // @peculiar/x509 types its provider as the DOM Crypto, which Node's webcrypto implements.
      loaded.cryptoProvider.set(webcrypto as never);
      peculiar = loaded;
    }
    return peculiar[property as keyof typeof X509];
  },
});

/** A certificate parsed twice: @peculiar/x509 for the extensions, Node (OpenSSL) for signatures and names. */
export interface ChainCertificate {
  /** The DER encoding. */
  readonly der: Uint8Array;
  /** Extensions, names and dates. */
  readonly cert: X509.X509Certificate;
  /** Signature checks and the public key. */
  readonly node: NodeCertificate;
}

/** Parses a DER certificate; `what` names it in errors. */
export function parseCertificate(der: Uint8Array, what: string): ChainCertificate {
  try {
    return { der, cert: new x509.X509Certificate(der), node: new NodeCertificate(der) };
  } catch (error) {
    throw new VerificationError('INVALID_KEY', `${what} cannot be parsed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

const sameDer = (a: ChainCertificate, b: ChainCertificate) => Buffer.from(a.der).equals(Buffer.from(b.der));

/** Extensions this validator understands; any other critical extension fails validation (as in OpenSSL). */
const KNOWN_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.32', // certificatePolicies
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
]);

/** Code signing extended key usage. */
export const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

function untrusted(message: string): never {
  throw new VerificationError('UNTRUSTED_CERTIFICATE', message);
}

const label = (c: ChainCertificate) =>
  `'${c.cert.subject || '(empty subject)'}' (serial ${c.cert.serialNumber})`;

/** Cheap checks before a signature check: names match and key identifiers (when both present) match. */
function mayHaveIssued(issuer: ChainCertificate, subject: ChainCertificate): boolean {
  if (issuer.node.subject !== subject.node.issuer) return false;
  const aki = subject.cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return !(aki && ski && aki.toLowerCase() !== ski.toLowerCase());
}

function signatureVerifies(issuer: ChainCertificate, subject: ChainCertificate): boolean {
  try {
    return subject.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

const MAX_DEPTH = 10;

/** The work a path search may do; a bundle that needs more is refused before any other check. */
export interface PathSearchLimits {
  /** Issuer candidates (same name, matching key identifiers) allowed for one certificate. */
  readonly candidatesPerStep: number;
  /** Issuer checks (a candidate tried below a certificate, memoised or not) in one search. */
  readonly issuerChecks: number;
}

/** The default {@link PathSearchLimits}: far above any honest chain, far below what hangs a verifier. */
export const PATH_SEARCH_LIMITS: PathSearchLimits = { candidatesPerStep: 64, issuerChecks: 1000 };

/** Counters a path search fills in; tests read them to bound the work without timing it. */
export interface PathSearchStats {
  /** Signature verifications done (each (child, candidate) pair is verified at most once). */
  signatureChecks: number;
  /** Issuer checks done, memoised ones included. */
  issuerChecks: number;
}

/** Options of {@link buildPath}. */
export interface BuildPathOptions {
  /** The work limits (default {@link PATH_SEARCH_LIMITS}). */
  readonly limits?: PathSearchLimits;
  /** Filled in with the work done. */
  readonly stats?: PathSearchStats;
  /** Names the leaf in the error when no path exists (default: the signing certificate). */
  readonly what?: string;
  /** Names the trust anchors' option in the error when no path exists. */
  readonly anchorsOption?: string;
}

/**
 * Builds a path from `leaf` to a self-signed certificate in `anchors`, through `intermediates` (untrusted),
 * matching issuers by name, key identifiers and signature — never by name alone: the Python test leaf has
 * the same subject as its issuer. Returns the path leaf first, anchor last.
 *
 * The search is bounded: each (child, candidate) signature is verified once, a certificate may have at most
 * `candidatesPerStep` candidate issuers and a search at most `issuerChecks` issuer checks. Certificates that
 * share one name and key otherwise make every ordering of them a path to try.
 */
export function buildPath(
  leaf: ChainCertificate,
  intermediates: readonly ChainCertificate[],
  anchors: readonly ChainCertificate[],
  options: BuildPathOptions = {},
): ChainCertificate[] {
  const limits = options.limits ?? PATH_SEARCH_LIMITS;
  const stats = options.stats ?? { signatureChecks: 0, issuerChecks: 0 };
  const bundleCount = intermediates.length + 1;
  const exceeded = (what: string): never =>
    untrusted(
      `Certificate path search exceeded ${what} in the bundle's ${bundleCount} certificates; the bundle holds too many certificates with the same name: re-sign with only the leaf and its own chain`,
    );
  // Candidates by subject, each DER once; trust anchors first, so a bundle cannot lengthen the path with its
  // own copies of them.
  const hex = (c: ChainCertificate) => Buffer.from(c.der).toString('hex');
  const anchorDers = new Set(anchors.map(hex));
  const seen = new Set<string>();
  const bySubject = new Map<string, ChainCertificate[]>();
  for (const c of [...anchors, ...intermediates]) {
    const der = hex(c);
    if (seen.has(der)) continue;
    seen.add(der);
    const list = bySubject.get(c.node.subject);
    if (list) list.push(c);
    else bySubject.set(c.node.subject, [c]);
  }
  const verified = new Map<ChainCertificate, Map<ChainCertificate, boolean>>();
  const issued = (issuer: ChainCertificate, subject: ChainCertificate): boolean => {
    let row = verified.get(subject);
    if (!row) {
      row = new Map();
      verified.set(subject, row);
    }
    let ok = row.get(issuer);
    if (ok === undefined) {
      stats.signatureChecks++;
      ok = signatureVerifies(issuer, subject);
      row.set(issuer, ok);
    }
    return ok;
  };
  const isAnchor = (c: ChainCertificate) => anchorDers.has(hex(c)) && mayHaveIssued(c, c) && issued(c, c);
  const search = (path: ChainCertificate[]): ChainCertificate[] | undefined => {
    const current = path[path.length - 1] as ChainCertificate;
    if (isAnchor(current)) return path;
    if (path.length > MAX_DEPTH) return undefined;
    const candidates = (bySubject.get(current.node.issuer) ?? []).filter(
      (c) => !path.some((p) => sameDer(p, c)) && mayHaveIssued(c, current),
    );
    if (candidates.length > limits.candidatesPerStep) {
      exceeded(`${limits.candidatesPerStep} candidate issuers for ${label(current)}`);
    }
    for (const candidate of candidates) {
      if (++stats.issuerChecks > limits.issuerChecks) exceeded(`${limits.issuerChecks} issuer checks`);
      if (!issued(candidate, current)) continue;
      const found = search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  const path = search([leaf]);
  if (!path) {
    untrusted(
      `The ${options.what ?? 'signing certificate'} ${label(leaf)} does not chain to a trusted root given with ${options.anchorsOption ?? 'the certificate chain option'} (unable to get local issuer certificate)`,
    );
  }
  return path;
}

/**
 * Checks a built path at `time`: every certificate is within its validity, every issuer is a CA allowed to
 * sign certificates within its path length, and no certificate has an unknown critical extension.
 */
export function validatePath(path: readonly ChainCertificate[], time: Date): void {
  path.forEach((c, index) => {
    if (time < c.cert.notBefore) {
      untrusted(`Certificate ${label(c)} is not yet valid: valid from ${c.cert.notBefore.toISOString()}`);
    }
    if (time > c.cert.notAfter) {
      untrusted(`Certificate ${label(c)} has expired: valid until ${c.cert.notAfter.toISOString()}`);
    }
    for (const ext of c.cert.extensions) {
      if (ext.critical && !KNOWN_EXTENSIONS.has(ext.type)) {
        untrusted(`Certificate ${label(c)} has an unsupported critical extension ${ext.type}`);
      }
    }
    if (index === 0) return;
    const constraints = c.cert.getExtension(x509.BasicConstraintsExtension);
    if (!constraints?.ca) untrusted(`Certificate ${label(c)} issued another certificate but is not a CA`);
    const usage = c.cert.getExtension(x509.KeyUsagesExtension);
    if (usage && (usage.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
      untrusted(`Certificate ${label(c)} issued another certificate but its key usage lacks keyCertSign`);
    }
    // pathLen counts the non-self-issued intermediates below this CA (the leaf is not counted).
    const below = path.slice(1, index).filter((p) => p.node.subject !== p.node.issuer).length;
    if (constraints?.pathLength !== undefined && below > constraints.pathLength) {
      untrusted(
        `Certificate ${label(c)} allows a path length of ${constraints.pathLength}, but ${below} CAs follow it`,
      );
    }
  });
}

/**
 * Checks that the leaf may sign (format §7.3): key usage with digitalSignature, or else extended key usage with
 * codeSigning. Returns warnings for absent extensions, as the Python tool logs them.
 */
export function checkLeafUsage(leaf: ChainCertificate): string[] {
  const warnings: string[] = [];
  const usage = leaf.cert.getExtension(x509.KeyUsagesExtension);
  const extended = leaf.cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (!usage) warnings.push("Certificate does not specify 'KeyUsage'.");
  if (!extended) warnings.push("Certificate does not specify 'ExtendedKeyUsage'.");
  if (usage && (usage.usages & x509.KeyUsageFlags.digitalSignature) !== 0) return warnings;
  if (extended?.usages.map(String).includes(EKU_CODE_SIGNING)) return warnings;
  throw new VerificationError(
    'CERTIFICATE_USAGE',
    `Signing certificate ${label(leaf)} cannot be used for signing: it has neither the digitalSignature key usage nor the codeSigning extended key usage`,
  );
}

/** The SHA-256 fingerprint as `AA:BB:…`, the form the Python tool logs. */
export function fingerprint(c: ChainCertificate): string {
  return c.node.fingerprint256;
}
