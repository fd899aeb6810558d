import { collect } from '../common.js';
import { UsageError } from '../errors.js';
import { logger } from '../log.js';
import {
  addTimestampVerifyOptions,
  type TimestampVerifyCliOptions,
  timestampAuthorities,
} from './timestamp-options.js';
import type { CommandGroups } from './types.js';
import { addVerifyOptions, type VerifyOptions } from './verify-key.js';

interface VerifyCertificateOptions extends VerifyOptions, TimestampVerifyCliOptions {
  certificateChain: string[];
  logFingerprints: boolean;
  allowExpiredCertificates: boolean;
}

/**
 * `verify certificate MODEL_PATH --signature SIG --certificate-chain PEM…`: verify a certificate signature
 * against the given trusted roots (required: no implicit WebPKI trust, decision 11), at the current time
 * unless `--allow-expired-certificates` (decision 10).
 */
export function registerVerifyCertificate({ verify }: CommandGroups): void {
  const command = verify
    .command('certificate')
    .description('Verify a model signed with an X.509 certificate chain.')
    .option(
      '--certificate-chain <path>',
      'PEM file of trusted root certificates (repeatable; required)',
      collect,
      [],
    )
    .option(
      '--log-fingerprints',
      'log the SHA-256 fingerprints of the trusted and the signing certificates',
      false,
    )
    .option(
      '--allow-expired-certificates',
      "validate the chain at the leaf's notBefore, as the Python tool does, so expired certificates pass",
      false,
    );
  addTimestampVerifyOptions(command);
  addVerifyOptions(command).action(async (modelPath: string, options: VerifyCertificateOptions) => {
    if (options.certificateChain.length === 0) {
      throw new UsageError(
        "Missing option '--certificate-chain': give the trusted root certificate(s); there is no implicit WebPKI trust.",
      );
    }
    logger.debug(
      `trust: the root certificates in ${options.certificateChain.join(', ')} (--certificate-chain)`,
    );
    const trust = timestampAuthorities(options);
    const { runVerify } = await import('../actions/verify.js');
    await runVerify(modelPath, options, (config) =>
      config.useCertificateVerifier({
        certificateChain: options.certificateChain,
        allowExpiredCertificates: options.allowExpiredCertificates,
        logFingerprints: options.logFingerprints,
        ...trust,
        log: (line) => logger.info(line),
      }),
    );
  });
}
