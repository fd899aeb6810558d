/**
 * Hashing of ML models for model signing: walks a model directory (or file) as the Python `model_signing` tool
 * does, hashes every file or shard with SHA-256, BLAKE2b-512 or BLAKE3 on all cores, and returns a
 * `Manifest` of `@model-signing/manifest`.
 *
 * @packageDocumentation
 */
export {
  type AddIgnoredPathsOptions,
  Config,
  type FileSerializationOptions,
  type HashOptions,
  hash,
  type SetIgnoredPathsOptions,
  type ShardSerializationOptions,
} from './config.js';
export { HashingError, type HashingErrorCode } from './errors.js';
export {
  DEFAULT_CHUNK_SIZE,
  type HashFileOptions,
  type HashFileShardOptions,
  hashFile,
  hashFileShard,
} from './file-io.js';
export {
  blake3Implementation,
  type CreateHasherOptions,
  createHasher,
  DIGEST_SIZES,
  type Hasher,
  type HashingAlgorithmName,
  hashBytes,
} from './hasher.js';
export { GIT_IGNORE_PATHS, resolveCliIgnorePaths } from './ignore.js';
export { modelName } from './model-name.js';
export { type NativeEngineStatus, nativeEngine, readResourceColumns } from './native.js';
export { workerScriptUrl } from './pool.js';
export type { HashProgress } from './progress.js';
export { DEFAULT_MAX_SIGNATURE_BYTES, RegularFileError, readRegularFile } from './regular-file.js';
