import type * as hashing from '@model-signing/hashing';
import { DEFAULT_SHARD_SIZE, serializationToJson } from '@model-signing/manifest';
import { Option } from 'commander';
import { addModelOptions, cliHashingConfig, type ModelOptions } from '../common.js';
import { UsageError } from '../errors.js';
import { emit, failWith } from '../output.js';
import { ProgressBar } from '../progress.js';
import type { CommandGroups } from './types.js';

interface DigestOptions extends ModelOptions {
  hashAlgorithm: string;
  serialization: 'files' | 'shards';
  shardSize: string;
}

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
    const config = cliHashingConfig(modelPath, options);
    if (options.serialization === 'shards') {
      config.useShardSerialization({
        hashingAlgorithm: options.hashAlgorithm as hashing.HashingAlgorithmName,
        shardSize,
      });
    } else {
      config.useFileSerialization({
        hashingAlgorithm: options.hashAlgorithm as hashing.HashingAlgorithmName,
      });
    }
    const progress = new ProgressBar(!options.json);
    const manifest = await failWith('Computing digest failed: ', async () => {
      try {
        return await config.hash(modelPath, { onProgress: progress.update });
      } finally {
        progress.finish();
      }
    });
    const digest = `sha256:${manifest.rootDigestHex()}`;
    emit(options.json, [digest], {
      digest,
      modelName: manifest.modelName,
      serialization: serializationToJson(manifest.serialization),
      resources: manifest.size,
    });
  });
}
