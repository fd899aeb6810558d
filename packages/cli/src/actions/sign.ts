import { abortPendingWrites, Config, type SignResult } from '@model-signing/signing';
import type { ImageSignCliOptions } from '../commands/image-sign.js';
import type { SignOptions } from '../commands/sign-key.js';
import { absolute } from '../common.js';
import { commandSignal, onForcedStop } from '../interrupt.js';
import { logger } from '../log.js';
import { emit, failWith } from '../output.js';
import { ProgressBar } from '../progress.js';
import { detectTarget } from '../target.js';
import { cliHashingConfig } from './hashing-config.js';
import { runSignImage } from './sign-image.js';

// A signature write still in flight when the CLI stops leaves no temporary file.
onForcedStop(abortPendingWrites);

/** Sets the signer of a signing configuration (keys load and are checked first, as in the Python tool). */
export type ConfigureSigner = (config: Config) => Config;

/**
 * Runs one `sign` method: `configure` sets the signer (keys load and are checked first, as in the Python
 * tool), then the model is hashed with the CLI's ignore paths (the signature file included) and signed.
 */
export async function runSign(
  modelPath: string,
  options: SignOptions,
  configure: ConfigureSigner,
): Promise<void> {
  logger.debug(`signing ${absolute(modelPath)} into ${absolute(options.signature)}`);
  const progress = new ProgressBar(!options.json, 'Signing');
  const result: SignResult = await failWith('Signing failed with error: ', async () => {
    const config = configure(new Config());
    config
      .setHashingConfig(cliHashingConfig(modelPath, options, [options.signature]))
      .setAllowEmptyModel(options.allowEmptyModel);
    try {
      return await config.sign(modelPath, options.signature, {
        signal: commandSignal(),
        ...progress.hashOptions,
      });
    } finally {
      progress.finish();
    }
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

/**
 * Signs TARGET with `sign key` or `sign sigstore`: a local model when it exists, else an OCI image reference
 * (spec §1.2).
 */
export async function signTarget(
  target: string,
  options: SignOptions & ImageSignCliOptions,
  configure: ConfigureSigner,
): Promise<void> {
  const detected = detectTarget(target);
  if (detected.kind === 'image') return runSignImage(detected.reference, options, configure);
  await runSign(target, options, configure);
}
