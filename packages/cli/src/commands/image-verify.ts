import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addRegistryOptions, type RegistryCliOptions } from './image-common.js';

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
