import type { DEFAULT_SHARD_SIZE as LIBRARY_DEFAULT_SHARD_SIZE } from '@model-signing/manifest';
import { Option } from 'commander';
import { addModelOptions, type ModelOptions } from '../common.js';
import { UsageError } from '../errors.js';
import type { CommandGroups } from './types.js';

/** The options of `digest`. */
export interface DigestOptions extends ModelOptions {
  /** `--hash-algorithm`, one of the choices. */
  hashAlgorithm: string;
  /** `--serialization`. */
  serialization: 'files' | 'shards';
  /** `--shard-size` as typed; checked by the action. */
  shardSize: string;
}

/**
 * The library's default shard size, written out so that registering `digest` does not load the manifest
 * package; the literal type makes the build fail if the two ever differ.
 */
const DEFAULT_SHARD_SIZE: typeof LIBRARY_DEFAULT_SHARD_SIZE = 1_000_000_000;

function parseShardSize(text: string): number {
  if (!/^[0-9]+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`Invalid value for '--shard-size': '${text}' is not a positive integer.`);
  }
  return Number(text);
}

/**
 * `digest MODEL_PATH`: prints `sha256:<root digest>`, the subject digest a signature of the model would carry.
 * Like the Python tool, it does not leave out a `model.sig` inside the model unless told to.
 */
export function registerDigest({ program }: CommandGroups): void {
  const command = program
    .command('digest')
    .description('Compute the digest of a model (the subject digest a signature would carry).')
    .argument('<model_path>', 'the model: a directory or a single file')
    .addOption(
      new Option('--hash-algorithm <name>', 'hash of every file or shard')
        .choices(['sha256', 'blake2', 'blake2b', 'blake3'])
        .default('sha256'),
    )
    .addOption(
      new Option('--serialization <method>', 'hash whole files or fixed-size shards')
        .choices(['files', 'shards'])
        .default('files'),
    )
    .option(
      '--shard-size <bytes>',
      'bytes per shard with --serialization shards',
      String(DEFAULT_SHARD_SIZE),
    );
  addModelOptions(command).action(async (modelPath: string, options: DigestOptions) => {
    const shardSize = parseShardSize(options.shardSize);
    const { runDigest } = await import('../actions/digest.js');
    await runDigest(modelPath, options, shardSize);
  });
}
