import type * as hashing from '@model-signing/hashing';
import type { Serialization } from '@model-signing/manifest';
import type { DigestOptions } from '../commands/digest.js';
import { commandSignal } from '../interrupt.js';
import { emit, failWith } from '../output.js';
import { ProgressBar } from '../progress.js';
import { cliHashingConfig } from './hashing-config.js';

/** The body of `digest`: hashes the model and prints `sha256:<root digest>` (or the JSON result). */
export async function runDigest(modelPath: string, options: DigestOptions, shardSize: number): Promise<void> {
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
      return await config.hash(modelPath, { signal: commandSignal(), ...progress.hashOptions });
    } finally {
      progress.finish();
    }
  });
  const digest = `sha256:${manifest.rootDigestHex()}`;
  emit(options.json, [digest], {
    status: 'success',
    digest,
    modelName: manifest.modelName,
    serialization: serializationJson(manifest.serialization),
    resources: manifest.size,
  });
}

/** The serialization in the camelCase of the rest of the JSON output (the library's own field names). */
export function serializationJson(serialization: Serialization): Record<string, unknown> {
  return {
    method: serialization.method,
    hashType: serialization.hashType,
    ...(serialization.method === 'shards' ? { shardSize: serialization.shardSize } : {}),
    allowSymlinks: serialization.allowSymlinks,
    ignorePaths: [...serialization.ignorePaths],
  };
}
