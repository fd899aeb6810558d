import { collect } from '../common.js';
import { addSignOptions, type SignOptions } from './sign-key.js';
import {
  addTimestampServerOption,
  type TimestampSignCliOptions,
  timestampServers,
} from './timestamp-options.js';
import type { CommandGroups } from './types.js';

interface SignCertificateOptions extends SignOptions, TimestampSignCliOptions {
  privateKey: string;
  password?: string;
  signingCertificate: string;
  certificateChain: string[];
}

/**
 * `sign certificate MODEL_PATH --private-key PEM --signing-certificate PEM [--certificate-chain PEM]…`: sign
 * with an EC private key and its X.509 certificate; the bundle carries the leaf then every chain certificate.
 */
export function registerSignCertificate({ sign }: CommandGroups): void {
  const command = sign
    .command('certificate')
    .description('Sign a model with a private key and its X.509 certificate chain.')
    .requiredOption('--private-key <path>', 'PEM private key matching the signing certificate')
    .option('--password <password>', 'password of an encrypted private key')
    .requiredOption('--signing-certificate <path>', 'PEM signing (leaf) certificate')
    .option(
      '--certificate-chain <path>',
      'PEM file of chain certificates (repeatable, in order)',
      collect,
      [],
    );
  addTimestampServerOption(command);
  addSignOptions(command).action(async (modelPath: string, options: SignCertificateOptions) => {
    const { runSign } = await import('../actions/sign.js');
    await runSign(modelPath, options, (config) =>
      config.useCertificateSigner({
        privateKey: options.privateKey,
        signingCertificate: options.signingCertificate,
        certificateChain: options.certificateChain,
        ...timestampServers(options),
        ...(options.password !== undefined ? { password: options.password } : {}),
      }),
    );
  });
}
