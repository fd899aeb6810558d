import { type Command, Option } from 'commander';
import { addRegistryOptions, type RegistryCliOptions } from './image-common.js';

/** Options of `sign key|sigstore` that matter for an image target. */
export interface ImageSignCliOptions extends RegistryCliOptions {
  /** `--attachment-mode`: `referrers` (default) or `tag`. */
  attachmentMode: string;
  /** `--output-mode`: `registry` (default), `file` or `both`. */
  outputMode: string;
  /** `--signature`: the file for the `file` and `both` output modes. */
  signature: string;
  /** `--json`. */
  json: boolean;
}

/** Adds the image options of `sign key` and `sign sigstore` (ignored for local targets, as in the fork). */
export function addImageSignOptions(command: Command): Command {
  command
    .addOption(
      new Option(
        '--attachment-mode <mode>',
        'how the signature is attached to an image: referrers or tag',
      ).default('referrers'),
    )
    .addOption(
      new Option('--output-mode <mode>', 'where an image signature goes: registry, file or both').default(
        'registry',
      ),
    );
  return addRegistryOptions(command);
}
