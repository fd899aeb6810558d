import { type PemInput, readCertificates } from '@model-signing/core';
import type { ParsedBundle } from './bundle.js';
import {
  buildPath,
  type ChainCertificate,
  checkLeafUsage,
  fingerprint,
  parseCertificate,
  validatePath,
} from './chain.js';
import { verifyDsseSignature } from './dsse.js';
import { VerificationError } from './errors.js';
import { asVerificationError } from './keys.js';
import { requireKeyBundleMediaType, requireMethod } from './method.js';
import type { BundleVerifier, VerifiedPayload } from './verifier.js';

/** Options of {@link createCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /** Trust anchors: PEM files (paths or contents); every certificate in them is trusted. At least one. */
  certificateChain: readonly PemInput[];
  /**
   * Validate the chain at the leaf's `notBefore` instead of now, so expired certificates pass. This is the
   * Python tool's behaviour, kept only as an explicit opt-out for old signatures (decision 10).
   */
  allowExpiredCertificates?: boolean;
  /** Log the SHA-256 fingerprint of every trusted and every bundle certificate. */
  logFingerprints?: boolean;
  /** Where fingerprint lines go (default: standard error). */
  log?: (line: string) => void;
  /** The time to validate at (default: now); for tests. */
  now?: () => Date;
}

/**
 * A verifier for certificate bundles: the leaf must chain, through the bundle's other certificates, to a
 * self-signed trust anchor; every certificate must be valid now; the leaf must be allowed to sign; the DSSE
 * signature must verify with the leaf key (falling back to the v0.2.0 PAE with SHA-256).
 */
export function createCertificateVerifier(options: CertificateVerifierOptions): BundleVerifier {
  if (options.certificateChain.length === 0) {
    // Decision 11: no implicit WebPKI trust.
    throw new VerificationError(
      'CONFIG_ERROR',
      'Certificate verification needs at least one trusted root certificate (--certificate-chain)',
    );
  }
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const anchors = options.certificateChain.flatMap((file, i) =>
    asVerificationError(() => readCertificates(file, 'certificate chain')).map((der, j) =>
      parseCertificate(der, `Trusted certificate ${j + 1} of chain file ${i + 1}`),
    ),
  );
  if (options.logFingerprints) {
    for (const anchor of anchors) log(`[  init  ] sha256 Fingerprint: ${fingerprint(anchor)}`);
  }
  return {
    method: 'certificate',
    async verify(bundle: ParsedBundle): Promise<VerifiedPayload> {
      requireKeyBundleMediaType(bundle);
      requireMethod(bundle, 'certificate');
      if (bundle.content.kind !== 'x509CertificateChain') throw new Error('unreachable');
      const certificates: ChainCertificate[] = bundle.content.certificates.map((der, i) =>
        parseCertificate(der, `Bundle certificate ${i + 1}`),
      );
      if (options.logFingerprints) {
        for (const c of certificates) log(`[ verify ] sha256 Fingerprint: ${fingerprint(c)}`);
      }
      const [leaf, ...intermediates] = certificates as [ChainCertificate, ...ChainCertificate[]];
      const path = buildPath(leaf, intermediates, anchors);
      const time = options.allowExpiredCertificates ? leaf.cert.notBefore : (options.now?.() ?? new Date());
      validatePath(path, time);
      const warnings = checkLeafUsage(leaf);
      const key = leaf.node.publicKey;
      asVerificationError(() =>
        verifyDsseSignature(
          key,
          bundle.envelope,
          'sha256',
          `the key of the signing certificate '${leaf.cert.subject}'`,
        ),
      );
      return { payloadType: bundle.envelope.payloadType, payload: bundle.envelope.payload, warnings };
    },
  };
}
