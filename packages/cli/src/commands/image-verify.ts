import path from 'node:path';
import type { ImageReference } from '@model-signing/oci';
import { Config, VerificationError } from '@model-signing/verifying';
import type { Command } from 'commander';
import { absolute } from '../common.js';
import { UsageError } from '../errors.js';
import { CommandError, emit, failWith } from '../output.js';
import { addRegistryOptions, type RegistryCliOptions, registryAccess } from './image-common.js';

/** Options of `verify key|sigstore` that matter for an image target. */
export interface ImageVerifyCliOptions extends RegistryCliOptions {
  /** `--signature`: optional for images (the registry is searched), required for local models. */
  signature?: string;
  /** `--attachment-mode`: `tag` restricts the search to the tag; the default tries referrers then the tag. */
  attachmentMode?: string;
  /** `--local-model`: a directory compared file by file with the signed image. */
  localModel?: string;
  /** `--check-layer-contents` (default) / `--no-check-layer-contents`. */
  checkLayerContents: boolean;
  /** `--ignore-paths`, relative to the current directory (local model check). */
  ignorePaths: string[];
  /** `--ignore-git-paths`. */
  ignoreGitPaths: boolean;
  /** `--json`. */
  json: boolean;
}

/**
 * Adds the image options of `verify key` and `verify sigstore`, and makes `--signature` optional (images find
 * their signature in the registry; {@link requireLocalSignature} keeps it required for local models).
 */
export function addImageVerifyOptions(command: Command): Command {
  const signature = command.options.find((option) => option.long === '--signature');
  if (signature) signature.mandatory = false;
  command
    .option('--attachment-mode <mode>', 'where to look for an image signature: referrers (then tag) or tag')
    .option('--local-model <dir>', 'also check that this directory holds exactly the signed image files')
    .option('--check-layer-contents', 'pull ModelCar file layers and check their files', true)
    .option('--no-check-layer-contents', 'trust ModelCar layer annotations without pulling the layers');
  return addRegistryOptions(command);
}

/** Local models still need `--signature` (the fork's message). */
export function requireLocalSignature(options: { signature?: string }): void {
  if (!options.signature) throw new UsageError('--signature is required when verifying local files');
}

const PREFIX = 'Verification failed with error: ';

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
  const result = await failWith(PREFIX, async () => {
    try {
      return await configure(new Config()).verifyImage(ref, {
        ...registryAccess(options),
        ...(options.signature ? { signature: options.signature } : {}),
        ...(mode ? { attachmentMode: mode } : {}),
        ...(options.localModel ? { localModel: options.localModel } : {}),
        ignorePaths: options.ignorePaths.map((p) => path.resolve(p)),
        ignoreGitPaths: options.ignoreGitPaths,
        checkLayerContents: options.checkLayerContents,
      });
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      throw new CommandError(`${PREFIX}${error.message}`, {
        details: error.detailLines(),
        code: error.code,
        data: error.details,
      });
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
