import type { Descriptor } from './client.js';
import { OciError } from './errors.js';
import {
  BUNDLE_LAYER,
  EMPTY_CONFIG,
  EMPTY_CONFIG_DIGEST,
  OCI_CONFIG,
  OCI_MANIFEST,
  SIGNATURE_ANNOTATION,
  SIGNATURE_ARTIFACT_TYPE,
  SIGNATURE_CONFIG,
} from './media-types.js';

/** How a signature is attached to an image: an OCI 1.1 referrer, or the `sha256-<hex>.sig` tag. */
export type AttachmentMode = 'referrers' | 'tag';

/** Reads an attachment mode case-insensitively, with the fork's error text. */
export function parseAttachmentMode(mode: string): AttachmentMode {
  const lower = mode.toLowerCase();
  if (lower === 'referrers' || lower === 'tag') return lower;
  throw new OciError('INVALID_OPTION', `Invalid attachment mode '${mode}'. Must be 'referrers' or 'tag'.`);
}

/** The subject of a referrers-mode signature: the signed image manifest. */
export interface SubjectDescriptor {
  /** The image manifest digest (of the bytes the registry returned). */
  readonly digest: string;
  /** The image manifest size in bytes. */
  readonly size: number;
}

const encoder = new TextEncoder();

function layerDescriptor(bundleDigest: string, bundleSize: number) {
  return { mediaType: BUNDLE_LAYER, digest: bundleDigest, size: bundleSize };
}

/**
 * The referrers-mode signature manifest, compact with the fork's key order (spec §1.8), so its digest equals
 * the fork's for the same bundle. The subject media type is always the OCI manifest type, as in the fork.
 */
export function referrersManifestBytes(
  bundle: { digest: string; size: number },
  subject: SubjectDescriptor,
): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: SIGNATURE_CONFIG, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG.byteLength },
      layers: [layerDescriptor(bundle.digest, bundle.size)],
      artifactType: SIGNATURE_ARTIFACT_TYPE,
      subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size },
    }),
  );
}

/** The tag-mode signature manifest (no `artifactType`, no `subject`), byte-for-byte as the fork writes it. */
export function tagManifestBytes(bundle: { digest: string; size: number }): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: EMPTY_CONFIG_DIGEST, size: EMPTY_CONFIG.byteLength },
      layers: [layerDescriptor(bundle.digest, bundle.size)],
      annotations: { [SIGNATURE_ANNOTATION]: SIGNATURE_ARTIFACT_TYPE },
    }),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a signature manifest (either mode) and returns the descriptor of its bundle layer. Stricter than the
 * fork (spec §1.9, recommended): the manifest must be an OCI manifest, the first layer must have the bundle
 * media type, and a referrer's `subject` must be the image being verified.
 */
export function parseSignatureManifest(
  json: Record<string, unknown>,
  what: string,
  expectedSubject?: string,
): Descriptor {
  const bad = (why: string): never => {
    throw new OciError('INVALID_ATTACHMENT', `${what}: ${why}`);
  };
  if (json.mediaType !== undefined && json.mediaType !== OCI_MANIFEST) {
    bad(`media type is ${String(json.mediaType)}, expected ${OCI_MANIFEST}`);
  }
  const layers = json.layers;
  if (!Array.isArray(layers) || layers.length === 0) return bad('it has no layers');
  const layer = layers[0];
  if (!isRecord(layer) || typeof layer.digest !== 'string') return bad('its first layer has no digest');
  if (layer.mediaType !== BUNDLE_LAYER) {
    bad(`its layer media type is ${String(layer.mediaType)}, expected ${BUNDLE_LAYER}`);
  }
  if (expectedSubject !== undefined) {
    const subject = json.subject;
    if (!isRecord(subject) || subject.digest !== expectedSubject) {
      bad(
        `its subject is ${isRecord(subject) ? String(subject.digest) : 'missing'}, not the image ${expectedSubject}`,
      );
    }
  }
  return {
    mediaType: BUNDLE_LAYER,
    digest: layer.digest,
    size: typeof layer.size === 'number' ? layer.size : -1,
  };
}
