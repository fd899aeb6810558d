import * as hashing from '@model-signing/hashing';
import type { ModelOptions } from '../common.js';

/**
 * The hashing configuration the CLI uses for a local model: the `--ignore-paths` (and extra paths such as the
 * signature file) resolved against the current directory and kept only when inside the model, git defaults,
 * and `--allow-symlinks` (spec §3.7).
 */
export function cliHashingConfig(
  modelPath: string,
  options: ModelOptions,
  extraIgnoredPaths: readonly string[] = [],
): hashing.Config {
  const ignored = hashing.resolveCliIgnorePaths(modelPath, [...options.ignorePaths, ...extraIgnoredPaths]);
  return new hashing.Config()
    .setIgnoredPaths({ paths: ignored, ignoreGitPaths: options.ignoreGitPaths })
    .setAllowSymlinks(options.allowSymlinks);
}
