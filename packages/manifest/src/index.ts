/**
 * Manifests of machine-learning models in the OpenSSF model-signing (OMS) format: resources (files and
 * shards), their canonical order, the root digest, and the in-toto statement that is signed.
 *
 * @packageDocumentation
 */
export { isStrictBase64 } from './base64.js';
export { ManifestError, type ManifestErrorCode } from './errors.js';
export { fileErrorReason } from './file-error.js';
export { fromHex, toHex } from './hex.js';
export { JsonTextError, parseJsonText } from './json-text.js';
export {
  type Digest,
  type DigestMismatch,
  diffManifests,
  Manifest,
  type ManifestDiff,
  type ManifestItem,
  type ResourceDescriptor,
  rootDigestOf,
} from './manifest.js';
export {
  type MismatchDetails,
  mismatchDetails,
  mismatchLines,
  mismatchMessage,
  type ReportedDigest,
} from './mismatch.js';
export { compareCodePoints, comparePaths, compareResources } from './order.js';
export {
  type FileResource,
  fileResource,
  parseShardName,
  type Resource,
  resourceName,
  type ShardResource,
  shardResource,
  validateResourcePath,
} from './resource.js';
export {
  DEFAULT_SHARD_SIZE,
  type FilesSerialization,
  type HashAlgorithm,
  normalizeIgnorePaths,
  parseHashAlgorithm,
  parseShardSize,
  resourceAlgorithm,
  type Serialization,
  type SerializationJson,
  type ShardsSerialization,
  serializationFromJson,
  serializationToJson,
} from './serialization.js';
export { sha256, warmUpSha256 } from './sha256.js';
export {
  buildStatement,
  LEGACY_DIGESTS_PREDICATE_TYPE,
  LEGACY_MODEL_NAME,
  PREDICATE_TYPE,
  parseStatement,
  type ReadStatementOptions,
  type ResourceColumns,
  readStatement,
  type SignedStatement,
  STATEMENT_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  type Statement,
  statementBytes,
} from './statement.js';
