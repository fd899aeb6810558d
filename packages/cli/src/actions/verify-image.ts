import path from 'node:path';
import type { ImageReference } from '@model-signing/oci';
import { Config, VerificationError } from '@model-signing/verifying';
import { registryAccess } from '../commands/image-common.js';
import type { ImageVerifyCliOptions } from '../commands/image-verify.js';
import { absolute } from '../common.js';
import { logCauses, UsageError } from '../errors.js';
import { commandSignal } from '../interrupt.js';
import { mismatchLines } from '../mismatch.js';
import { CommandError, emit, failWith } from '../output.js';
import { ProgressBar } from '../progress.js';

/** What every verification failure message starts with, as the Python CLI prints it. */
export const PREFIX = 'Verification failed with error: ';

/**
 * A verification failure as the CLI reports it: the message after the common prefix, one line per extra,
 * missing or changed file, the code and details for --json. Other errors are returned as they are.
 */
export function asCommandError(error: unknown): unknown {
  if (!(error instanceof VerificationError)) return error;
  logCauses(error);
  const details = error.details;
  if (!details) return new CommandError(`${PREFIX}${error.message}`, { code: error.code });
  return new CommandError(`${PREFIX}${error.message}`, {
    details: mismatchLines(details),
    code: error.code,
    data: { ...details },
  });
}

/**
 * Verifies an image target (spec §1.9–§1.10) with the verifier `configure` sets and prints the fork's lines
 * (`Verifying: …`, where the signature comes from, `Local files verified: …`, the checks performed).
 */
export async function runVerifyImage(
  reference: ImageReference,
  options: ImageVerifyCliOptions,
  configure: (config: Config) => Config,
  checks: readonly string[],
): Promise<void> {
  if (options.attachmentMode && !['tag', 'referrers'].includes(options.attachmentMode.toLowerCase())) {
    throw new UsageError(
      `Invalid attachment mode '${options.attachmentMode}'. Must be 'referrers' or 'tag'.`,
    );
  }
  // Usage errors of the registry options come before anything is printed or any request is sent.
  const access = registryAccess(options);
  const ref = reference.toString();
  if (!options.json) {
    process.stdout.write(`Verifying: ${ref}\n`);
    if (options.signature) process.stdout.write(`Signature: ${options.signature}\n`);
    else if (options.attachmentMode?.toLowerCase() === 'tag')
      process.stdout.write('Fetching signature from tag...\n');
    else process.stdout.write('Fetching signature from registry...\n');
  }
  // The CLI's default `referrers` means "referrers, then the tag", as in the fork; only `tag` restricts.
  const mode = options.attachmentMode?.toLowerCase() === 'tag' ? 'tag' : undefined;
  const progress = new ProgressBar(!options.json && options.localModel !== undefined, 'Verifying');
  const result = await failWith(PREFIX, async () => {
    try {
      return await configure(new Config()).verifyImage(ref, {
        ...access,
        signal: commandSignal(),
        ...progress.hashOptions,
        ...(options.signature ? { signature: options.signature } : {}),
        ...(mode ? { attachmentMode: mode } : {}),
        ...(options.localModel ? { localModel: options.localModel } : {}),
        ignorePaths: options.ignorePaths.map((p) => path.resolve(p)),
        ignoreGitPaths: options.ignoreGitPaths,
        checkLayerContents: options.checkLayerContents,
      });
    } catch (error) {
      throw asCommandError(error);
    } finally {
      progress.finish();
    }
  });
  const lines = [...result.warnings];
  if (options.localModel) lines.push(`Local files verified: ${options.localModel}`);
  lines.push(
    '',
    'The following checks were performed:',
    ...checks.map((c) => `  - ${c}`),
    '',
    'Verification succeeded',
  );
  emit(options.json, lines, {
    status: 'success',
    method: result.method,
    image: ref,
    imageDigest: result.imageDigest,
    signatureSource: result.source,
    ...(options.localModel ? { localModel: absolute(options.localModel) } : {}),
    modelName: result.manifest.modelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.manifest.names(),
    failedCandidates: result.failures,
    warnings: result.warnings,
  });
}
