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

/** True when `issuer` issued `subject`: names match, key identifiers (when both present) match, signature verifies. */
function issued(issuer: ChainCertificate, subject: ChainCertificate): boolean {
  if (issuer.node.subject !== subject.node.issuer) return false;
  const aki = subject.cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  if (aki && ski && aki.toLowerCase() !== ski.toLowerCase()) return false;
  try {
    return subject.node.verify(issuer.node.publicKey);
  } catch {
    return false;
  }
}

function selfSigned(c: ChainCertificate): boolean {
  return issued(c, c);
}

const MAX_DEPTH = 10;

/**
 * Builds a path from `leaf` to a self-signed certificate in `anchors`, through `intermediates` (untrusted),
 * matching issuers by name, key identifiers and signature — never by name alone: the Python test leaf has
 * the same subject as its issuer. Returns the path leaf first, anchor last.
 */
export function buildPath(
  leaf: ChainCertificate,
  intermediates: readonly ChainCertificate[],
  anchors: readonly ChainCertificate[],
): ChainCertificate[] {
  const search = (path: ChainCertificate[]): ChainCertificate[] | undefined => {
    const current = path[path.length - 1] as ChainCertificate;
    if (anchors.some((a) => sameDer(a, current)) && selfSigned(current)) return path;
    if (path.length > MAX_DEPTH) return undefined;
    // Trust anchors first, so a bundle cannot lengthen the path with its own copies.
    for (const candidate of [...anchors, ...intermediates]) {
      if (path.some((c) => sameDer(c, candidate))) continue;
      if (!issued(candidate, current)) continue;
      const found = search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  const path = search([leaf]);
  if (!path) {
    untrusted(
      `The signing certificate ${label(leaf)} does not chain to a trusted root given with the certificate chain option (unable to get local issuer certificate)`,
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
