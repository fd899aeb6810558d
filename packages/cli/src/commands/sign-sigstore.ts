import type { Config, SigstoreSignerOptions } from '@model-signing/signing';
import type { Command } from 'commander';
import { logger } from '../log.js';
import { addImageSignOptions, type ImageSignCliOptions } from './image-sign.js';
import { addSignOptions, type SignOptions } from './sign-key.js';
import type { CommandGroups } from './types.js';

/** The trust options `sign sigstore` and `verify sigstore` share. */
export interface SigstoreTrustOptions {
  /** `--use-staging`. */
  useStaging: boolean;
  /** `--trust-config`: ClientTrustConfig JSON. */
  trustConfig?: string;
  /** `--instance`: TUF URL of a private instance. */
  instance?: string;
}

/** Adds `--use-staging`, `--trust-config` and `--instance`. */
export function addSigstoreTrustOptions(command: Command): Command {
  return command
    .option('--use-staging', 'use the Sigstore staging instance', false)
    .option('--trust-config <path>', 'ClientTrustConfig JSON of a Sigstore instance (wins over the others)')
    .option('--instance <url>', 'TUF URL of a private Sigstore instance bootstrapped with trust-instance');
}

/** The trust part of the library options: only what was given. */
export function sigstoreTrust(
  options: SigstoreTrustOptions,
): Pick<SigstoreSignerOptions, 'useStaging' | 'trustConfig' | 'instance'> {
  logger.debug(`trust: ${trustSource(options)}`);
  return {
    useStaging: options.useStaging,
    ...(options.trustConfig ? { trustConfig: options.trustConfig } : {}),
    ...(options.instance ? { instance: options.instance } : {}),
  };
}

/** Which Sigstore trust the options select, in the order the library applies them. */
function trustSource(options: SigstoreTrustOptions): string {
  if (options.trustConfig) return `the ClientTrustConfig file ${options.trustConfig} (--trust-config)`;
  if (options.instance) return `the private instance ${options.instance} (--instance; TUF cache)`;
  if (options.useStaging) return 'the Sigstore staging instance (--use-staging)';
  return 'the Sigstore public-good instance (production trusted root shipped with the package)';
}

interface SignSigstoreOptions extends SignOptions, SigstoreTrustOptions, ImageSignCliOptions {
  identityToken?: string;
  oauthForceOob: boolean;
  clientId: string;
  clientSecret?: string;
  useAmbientCredentials: boolean;
}

/**
 * `sign sigstore MODEL_PATH` (also the default `sign MODEL_PATH`): keyless signing with a Fulcio certificate
 * for an OIDC identity, logged in Rekor. Trust: `--trust-config` > `--instance` > `--use-staging` > production.
 * Identity token: `--identity-token` > ambient CI credentials (with `--use-ambient-credentials`) > browser sign-in
 * (or `--oauth-force-oob`).
 */
export function registerSignSigstore({ sign }: CommandGroups): void {
  const command = sign
    .command('sigstore')
    .description('Sign a model with Sigstore keyless signing (the default method).')
    .option('--identity-token <token>', 'OIDC identity token to use instead of signing in')
    .option('--oauth-force-oob', 'print the sign-in URL and read the code from stdin (no browser)', false)
    .option('--client-id <id>', 'OAuth client id of the sign-in', 'sigstore')
    .option('--client-secret <secret>', 'OAuth client secret of the sign-in')
    .option(
      '--use-ambient-credentials',
      'use CI credentials (GitHub Actions, GitLab CI, Buildkite, Google Cloud, SIGSTORE_ID_TOKEN)',
      false,
    );
  addSigstoreTrustOptions(command);
  addImageSignOptions(addSignOptions(command)).action(
    async (modelPath: string, options: SignSigstoreOptions) => {
      const configure = (config: Config) =>
        config.useSigstoreSigner({
          ...sigstoreTrust(options),
          oauthForceOob: options.oauthForceOob,
          clientId: options.clientId,
          useAmbientCredentials: options.useAmbientCredentials,
          ...(options.identityToken ? { identityToken: options.identityToken } : {}),
          ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}),
        });
      const { signTarget } = await import('../actions/sign.js');
      await signTarget(modelPath, options, configure);
    },
  );
}
