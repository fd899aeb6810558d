import type { Config } from '@model-signing/verifying';
import type { Command } from 'commander';
import { addModelOptions, addSignatureOption, type ModelOptions } from '../common.js';
import { logger } from '../log.js';
import { addImageVerifyOptions, type ImageVerifyCliOptions } from './image-verify.js';
import {
  addTimestampVerifyOptions,
  type TimestampVerifyCliOptions,
  timestampAuthorities,
} from './timestamp-options.js';
import type { CommandGroups } from './types.js';

/** Options every `verify` method shares. */
export interface VerifyOptions extends ModelOptions {
  /** `--signature`, required. */
  signature: string;
  /** `--ignore-unsigned-files`. */
  ignoreUnsignedFiles: boolean;
}

/** Adds the model path argument and the options every `verify` method shares. */
export function addVerifyOptions(command: Command): Command {
  command
    .argument('<model_path>', 'the model: a directory or a single file')
    .option('--ignore-unsigned-files', 'hash only the files the signature names; tolerate other files', false)
    .option('--no-ignore-unsigned-files', 'every file of the model must be signed (default)');
  addSignatureOption(command, 'verify');
  return addModelOptions(command);
}

interface VerifyKeyOptions
  extends VerifyOptions,
    Omit<ImageVerifyCliOptions, 'signature'>,
    TimestampVerifyCliOptions {
  publicKey: string;
}

/** `verify key MODEL_PATH --signature SIG --public-key PEM`: verify a signature made with an EC key. */
export function registerVerifyKey({ verify }: CommandGroups): void {
  const command = verify
    .command('key')
    .description('Verify a model signed with an elliptic curve key.')
    .requiredOption('--public-key <path>', 'PEM public key of the signer');
  addTimestampVerifyOptions(command);
  addImageVerifyOptions(addVerifyOptions(command)).action(
    async (modelPath: string, options: VerifyKeyOptions) => {
      logger.debug(`trust: the public key ${options.publicKey} (--public-key)`);
      const trust = timestampAuthorities(options);
      const configure = (config: Config) =>
        config.useEllipticKeyVerifier({ publicKey: options.publicKey, ...trust });
      const { verifyTarget } = await import('../actions/verify.js');
      await verifyTarget(modelPath, options, configure, ['Signature verified against public key']);
    },
  );
}
