import { ManifestError } from './errors.js';
import { compareCodePoints } from './order.js';

/** Hash algorithms as the manifest names them (`serialization.hash_type`). */
export type HashAlgorithm = 'sha256' | 'blake2b' | 'blake3';

/** The default shard size: 1 000 000 000 bytes (decimal, as the Python tool uses). */
export const DEFAULT_SHARD_SIZE = 1_000_000_000;

/** Whole files are hashed; one resource per file. */
export interface FilesSerialization {
  /** Discriminant, written as `serialization.method`. */
  readonly method: 'files';
  /** The hash of every file. */
  readonly hashType: HashAlgorithm;
  /** Whether symlinks were followed. */
  readonly allowSymlinks: boolean;
  /** Paths (relative to the model) that were excluded; recorded sorted, re-applied at verification. */
  readonly ignorePaths: readonly string[];
}

/** Files are cut into shards of `shardSize` bytes; one resource per shard. */
export interface ShardsSerialization {
  /** Discriminant, written as `serialization.method`. */
  readonly method: 'shards';
  /** The hash of every shard (BLAKE3 never shards). */
  readonly hashType: 'sha256' | 'blake2b';
  /** Bytes per shard, a positive integer. */
  readonly shardSize: number;
  /** Whether symlinks were followed. */
  readonly allowSymlinks: boolean;
  /** Paths (relative to the model) that were excluded; recorded sorted, re-applied at verification. */
  readonly ignorePaths: readonly string[];
}

/** How a model was turned into a manifest: `predicate.serialization` of the statement. */
export type Serialization = FilesSerialization | ShardsSerialization;

/** The JSON form of {@link Serialization}, keys in the order this project writes them. */
export interface SerializationJson {
  /** `files` or `shards`. */
  method: 'files' | 'shards';
  /** `sha256`, `blake2b` or `blake3`. */
  hash_type: HashAlgorithm;
  /** Shards only: bytes per shard. */
  shard_size?: number;
  /** Whether symlinks were followed. */
  allow_symlinks: boolean;
  /** Present only when non-empty. */
  ignore_paths?: string[];
}

/** Maps a hash name as configured (`blake2` is the Python config name) or recorded to a manifest name. */
export function parseHashAlgorithm(name: string): HashAlgorithm {
  switch (name) {
    case 'sha256':
      return 'sha256';
    case 'blake2':
    case 'blake2b':
      return 'blake2b';
    case 'blake3':
      return 'blake3';
    default:
      throw new ManifestError('INVALID_SERIALIZATION', `Unsupported hashing method ${name}`);
  }
}

/** The digest algorithm name of one resource: `sha256`, or `sha256-sharded-<N>` for shards. */
export function resourceAlgorithm(serialization: Serialization): string {
  return serialization.method === 'shards'
    ? `${serialization.hashType}-sharded-${serialization.shardSize}`
    : serialization.hashType;
}

/** Sorts and de-duplicates ignore paths, and writes `/` as the only separator. */
export function normalizeIgnorePaths(paths: Iterable<string>): string[] {
  const unique = new Set<string>();
  for (const path of paths) unique.add(path.replaceAll('\\', '/'));
  return [...unique].sort(compareCodePoints);
}

/** The JSON object recorded as `predicate.serialization`. */
export function serializationToJson(serialization: Serialization): SerializationJson {
  // Key order is the format's logical order: method, hash_type, [shard_size], allow_symlinks, [ignore_paths].
  const json: SerializationJson =
    serialization.method === 'shards'
      ? {
          method: 'shards',
          hash_type: serialization.hashType,
          shard_size: serialization.shardSize,
          allow_symlinks: serialization.allowSymlinks,
        }
      : { method: 'files', hash_type: serialization.hashType, allow_symlinks: serialization.allowSymlinks };
  const ignorePaths = normalizeIgnorePaths(serialization.ignorePaths);
  if (ignorePaths.length > 0) json.ignore_paths = ignorePaths;
  return json;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a shard size: a positive integer, also accepted as an integral float such as `1000000000.0`. */
export function parseShardSize(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ManifestError(
      'INVALID_SERIALIZATION',
      `serialization.shard_size must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Reads `predicate.serialization` from a statement (unknown keys are ignored, as v1.0 readers must). */
export function serializationFromJson(value: unknown): Serialization {
  const invalid = (why: string): never => {
    throw new ManifestError('INVALID_SERIALIZATION', `Invalid serialization description: ${why}`);
  };
  if (!isRecord(value)) return invalid('not an object');
  const { method, hash_type: hashType, allow_symlinks: allowSymlinks, ignore_paths: ignorePaths } = value;
  if (typeof hashType !== 'string') return invalid('hash_type is missing or not a string');
  if (typeof allowSymlinks !== 'boolean') return invalid('allow_symlinks is missing or not a boolean');
  let ignored: string[] = [];
  if (ignorePaths !== undefined) {
    if (!Array.isArray(ignorePaths) || !ignorePaths.every((p) => typeof p === 'string')) {
      return invalid('ignore_paths is not a list of strings');
    }
    ignored = normalizeIgnorePaths(ignorePaths as string[]);
  }
  const algorithm = parseHashAlgorithm(hashType);
  if (method === 'files') {
    return { method, hashType: algorithm, allowSymlinks, ignorePaths: ignored };
  }
  if (method === 'shards') {
    if (algorithm === 'blake3') return invalid('blake3 is never used with shards');
    return {
      method,
      hashType: algorithm,
      shardSize: parseShardSize(value.shard_size),
      allowSymlinks,
      ignorePaths: ignored,
    };
  }
  throw new ManifestError('INVALID_SERIALIZATION', `Unknown serialization type ${String(method)}`);
}
