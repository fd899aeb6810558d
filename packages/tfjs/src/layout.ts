import { posix } from 'node:path';
import type { io } from '@tensorflow/tfjs';
import { TfjsModelError } from './errors.js';

/** The name TF.js gives the model's topology and weights manifest. */
export const MODEL_JSON = 'model.json';

/** The shard size of the TF.js converter (`--weight_shard_size_bytes`): 4 MiB. */
export const DEFAULT_WEIGHT_SHARD_SIZE = 4 * 1024 * 1024;

/** One weights file of the TF.js layout and its bytes. */
export interface WeightShard {
  /** The file name, as `weightsManifest[].paths` lists it (`group1-shard1of2.bin`). */
  readonly name: string;
  /** Its contents. */
  readonly bytes: Uint8Array;
}

/** Cuts the weights into the converter's `group1-shardNofM.bin` files; no file when there are no weights. */
export function weightShards(weights: Uint8Array, shardSize = DEFAULT_WEIGHT_SHARD_SIZE): WeightShard[] {
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0) {
    throw new TfjsModelError(
      'UNSUPPORTED_ARTIFACTS',
      `The weight shard size must be a positive integer, got ${shardSize}`,
    );
  }
  const count = Math.ceil(weights.byteLength / shardSize);
  return Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    bytes: weights.subarray(i * shardSize, Math.min((i + 1) * shardSize, weights.byteLength)),
  }));
}

/** The weights TF.js handed to a save handler, as one byte array (they may come as several buffers). */
export function joinWeightData(data: io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (!Array.isArray(data)) return new Uint8Array(data);
  if (data.length === 1) return new Uint8Array(data[0]!);
  return Buffer.concat(data.map((buffer) => new Uint8Array(buffer)));
}

/** The bytes as an `ArrayBuffer` of their own (a view may share a larger one, as Node's pooled buffers do). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  ) {
    return bytes.buffer;
  }
  // A copy: Buffer's slice() would be another view of the same pool.
  return new Uint8Array(bytes).buffer;
}

/** The `model.json` TF.js writes for `artifacts`, its weights listed in one group of `paths`. */
export function modelJson(artifacts: io.ModelArtifacts, paths: readonly string[]): io.ModelJSON {
  const topology = artifacts.modelTopology;
  if (topology === undefined || topology instanceof ArrayBuffer) {
    throw new TfjsModelError(
      'UNSUPPORTED_ARTIFACTS',
      topology === undefined
        ? 'The model has no topology to save; save a TF.js layers or graph model'
        : 'The model has a binary (protobuf) topology; only JSON topologies can be saved as model.json',
    );
  }
  const json: io.ModelJSON = {
    modelTopology: topology,
    weightsManifest: [{ paths: [...paths], weights: artifacts.weightSpecs ?? [] }],
  };
  // Optional fields are copied only when set, as TF.js's own handlers do, so the file matches theirs.
  const optional = [
    'format',
    'generatedBy',
    'convertedBy',
    'trainingConfig',
    'signature',
    'userDefinedMetadata',
    'modelInitializer',
    'initializerSignature',
  ] as const;
  const target = json as unknown as Record<string, unknown>;
  for (const key of optional) if (artifacts[key] != null) target[key] = artifacts[key];
  return json;
}

/**
 * The model-relative path of a weights file that `weightsManifest` lists, for a manifest at `manifestPath`
 * (itself model-relative). Paths that leave the model directory are refused.
 */
export function weightsFilePath(manifestPath: string, listed: string): string {
  const joined = posix.normalize(posix.join(posix.dirname(manifestPath), listed));
  if (
    posix.isAbsolute(listed) ||
    joined === '.' ||
    joined === '..' ||
    joined.startsWith('../') ||
    listed.includes('\\')
  ) {
    throw new TfjsModelError(
      'INVALID_MODEL_FILE',
      `${manifestPath} lists the weights file ${JSON.stringify(listed)}, which is outside the model directory`,
    );
  }
  return joined;
}

/** Checks that `value` is a TF.js weights manifest (`[{ paths, weights }]`). */
export function checkWeightsManifest(value: unknown, file: string): io.WeightsManifestConfig {
  const groups = Array.isArray(value) ? value : undefined;
  const valid = groups?.every(
    (group: unknown) =>
      typeof group === 'object' &&
      group !== null &&
      Array.isArray((group as { paths?: unknown }).paths) &&
      (group as { paths: unknown[] }).paths.every((path) => typeof path === 'string') &&
      Array.isArray((group as { weights?: unknown }).weights),
  );
  if (!groups || !valid) {
    throw new TfjsModelError(
      'INVALID_MODEL_FILE',
      `${file} is not a TF.js weights manifest (an array of { paths, weights } groups)`,
    );
  }
  return groups as io.WeightsManifestConfig;
}
