import {
  type Digest,
  fileResource,
  fromHex,
  Manifest,
  ManifestError,
  type ManifestItem,
} from '@model-signing/manifest';
import type { Descriptor } from './client.js';
import { OciError } from './errors.js';
import { ANNOTATIONS, DOCKER_MANIFEST_LIST, OCI_INDEX } from './media-types.js';
import { sha256Hex, walkLayer } from './tar.js';

/** The prefix OLOT puts model files under inside ModelCar layers. */
export const MODEL_PATH_PREFIX = '/models/';

/** The model name used when neither the caller nor the image names the model. */
export const DEFAULT_IMAGE_MODEL_NAME = 'oci-image';

/** An image manifest layer, as read from JSON (only the fields the conversion consults). */
export interface LayerJson {
  /** The layer blob digest. */
  digest?: unknown;
  /** Layer annotations (title, OLOT keys). `null` counts as none. */
  annotations?: unknown;
  /** Media type, size and anything else are carried but never consulted. */
  [key: string]: unknown;
}

/** Options of {@link manifestFromImage}. */
export interface ImageManifestOptions {
  /** The model name (the statement's subject name); image flows pass the reference string. */
  readonly modelName?: string;
  /** Whether the config blob becomes a `config.json` item (ORAS style only). Default true. */
  readonly includeConfig?: boolean;
  /** The in-layer prefix stripped from ModelCar paths. Default `/models/`. */
  readonly modelPathPrefix?: string;
  /** Streams a layer blob; needed for ModelCar `directory` layers. */
  readonly openBlob?: (descriptor: { digest: string }) => Promise<AsyncIterable<Uint8Array>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function annotationsOf(layer: unknown): Record<string, unknown> {
  return isRecord(layer) && isRecord(layer.annotations) ? layer.annotations : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Python's `PurePosixPath` form of a name: repeated `/` collapse, `.` components and a trailing `/` go,
 * a leading `/` and `..` stay (spec §1.5, "Path normalisation").
 */
export function normalizeLayerPath(path: string): string {
  const absolute = path.startsWith('/');
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Strips the ModelCar prefix (`/models/`, or `models/`), then any leading `/` (spec §1.5, "Prefix strip"). */
export function stripModelPrefix(path: string, prefix: string = MODEL_PATH_PREFIX): string {
  let rest = path;
  const bare = prefix.replace(/^\/+/, '');
  if (rest.startsWith(prefix)) rest = rest.slice(prefix.length);
  else if (bare !== '' && rest.startsWith(bare)) rest = rest.slice(bare.length);
  return rest.replace(/^\/+/, '');
}

/**
 * Parses a digest string as the fork does: `algo:hex` (algorithm lower-cased), or bare hex meaning sha256.
 * The fork's `Invalid hex digest value` message is kept.
 */
export function parseDigestString(value: string): Digest {
  const colon = value.indexOf(':');
  const algorithm = colon < 0 ? 'sha256' : value.slice(0, colon).toLowerCase();
  const hex = colon < 0 ? value : value.slice(colon + 1);
  try {
    return { algorithm, value: fromHex(hex, 'digest') };
  } catch {
    throw new OciError('INVALID_MANIFEST', `Invalid hex digest value in '${value}'`);
  }
}

/** True when the JSON is an image index or Docker manifest list rather than one image. */
export function isIndex(manifest: Record<string, unknown>, mediaType?: string): boolean {
  const type = mediaType ?? text(manifest.mediaType);
  if (type === OCI_INDEX || type === DOCKER_MANIFEST_LIST) return true;
  return Array.isArray(manifest.manifests) && !Array.isArray(manifest.layers);
}

/** True when any layer carries `olot.layer.content.type`: the image is a ModelCar (spec §1.5 step 2). */
export function isModelCar(manifest: Record<string, unknown>): boolean {
  const layers = Array.isArray(manifest.layers) ? manifest.layers : [];
  return layers.some((layer) => ANNOTATIONS.olotType in annotationsOf(layer));
}

type Items = Map<string, Digest>;

async function addDirectoryLayer(
  items: Items,
  layer: unknown,
  prefix: string,
  openBlob: NonNullable<ImageManifestOptions['openBlob']>,
): Promise<void> {
  const digest = isRecord(layer) ? text(layer.digest) : undefined;
  if (!digest) return;
  await walkLayer(
    await openBlob({ digest }),
    digest,
    `ModelCar directory layer ${digest}`,
    async (member, content) => {
      if (member.type !== 'file' && member.type !== 'contiguous-file') return;
      const name = normalizeLayerPath(stripModelPrefix(member.name, prefix));
      if (name === '' || name === '.') return;
      const hex = await sha256Hex(content);
      items.set(name, { algorithm: 'sha256', value: fromHex(hex, 'digest') });
    },
  );
}

async function modelCarItems(layers: unknown[], options: ImageManifestOptions): Promise<Items> {
  const prefix = options.modelPathPrefix ?? MODEL_PATH_PREFIX;
  const items: Items = new Map();
  for (const layer of layers) {
    const annotations = annotationsOf(layer);
    const type = annotations[ANNOTATIONS.olotType];
    if (type === 'file') {
      const digest = text(annotations[ANNOTATIONS.olotDigest]);
      const inLayerPath = text(annotations[ANNOTATIONS.olotInLayerPath]);
      if (!digest || !inLayerPath) continue;
      const stripped = stripModelPrefix(inLayerPath, prefix);
      if (stripped === '') continue;
      items.set(normalizeLayerPath(stripped), parseDigestString(digest));
    } else if (type === 'directory') {
      if (!options.openBlob) {
        throw new OciError(
          'INVALID_MANIFEST',
          'OCI client and image reference required for directory layers',
        );
      }
      await addDirectoryLayer(items, layer, prefix, options.openBlob);
    }
  }
  return items;
}

function orasItems(manifest: Record<string, unknown>, layers: unknown[], includeConfig: boolean): Items {
  const items: Items = new Map();
  const titles = new Set<string>();
  for (const layer of layers) {
    const title = text(annotationsOf(layer)[ANNOTATIONS.title]);
    if (title) titles.add(title);
  }
  const config = manifest.config;
  const configDigest = isRecord(config) ? text(config.digest) : undefined;
  if (includeConfig && configDigest && !titles.has('config.json')) {
    items.set('config.json', parseDigestString(configDigest));
  }
  layers.forEach((layer, index) => {
    const digest = isRecord(layer) ? text(layer.digest) : undefined;
    if (!digest) return;
    const title = text(annotationsOf(layer)[ANNOTATIONS.title]);
    const name = title ? normalizeLayerPath(title) : `layer_${String(index).padStart(3, '0')}.tar.gz`;
    items.set(name, parseDigestString(digest));
  });
  return items;
}

/**
 * Builds the model manifest of an OCI image manifest exactly as the fork's
 * `create_manifest_from_oci_layers` does (spec §1.5): ModelCar file layers by their OLOT annotations,
 * directory layers by their tar members, ORAS-style layers by title (else `layer_NNN.tar.gz`), plus the
 * config blob as `config.json`. Names that would escape the model (absolute, `..`) are refused.
 */
export async function manifestFromImage(
  imageManifest: Record<string, unknown>,
  options: ImageManifestOptions = {},
): Promise<Manifest> {
  if (isIndex(imageManifest)) {
    throw new OciError(
      'INDEX_NOT_SUPPORTED',
      'The reference names a multi-platform image index; sign or verify one platform by its digest (registry/repo@sha256:…)',
    );
  }
  if (!Array.isArray(imageManifest.layers)) {
    throw new OciError('INVALID_MANIFEST', "OCI manifest missing 'layers' field");
  }
  const layers: unknown[] = imageManifest.layers;
  const items = isModelCar(imageManifest)
    ? await modelCarItems(layers, options)
    : orasItems(imageManifest, layers, options.includeConfig ?? true);
  if (items.size === 0) throw new OciError('INVALID_MANIFEST', 'No file entries found in OCI manifest');
  const annotations = isRecord(imageManifest.annotations) ? imageManifest.annotations : {};
  const modelName =
    options.modelName ??
    text(annotations[ANNOTATIONS.imageName]) ??
    text(annotations[ANNOTATIONS.baseName]) ??
    DEFAULT_IMAGE_MODEL_NAME;
  const list: ManifestItem[] = [...items].map(([name, digest]) => ({ resource: fileResource(name), digest }));
  try {
    return new Manifest(modelName, list, {
      method: 'files',
      hashType: 'sha256',
      allowSymlinks: false,
      ignorePaths: [],
    });
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new OciError(
        'INVALID_MANIFEST',
        `The image manifest names a file outside the model: ${error.message}`,
      );
    }
    throw error;
  }
}

/** A layer of an image manifest as a descriptor, when it has a digest. */
export function layerDescriptors(imageManifest: Record<string, unknown>): Descriptor[] {
  const layers = Array.isArray(imageManifest.layers) ? imageManifest.layers : [];
  return layers.filter(isRecord).filter((l) => typeof l.digest === 'string') as unknown as Descriptor[];
}
