import { type ParsedBundle, requireKeyBundle } from './bundle.js';
import {
  buildPath,
  type ChainCertificate,
  certificateSpki,
  checkLeafUsage,
  parseCertificate,
  pemCertificates,
  subjectText,
  validatePath,
} from './chain.js';
import { type VerificationKey, verifyEnvelope } from './dsse.js';
import { fail } from './errors.js';
import { importSpki, keyHint, publicKeyDer } from './keys.js';

/** What a method's verifier hands back once the signature and the trust in its key hold. */
export interface VerifiedPayload {
  /** The DSSE payload type. */
  readonly payloadType: string;
  /** The exact signed payload bytes. */
  readonly payload: Uint8Array;
  /** Findings to show (an old bundle format, absent certificate extensions). */
  readonly warnings: readonly string[];
}

/** Checks one method's bundles: signature, key or certificate trust. */
export interface BundleVerifier {
  /** `key` or `certificate`. */
  readonly method: 'key' | 'certificate';
  /** Verifies the bundle and returns its signed payload. */
  verify(bundle: ParsedBundle): Promise<VerifiedPayload>;
}

/** The warning the Python tool prints for key bundles older than v1.1.0 (they carry no key hint). */
export const OLD_KEY_FORMAT_WARNING =
  "WARNING: This model's signature uses an older verification material format. Please re-sign with an updated signer to use a public key identifier hash.";

/** A verifier of key bundles with the PEM public key `pem`. */
export async function createKeyVerifier(pem: string): Promise<BundleVerifier> {
  const key = await importSpki(publicKeyDer(pem, 'public key'), 'public key');
  const hint = await keyHint(key);
  return {
    method: 'key',
    async verify(bundle) {
      requireKeyBundle(bundle, 'key');
      const warnings: string[] = [];
      const given = bundle.content.kind === 'publicKey' ? bundle.content.hint : undefined;
      if (given === undefined) warnings.push(OLD_KEY_FORMAT_WARNING);
      else if (given !== hint) {
        fail(
          'KEY_MISMATCH',
          "Key mismatch: The public key hash in the signature's verification material does not match the provided public key",
        );
      }
      await verifyEnvelope(key, bundle.envelope, 'curve', 'the given public key');
      return { payloadType: bundle.envelope.payloadType, payload: bundle.envelope.payload, warnings };
    },
  };
}

/** Options of {@link createCertificateVerifier}. */
export interface CertificateTrust {
  /** PEM texts; every certificate in them is a trust anchor. At least one. */
  readonly certificateChain: readonly string[];
  /** Validate at the leaf's notBefore instead of now (the Python tool's behaviour; decision 10). */
  readonly allowExpiredCertificates?: boolean | undefined;
  /** The time to validate at (default: now). */
  readonly now?: Date | undefined;
}

/** A verifier of certificate bundles trusting the given roots. */
export function createCertificateVerifier(trust: CertificateTrust): BundleVerifier {
  const anchors = trust.certificateChain.flatMap((pem, i) => {
    const ders = pemCertificates(pem, `certificate chain file ${i + 1}`);
    if (ders.length === 0) fail('INVALID_KEY', `Certificate chain file ${i + 1} holds no PEM certificate`);
    return ders.map((der, j) => parseCertificate(der, `Trusted certificate ${j + 1} of chain file ${i + 1}`));
  });
  // Decision 11: no implicit WebPKI trust.
  if (anchors.length === 0) {
    fail(
      'CONFIG_ERROR',
      'Certificate verification needs at least one trusted root certificate (--certificate-chain)',
    );
  }
  return {
    method: 'certificate',
    async verify(bundle) {
      requireKeyBundle(bundle, 'certificate');
      if (bundle.content.kind !== 'x509CertificateChain') throw new Error('unreachable');
      const certificates = bundle.content.certificates.map((der, i) =>
        parseCertificate(der, `Bundle certificate ${i + 1}`),
      );
      const [leaf, ...intermediates] = certificates as [ChainCertificate, ...ChainCertificate[]];
      const path = await buildPath(leaf, intermediates, anchors);
      validatePath(
        path,
        trust.allowExpiredCertificates ? leaf.cert.notBefore.value : (trust.now ?? new Date()),
      );
      const warnings = checkLeafUsage(leaf);
      const what = `the key of the signing certificate '${subjectText(leaf)}'`;
      const key: VerificationKey = await importSpki(certificateSpki(leaf), what);
      await verifyEnvelope(key, bundle.envelope, 'sha256', what);
      return { payloadType: bundle.envelope.payloadType, payload: bundle.envelope.payload, warnings };
    },
  };
}
