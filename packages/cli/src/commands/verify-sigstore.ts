import type { Config } from '@model-signing/verifying';
import { addImageVerifyOptions, type ImageVerifyCliOptions } from './image-verify.js';
import { addSigstoreTrustOptions, type SigstoreTrustOptions, sigstoreTrust } from './sign-sigstore.js';
import type { CommandGroups } from './types.js';
import { addVerifyOptions, type VerifyOptions } from './verify-key.js';

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
      const { verifyTarget } = await import('../actions/verify.js');
      await verifyTarget(modelPath, options, configure, [
        'Signature verified against Sigstore bundle',
        'Signing identity matched',
        'OIDC issuer matched',
      ]);
    },
  );
}
