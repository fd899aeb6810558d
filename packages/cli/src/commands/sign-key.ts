import { Config, type SignResult } from '@model-signing/signing';
import type { Command } from 'commander';
import {
  absolute,
  addModelOptions,
  addSignatureOption,
  cliHashingConfig,
  type ModelOptions,
} from '../common.js';
import { emit, failWith } from '../output.js';
import { detectTarget } from '../target.js';
import { addImageSignOptions, type ImageSignCliOptions, runSignImage } from './image-sign.js';
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

/**
 * Runs one `sign` method: `configure` sets the signer (keys load and are checked first, as in the Python
 * tool), then the model is hashed with the CLI's ignore paths (the signature file included) and signed.
 */
export async function runSign(
  modelPath: string,
  options: SignOptions,
  configure: (config: Config) => Config,
): Promise<void> {
  const result: SignResult = await failWith('Signing failed with error: ', async () => {
    const config = configure(new Config());
    config
      .setHashingConfig(cliHashingConfig(modelPath, options, [options.signature]))
      .setAllowEmptyModel(options.allowEmptyModel);
    return config.sign(modelPath, options.signature);
  });
  emit(options.json, ['Signing succeeded'], {
    status: 'success',
    method: result.method,
    modelPath: absolute(modelPath),
    signature: absolute(options.signature),
    modelName: result.manifest.modelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.manifest.names(),
  });
}

interface SignKeyOptions extends SignOptions, ImageSignCliOptions {
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
  addImageSignOptions(addSignOptions(command)).action(async (modelPath: string, options: SignKeyOptions) => {
    const configure = (config: Config) =>
      config.useEllipticKeySigner({
        privateKey: options.privateKey,
        ...(options.password !== undefined ? { password: options.password } : {}),
      });
    // TARGET is a local model when it exists, else an OCI image reference (spec §1.2).
    const target = detectTarget(modelPath);
    if (target.kind === 'image') return runSignImage(target.reference, options, configure);
    await runSign(modelPath, options, configure);
  });
}
