import * as hashing from '@model-signing/hashing';
import { Config, type VerificationResult } from '@model-signing/verifying';
import { type ImageVerifyCliOptions, requireLocalSignature } from '../commands/image-verify.js';
import type { VerifyOptions } from '../commands/verify-key.js';
import { absolute } from '../common.js';
import { commandSignal } from '../interrupt.js';
import { logger } from '../log.js';
import { emit, failWith } from '../output.js';
import { ProgressBar } from '../progress.js';
import { detectTarget } from '../target.js';
import { serializationJson } from './digest.js';
import { timestampJson, timestampLines } from './timestamp-report.js';
import { asCommandError, PREFIX, runVerifyImage } from './verify-image.js';

/** Sets the verifier of a verification configuration. */
export type ConfigureVerifier = (config: Config) => Config;

/**
 * Runs one `verify` method: `configure` sets the verifier; the recorded serialization decides how the model
 * is hashed, with the CLI's ignore paths (and the signature file) added. A model mismatch prints one line per
 * extra, missing or changed file after the message.
 */
export async function runVerify(
  modelPath: string,
  options: VerifyOptions,
  configure: ConfigureVerifier,
): Promise<void> {
  const progress = new ProgressBar(!options.json, 'Verifying');
  const result: VerificationResult = await failWith(PREFIX, async () => {
    try {
      const config = configure(new Config())
        .setIgnoredPaths({
          paths: hashing.resolveCliIgnorePaths(modelPath, [...options.ignorePaths, options.signature]),
          ignoreGitPaths: options.ignoreGitPaths,
        })
        .setAllowSymlinks(options.allowSymlinks)
        .setIgnoreUnsignedFiles(options.ignoreUnsignedFiles);
      return await config.verify(modelPath, options.signature, {
        signal: commandSignal(),
        ...progress.hashOptions,
      });
    } catch (error) {
      throw asCommandError(error);
    } finally {
      progress.finish();
    }
  });
  logger.debug(
    `serialization read from the signature: ${JSON.stringify(serializationJson(result.manifest.serialization))}`,
  );
  emit(options.json, [...result.warnings, ...timestampLines(result), 'Verification succeeded'], {
    status: 'success',
    method: result.method,
    modelPath: absolute(modelPath),
    signature: absolute(options.signature),
    modelName: result.signedModelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.files,
    warnings: result.warnings,
    ...timestampJson(result),
  });
}

/**
 * Verifies TARGET with `verify key` or `verify sigstore`: a local model when it exists (then `--signature` is
 * required), else an OCI image reference (spec §1.2); `checks` are the lines an image success lists.
 */
export async function verifyTarget(
  target: string,
  options: VerifyOptions & Omit<ImageVerifyCliOptions, 'signature'>,
  configure: ConfigureVerifier,
  checks: readonly string[],
): Promise<void> {
  const detected = detectTarget(target);
  if (detected.kind === 'image') return runVerifyImage(detected.reference, options, configure, checks);
  requireLocalSignature(options);
  await runVerify(target, options, configure);
}
