import { lstat } from 'node:fs/promises';
import { CommandError, emit, failWith } from '../output.js';
import type { CommandGroups } from './types.js';

interface TrustInstanceOptions {
  instance: string;
  json: boolean;
}

/**
 * `trust-instance --instance URL ROOT_JSON`: bootstraps trust in a private Sigstore instance through TUF (full
 * update from ROOT_JSON; both `trusted_root.json` and `signing_config.v0.2.json` must verify) and caches it under
 * `$XDG_DATA_HOME/model-signing/tuf`, so that `--instance URL` works later.
 */
export function registerTrustInstance({ program }: CommandGroups): void {
  program
    .command('trust-instance')
    .description('Trust a private Sigstore instance: bootstrap its TUF repository from ROOT_JSON.')
    .argument('<root_json>', 'the TUF root.json of the instance (its trust anchor)')
    .requiredOption('--instance <url>', 'the TUF repository URL of the instance')
    .option('--json', 'print the result as JSON on stdout', false)
    .action(async (rootJson: string, options: TrustInstanceOptions) => {
      const stat = await lstat(rootJson).catch(() => undefined);
      if (!stat?.isFile()) throw new CommandError(`Error: ROOT_JSON must be a file: ${rootJson}`);
      const url = await failWith('Bootstrapping instance failed: ', async () => {
        const { normaliseInstanceUrl, trustInstance } = await import('@model-signing/signing');
        const normalised = normaliseInstanceUrl(options.instance);
        await trustInstance(normalised, rootJson);
        return normalised;
      });
      emit(options.json, [`Trust bootstrapped for ${url}`], { status: 'success', instance: url });
    });
}
