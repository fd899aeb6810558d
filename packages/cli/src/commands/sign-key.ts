import type { Config } from '@model-signing/signing';
import type { Command } from 'commander';
import { addModelOptions, addSignatureOption, type ModelOptions } from '../common.js';
import { addImageSignOptions, type ImageSignCliOptions } from './image-sign.js';
import {
  addTimestampServerOption,
  type TimestampSignCliOptions,
  timestampServers,
} from './timestamp-options.js';
import type { CommandGroups } from './types.js';

/** Options every `sign` method shares. */
export interface SignOptions extends ModelOptions {
  /** `--signature`, default `model.sig` in the current directory. */
  signature: string;
  /** `--allow-empty-model`: sign even when no file is left after ignores (decision 7). */
  allowEmptyModel: boolean;
}

/** Adds the model path argument and the options every `sign` method shares. */
export function addSignOptions(command: Command): Command {
  command
    .argument('<model_path>', 'the model: a directory or a single file')
    .option('--allow-empty-model', 'sign a model that has no file left after ignored paths', false);
  addSignatureOption(command, 'sign');
  return addModelOptions(command);
}

interface SignKeyOptions extends SignOptions, ImageSignCliOptions, TimestampSignCliOptions {
  privateKey: string;
  password?: string;
}

/** `sign key MODEL_PATH --private-key PEM [--password P]`: sign with an EC private key. */
export function registerSignKey({ sign }: CommandGroups): void {
  const command = sign
    .command('key')
    .description('Sign a model with an elliptic curve private key (P-256, P-384 or P-521).')
    .requiredOption('--private-key <path>', 'PEM private key (PKCS#8 or SEC1, optionally encrypted)')
    .option('--password <password>', 'password of an encrypted private key');
  addTimestampServerOption(command);
  addImageSignOptions(addSignOptions(command)).action(async (modelPath: string, options: SignKeyOptions) => {
    const configure = (config: Config) =>
      config.useEllipticKeySigner({
        privateKey: options.privateKey,
        ...timestampServers(options),
        ...(options.password !== undefined ? { password: options.password } : {}),
      });
    const { signTarget } = await import('../actions/sign.js');
    await signTarget(modelPath, options, configure);
  });
}
