import { X509Certificate as NodeX509 } from 'node:crypto';
import { X509Certificate } from '@sigstore/core';

/** Fulcio's OIDC issuer extensions: `.1.1` (raw string, what Python compares) and `.1.8` (DER UTF8String). */
const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
/** Fulcio's otherName SAN for identities that are neither an email nor a URI. */
const OID_OTHERNAME_SAN = '1.3.6.1.4.1.57264.1.7';
const EKU_CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** What a Fulcio leaf certificate says about who signed. */
export interface CertificateIdentity {
  /** Every SAN value Fulcio may use: rfc822 email, URI, Sigstore otherName. */
  readonly subjectAlternativeNames: readonly string[];
  /** Issuer values from the `.1.1` and `.1.8` extensions that are present. */
  readonly issuers: readonly string[];
}

/** Decodes a DER UTF8String (tag 0x0c, definite length); malformed input yields a value no issuer equals. */
function derUtf8String(der: Buffer): string {
  if (der[0] !== 0x0c || der.length < 2) return '(malformed issuer extension)';
  let length = der[1]!;
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (der[2 + i] ?? 0);
    offset = 2 + count;
  }
  if (offset + length !== der.length) return '(malformed issuer extension)';
  return der.subarray(offset).toString('utf8');
}

/** Reads the SANs and issuer extensions of a DER leaf certificate. */
export function certificateIdentity(der: Uint8Array): CertificateIdentity {
  const cert = X509Certificate.parse(Buffer.from(der));
  const san = cert.extSubjectAltName;
  const names = [san?.rfc822Name, san?.uri, san?.otherName(OID_OTHERNAME_SAN)].filter(
    (v): v is string => typeof v === 'string' && v.length > 0,
  );
  const issuers: string[] = [];
  const v1 = cert.extension(OID_ISSUER_V1);
  if (v1) issuers.push(v1.value.toString('utf8'));
  const v2 = cert.extension(OID_ISSUER_V2);
  if (v2) issuers.push(derUtf8String(v2.value));
  return { subjectAlternativeNames: names, issuers };
}

/**
 * Why the identity policy fails, or undefined when it holds. Exact string comparison, never a regex
 * (`@sigstore/verify` treats a string SAN policy as an unanchored regex): `identity` must equal one SAN value,
 * and every issuer extension present must equal `issuer` (at least one must be present).
 */
export function identityMismatch(
  found: CertificateIdentity,
  identity: string,
  issuer: string,
): string | undefined {
  if (!found.subjectAlternativeNames.includes(identity)) {
    const got = found.subjectAlternativeNames.join(', ') || '(none)';
    return `the certificate identity is ${got}, expected ${identity}`;
  }
  if (found.issuers.length === 0) return 'the certificate has no OIDC issuer extension';
  const wrong = found.issuers.find((value) => value !== issuer);
  if (wrong !== undefined) return `the certificate's OIDC issuer is ${wrong}, expected ${issuer}`;
  return undefined;
}

/**
 * Why the leaf may not sign code, or undefined. Python requires KeyUsage digitalSignature and ExtendedKeyUsage
 * codeSigning; `@sigstore/verify` checks neither.
 */
export function leafUsageProblem(der: Uint8Array): string | undefined {
  const cert = X509Certificate.parse(Buffer.from(der));
  if (!cert.extKeyUsage?.digitalSignature)
    return 'the signing certificate lacks the digitalSignature key usage';
  // Node's X509Certificate.keyUsage lists the extended key usage OIDs.
  const eku = new NodeX509(Buffer.from(der)).keyUsage ?? [];
  if (!eku.includes(EKU_CODE_SIGNING))
    return 'the signing certificate lacks the codeSigning extended key usage';
  return undefined;
}
