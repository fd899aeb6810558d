/**
 * Signs and verifies ML model images in OCI registries, wire-compatible with the Python fork
 * (`rh-model-signing`): image references, a registry client, OCI manifest → model manifest, attachment
 * manifests, and image signing/verification parametrised by sign/verify callbacks.
 *
 * @packageDocumentation
 */
export {
  type AttachmentMode,
  parseAttachmentMode,
  parseSignatureManifest,
  referrersManifestBytes,
  type SubjectDescriptor,
  tagManifestBytes,
} from './attachment.js';
export {
  type Action,
  apiHost,
  type Challenge,
  type Descriptor,
  type FetchedManifest,
  type PushedManifest,
  parseChallenge,
  type ReferrersResult,
  RegistryClient,
  type RegistryClientOptions,
} from './client.js';
export {
  authFilePaths,
  type BasicCredentials,
  type CredentialLookupOptions,
  canonicalRegistryKey,
  type IdentityTokenCredentials,
  type RegistryCredentials,
  type ResolvedCredentials,
  resolveCredentials,
  runCredentialHelper,
} from './credentials.js';
export { checkDigest, type DigestAlgorithm, digestAlgorithm, digestOf } from './digest.js';
export { OciError, type OciErrorCode } from './errors.js';
export {
  imageModelManifest,
  type OutputMode,
  parseOutputMode,
  type RegistryAccess,
  type ResolvedImage,
  resolveImage,
  type SignatureSource,
  type SignImageOptions,
  type SignImageResult,
  type SignManifestOptions,
  signImage,
  signManifestJson,
  type VerifiedBundlePayload,
  type VerifyImageOptions,
  type VerifyImageResult,
  verifyImage,
} from './image.js';
export { compareLocalModel, formatDiff, type LocalModelDiff, type LocalModelOptions } from './local-model.js';
export * from './media-types.js';
export {
  DEFAULT_IMAGE_MODEL_NAME,
  type ImageManifestOptions,
  isIndex,
  isModelCar,
  type LayerJson,
  layerDescriptors,
  MODEL_PATH_PREFIX,
  manifestFromImage,
  normalizeLayerPath,
  parseDigestString,
  stripModelPrefix,
} from './model-manifest.js';
export { checkModelCarLayers } from './modelcar-check.js';
export { ImageReference, isDigest, OCI_SCHEME, signatureTag } from './reference.js';
export { sha256Hex, type TarMember, walkLayer } from './tar.js';
