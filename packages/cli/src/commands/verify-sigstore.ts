import type { Config } from '@model-signing/verifying';
import { detectTarget } from '../target.js';
import {
  addImageVerifyOptions,
  type ImageVerifyCliOptions,
  requireLocalSignature,
  runVerifyImage,
} from './image-verify.js';
import { addSigstoreTrustOptions, type SigstoreTrustOptions, sigstoreTrust } from './sign-sigstore.js';
import type { CommandGroups } from './types.js';
import { addVerifyOptions, runVerify, type VerifyOptions } from './verify-key.js';

interface VerifySigstoreOptions
  extends VerifyOptions,
    SigstoreTrustOptions,
    Omit<ImageVerifyCliOptions, 'signature'> {
  identity: string;
  identityProvider: string;
}

/**
 * `verify sigstore MODEL_PATH` (also the default `verify MODEL_PATH`): checks a keyless bundle for an exact
 * identity and OIDC issuer. Trust: `--trust-config` > `--instance` > `--use-staging` > the production root
 * embedded in the package (no network access).
 */
export function registerVerifySigstore({ verify }: CommandGroups): void {
  const command = verify
    .command('sigstore')
    .description('Verify a Sigstore keyless signature (the default method).')
    .requiredOption('--identity <identity>', 'the signer identity (email or URI), matched exactly')
    .requiredOption('--identity-provider <url>', 'the OIDC issuer of the identity, matched exactly');
  addSigstoreTrustOptions(command);
  addImageVerifyOptions(addVerifyOptions(command)).action(
    async (modelPath: string, options: VerifySigstoreOptions) => {
      const configure = (config: Config) =>
        config.useSigstoreVerifier({
          identity: options.identity,
          oidcIssuer: options.identityProvider,
          ...sigstoreTrust(options),
        });
      // TARGET is a local model when it exists, else an OCI image reference (spec §1.2).
      const target = detectTarget(modelPath);
      if (target.kind === 'image') {
        return runVerifyImage(target.reference, options, configure, [
          'Signature verified against Sigstore bundle',
          'Signing identity matched',
          'OIDC issuer matched',
        ]);
      }
      requireLocalSignature(options);
      await runVerify(modelPath, options, configure);
    },
  );
}
