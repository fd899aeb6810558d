import * as hashing from '@model-signing/hashing';
import { Config, VerificationError, type VerificationResult } from '@model-signing/verifying';
import type { Command } from 'commander';
import { absolute, addModelOptions, addSignatureOption, type ModelOptions } from '../common.js';
import { CommandError, emit, failWith } from '../output.js';
import { detectTarget } from '../target.js';
import {
  addImageVerifyOptions,
  type ImageVerifyCliOptions,
  requireLocalSignature,
  runVerifyImage,
} from './image-verify.js';
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

const PREFIX = 'Verification failed with error: ';

/**
 * Runs one `verify` method: `configure` sets the verifier; the recorded serialization decides how the model
 * is hashed, with the CLI's ignore paths (and the signature file) added. A model mismatch prints one line per
 * extra, missing or changed file after the message.
 */
export async function runVerify(
  modelPath: string,
  options: VerifyOptions,
  configure: (config: Config) => Config,
): Promise<void> {
  const result: VerificationResult = await failWith(PREFIX, async () => {
    try {
      const config = configure(new Config())
        .setIgnoredPaths({
          paths: hashing.resolveCliIgnorePaths(modelPath, [...options.ignorePaths, options.signature]),
          ignoreGitPaths: options.ignoreGitPaths,
        })
        .setAllowSymlinks(options.allowSymlinks)
        .setIgnoreUnsignedFiles(options.ignoreUnsignedFiles);
      return await config.verify(modelPath, options.signature);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      throw new CommandError(`${PREFIX}${error.message}`, {
        details: error.detailLines(),
        code: error.code,
        data: error.details,
      });
    }
  });
  emit(options.json, [...result.warnings, 'Verification succeeded'], {
    status: 'success',
    method: result.method,
    modelPath: absolute(modelPath),
    signature: absolute(options.signature),
    modelName: result.signedModelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.files,
    warnings: result.warnings,
  });
}

interface VerifyKeyOptions extends VerifyOptions, Omit<ImageVerifyCliOptions, 'signature'> {
  publicKey: string;
}

/** `verify key MODEL_PATH --signature SIG --public-key PEM`: verify a signature made with an EC key. */
export function registerVerifyKey({ verify }: CommandGroups): void {
  const command = verify
    .command('key')
    .description('Verify a model signed with an elliptic curve key.')
    .requiredOption('--public-key <path>', 'PEM public key of the signer');
  addImageVerifyOptions(addVerifyOptions(command)).action(
    async (modelPath: string, options: VerifyKeyOptions) => {
      const configure = (config: Config) => config.useEllipticKeyVerifier({ publicKey: options.publicKey });
      // TARGET is a local model when it exists, else an OCI image reference (spec §1.2).
      const target = detectTarget(modelPath);
      if (target.kind === 'image') {
        return runVerifyImage(target.reference, options, configure, [
          'Signature verified against public key',
        ]);
      }
      requireLocalSignature(options);
      await runVerify(modelPath, options, configure);
    },
  );
}
