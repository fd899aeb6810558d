/** OCI image manifest. */
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
/** OCI image index (multi-platform). */
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Docker image manifest v2 schema 2. */
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
/** Docker manifest list (multi-platform). */
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
/** OCI image config; the config type of tag-mode signature manifests. */
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
/** The artifact type of a model signature. */
export const SIGNATURE_ARTIFACT_TYPE = 'application/vnd.model-signing.signature.v0.1';
/** The config media type of referrers-mode signature manifests. */
export const SIGNATURE_CONFIG = 'application/vnd.model-signing.signature.v0.1.config+json';
/** The media type of the layer that holds the signature bundle. */
export const BUNDLE_LAYER = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** The annotation that marks a tag-mode signature manifest. */
export const SIGNATURE_ANNOTATION = 'dev.sigstore.model-signing.artifact-type';
/** The two-byte config blob `{}` of signature manifests. */
export const EMPTY_CONFIG = new Uint8Array([0x7b, 0x7d]);
/** The digest of {@link EMPTY_CONFIG}. */
export const EMPTY_CONFIG_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** Annotation keys read when turning an image manifest into a model manifest (spec §1.5). */
export const ANNOTATIONS = {
  title: 'org.opencontainers.image.title',
  olotDigest: 'olot.layer.content.digest',
  olotType: 'olot.layer.content.type',
  olotInLayerPath: 'olot.layer.content.inlayerpath',
  olotName: 'olot.layer.content.name',
  imageName: 'org.opencontainers.image.name',
  baseName: 'org.opencontainers.image.base.name',
} as const;

/** The manifest types asked for when reading an image. */
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');
