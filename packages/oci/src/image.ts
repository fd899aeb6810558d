import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_MAX_SIGNATURE_BYTES, RegularFileError, readRegularFile } from '@model-signing/hashing';
import {
  diffManifests,
  type Manifest,
  parseJsonText,
  parseStatement,
  STATEMENT_PAYLOAD_TYPE,
  statementBytes,
  toHex,
} from '@model-signing/manifest';
import {
  type AttachmentMode,
  parseAttachmentMode,
  parseSignatureManifest,
  referrersManifestBytes,
  tagManifestBytes,
} from './attachment.js';
import {
  type FetchedManifest,
  type PushedManifest,
  RegistryClient,
  type RegistryClientOptions,
} from './client.js';
import { digestOf } from './digest.js';
import { OciError } from './errors.js';
import { compareLocalModel, formatDiff, type LocalModelDiff, type LocalModelOptions } from './local-model.js';
import { BUNDLE_LAYER, EMPTY_CONFIG, OCI_MANIFEST, SIGNATURE_ARTIFACT_TYPE } from './media-types.js';
import { isIndex, manifestFromImage } from './model-manifest.js';
import { checkModelCarLayers } from './modelcar-check.js';
import { ImageReference, signatureTag } from './reference.js';

/** Where a signature goes: the registry, a file, or both (`--output-mode`). */
export type OutputMode = 'registry' | 'file' | 'both';

/** Reads an output mode case-insensitively. */
export function parseOutputMode(mode: string): OutputMode {
  const lower = mode.toLowerCase();
  if (lower === 'registry' || lower === 'file' || lower === 'both') return lower;
  throw new OciError(
    'INVALID_OPTION',
    `Invalid output mode '${mode}'. Must be 'registry', 'file' or 'both'.`,
  );
}

/** A client for the reference's registry, or the caller's own. */
export interface RegistryAccess extends RegistryClientOptions {
  /** A ready client (tests, connection reuse); otherwise one is made from the options and closed after. */
  readonly client?: RegistryClient;
}

/** An image resolved to one manifest. */
export interface ResolvedImage {
  /** The parsed reference. */
  readonly reference: ImageReference;
  /** The image manifest as returned by the registry. */
  readonly manifest: FetchedManifest;
}

/** Reads the image manifest of `ref` and refuses indexes (spec §1.4.4). */
export async function resolveImage(
  client: RegistryClient,
  reference: ImageReference,
): Promise<ResolvedImage> {
  const manifest = await client.getManifest(reference.repository, reference.reference);
  if (isIndex(manifest.json, manifest.mediaType)) {
    throw new OciError(
      'INDEX_NOT_SUPPORTED',
      `${reference} is a multi-platform image index; name one platform by its digest: ${indexPlatforms(manifest.json, `${reference.registry}/${reference.repository}`)}`,
    );
  }
  return { reference, manifest };
}

/** `linux/amd64 reg/repo@sha256:…, linux/arm64 reg/repo@sha256:…` for each entry of an image index. */
function indexPlatforms(index: Record<string, unknown>, name: string): string {
  const entries = Array.isArray(index.manifests) ? (index.manifests as unknown[]) : [];
  const listed = entries.flatMap((entry) => {
    const { digest, platform } = (entry ?? {}) as { digest?: unknown; platform?: Record<string, unknown> };
    if (typeof digest !== 'string') return [];
    const parts = [platform?.os, platform?.architecture, platform?.variant].filter(
      (p): p is string => typeof p === 'string' && p !== '',
    );
    return [`${parts.length > 0 ? parts.join('/') : 'unknown platform'} ${name}@${digest}`];
  });
  return listed.length > 0 ? listed.join(', ') : `${name}@sha256:…`;
}

function blobOpener(client: RegistryClient, repository: string) {
  return async ({ digest }: { digest: string }): Promise<AsyncIterable<Uint8Array>> => {
    const response = await client.openBlob(repository, digest);
    if (!response.body) return Readable.from([]);
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>);
  };
}

/** The model manifest of an image as the fork builds it for signing and verifying (name = the reference). */
export async function imageModelManifest(client: RegistryClient, image: ResolvedImage): Promise<Manifest> {
  return manifestFromImage(image.manifest.json, {
    modelName: image.reference.toString(),
    openBlob: blobOpener(client, image.reference.repository),
  });
}

function parseReference(ref: string | ImageReference): ImageReference {
  if (typeof ref !== 'string') return ref;
  try {
    return ImageReference.parse(ref);
  } catch (error) {
    throw new OciError('INVALID_REFERENCE', `Invalid image reference '${ref}': ${(error as Error).message}`);
  }
}

async function withClient<T>(
  reference: ImageReference,
  access: RegistryAccess,
  run: (c: RegistryClient) => Promise<T>,
) {
  const client = access.client ?? new RegistryClient(reference.registry, access);
  try {
    return await run(client);
  } finally {
    if (!access.client) await client.close();
  }
}

/** Options of {@link signImage}. */
export interface SignImageOptions extends RegistryAccess {
  /** Signs the statement bytes and returns the bundle bytes exactly as a `model.sig` file holds them. */
  readonly sign: (statement: Uint8Array) => Promise<Uint8Array>;
  /** `referrers` (default) or `tag`, case-insensitive. */
  readonly attachmentMode?: AttachmentMode | string;
  /** `registry` (default), `file` or `both`. */
  readonly output?: OutputMode | string;
  /** The signature file for `file` and `both`. */
  readonly signaturePath?: string;
  /** Called before anything is pushed, with where it goes (the CLI prints it). */
  readonly onPush?: (target: string) => void;
}

/** What {@link signImage} did. */
export interface SignImageResult {
  /** The signed image (by digest). */
  readonly image: string;
  /** The image manifest digest. */
  readonly imageDigest: string;
  /** The model manifest that was signed. */
  readonly manifest: Manifest;
  /** The signature manifest digest, when attached. */
  readonly signatureDigest?: string;
  /** The tag written (tag mode, or the fallback of referrers mode). */
  readonly signatureTag?: string;
  /** True when referrers mode also wrote the tag because the registry has no referrers API. */
  readonly fellBackToTag?: boolean;
  /** The signature file, when written. */
  readonly signaturePath?: string;
  /** The bundle bytes. */
  readonly bundle: Uint8Array;
}

/**
 * Signs an image (spec §1.7): the model manifest is built from the registry's image manifest, signed through
 * `options.sign`, written to a file and/or attached as a referrer or under the `sha256-<hex>.sig` tag. In
 * referrers mode on a registry without the referrers API the tag is written too, with a warning (decisions 23).
 */
export async function signImage(
  ref: string | ImageReference,
  options: SignImageOptions,
): Promise<SignImageResult> {
  const output = parseOutputMode(options.output ?? 'registry');
  const mode = parseAttachmentMode(options.attachmentMode ?? 'referrers');
  if (output !== 'registry' && !options.signaturePath) {
    throw new OciError('INVALID_OPTION', `Output mode '${output}' needs a signature path`);
  }
  const reference = parseReference(ref);
  return withClient(reference, options, async (client) => {
    const image = await resolveImage(client, reference);
    const manifest = await imageModelManifest(client, image);
    const bundle = await options.sign(statementBytes(manifest));
    const imageDigest = image.manifest.digest;
    const result: { -readonly [K in keyof SignImageResult]: SignImageResult[K] } = {
      image: `${reference.registry}/${reference.repository}@${imageDigest}`,
      imageDigest,
      manifest,
      bundle,
    };
    if (output !== 'registry' && options.signaturePath) {
      // Written before attaching, as the fork does: a failed push in `both` mode leaves the file.
      await mkdir(dirname(options.signaturePath), { recursive: true });
      await writeFile(options.signaturePath, bundle);
      result.signaturePath = options.signaturePath;
    }
    if (output === 'file') return result;
    const repository = reference.repository;
    const tag = signatureTag(imageDigest);
    options.onPush?.(
      mode === 'tag'
        ? `${reference.registry}/${repository}:${tag}`
        : `${reference.toString()} (referrers API)`,
    );
    const layer = await client.pushBlob(repository, bundle, BUNDLE_LAYER);
    await client.pushBlob(repository, EMPTY_CONFIG, 'application/vnd.oci.empty.v1+json');
    if (mode === 'tag') {
      const pushed = await client.pushManifest(repository, tag, tagManifestBytes(layer), OCI_MANIFEST);
      result.signatureDigest = pushed.digest;
      result.signatureTag = tag;
      return result;
    }
    const bytes = referrersManifestBytes(layer, {
      digest: imageDigest,
      size: image.manifest.bytes.byteLength,
    });
    let pushed: PushedManifest;
    try {
      pushed = await client.pushManifest(repository, digestOf(bytes), bytes, OCI_MANIFEST);
    } catch (error) {
      // A registry that does not know OCI 1.1 artifacts may refuse the manifest outright: fall back to the
      // tag, as the fork means to (its fallback never fires, spec §1.8).
      if (!(error instanceof OciError && error.status === 400)) throw error;
      options.warn?.(
        `Registry ${reference.registry} refused the referrers manifest (${error.message}); storing the signature under the tag ${tag} instead`,
      );
      const tagged = await client.pushManifest(repository, tag, tagManifestBytes(layer), OCI_MANIFEST);
      result.signatureDigest = tagged.digest;
      result.signatureTag = tag;
      result.fellBackToTag = true;
      return result;
    }
    result.signatureDigest = pushed.digest;
    if (!pushed.ociSubject) {
      const referrers = await client.listReferrers(repository, imageDigest, SIGNATURE_ARTIFACT_TYPE);
      if (!referrers.supported) {
        options.warn?.(
          `Registry ${reference.registry} has no referrers API; the signature is also stored under the tag ${tag} so that tag-mode verifiers find it`,
        );
        await client.pushManifest(repository, tag, tagManifestBytes(layer), OCI_MANIFEST);
        result.signatureTag = tag;
        result.fellBackToTag = true;
      }
    }
    return result;
  });
}

/** Options of {@link signManifestJson}. */
export interface SignManifestOptions {
  /** Signs the statement bytes and returns the bundle bytes. */
  readonly sign: (statement: Uint8Array) => Promise<Uint8Array>;
  /** The model name; defaults to the manifest's name annotations, else `oci-image`. */
  readonly modelName?: string;
  /** Include the config blob as `config.json` (default true). */
  readonly includeConfig?: boolean;
}

/**
 * Signs a prebuilt image manifest (for example `skopeo inspect --raw` output) without registry access, as the
 * fork's `sign_from_manifest`, and writes the bundle to `signaturePath`. ModelCar directory layers need the
 * registry and are refused.
 */
export async function signManifestJson(
  manifestJson: string | Uint8Array | Record<string, unknown>,
  signaturePath: string,
  options: SignManifestOptions,
): Promise<Manifest> {
  let json: unknown = manifestJson;
  if (typeof manifestJson === 'string' || manifestJson instanceof Uint8Array) {
    try {
      json = JSON.parse(
        typeof manifestJson === 'string' ? manifestJson : new TextDecoder().decode(manifestJson),
      );
    } catch {
      throw new OciError('INVALID_MANIFEST', 'The image manifest is not valid JSON');
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OciError('INVALID_MANIFEST', 'The image manifest is not a JSON object');
  }
  const manifest = await manifestFromImage(json as Record<string, unknown>, {
    modelName: options.modelName,
    includeConfig: options.includeConfig,
  });
  const bundle = await options.sign(statementBytes(manifest));
  await mkdir(dirname(signaturePath), { recursive: true });
  await writeFile(signaturePath, bundle);
  return manifest;
}

/** What a bundle verifier hands back. */
export interface VerifiedBundlePayload {
  /** The DSSE payload type. */
  readonly payloadType: string;
  /** The signed payload bytes. */
  readonly payload: Uint8Array;
}

/** Options of {@link verifyImage}. */
export interface VerifyImageOptions extends RegistryAccess {
  /** Checks a parsed bundle (signature, key/certificate trust, identity) and returns the signed payload. */
  readonly verifyBundle: (bundle: unknown) => Promise<VerifiedBundlePayload>;
  /**
   * Whether a bundle is of the configured method (the fork's "matches the signature type": `publicKey` for
   * key, `certificate` for Sigstore). Candidates that do not match are skipped. Default: every JSON object.
   */
  readonly matchesMethod?: (bundle: Record<string, unknown>) => boolean;
  /** A signature file, instead of looking in the registry. */
  readonly signature?: string;
  /** The largest `signature` file read, in bytes (default `DEFAULT_MAX_SIGNATURE_BYTES`, 256 MiB). */
  readonly maxSignatureBytes?: number;
  /** `referrers` or `tag` to look only there; default both (referrers first). */
  readonly attachmentMode?: AttachmentMode | string;
  /** A local directory to compare with the signed files (spec §1.10). */
  readonly localModel?: string;
  /** Options of the local comparison. */
  readonly localModelOptions?: LocalModelOptions;
  /** Set false to skip pulling ModelCar file layers to check their content (decisions 24). Default true. */
  readonly checkLayerContents?: boolean;
  /**
   * Compares the signed manifest (expected) with the image's (actual) and throws on a difference; by default
   * the fork's report of missing, extra and mismatched files.
   */
  readonly compareManifests?: (expected: Manifest, actual: Manifest) => void;
  /** Reads the signed payload into the expected manifest; by default `parseStatement`. */
  readonly expectedManifest?: (payload: Uint8Array) => Manifest;
}

/** Where a candidate signature came from. */
export interface SignatureSource {
  /** `file`, `referrers` or `tag`. */
  readonly kind: 'file' | 'referrers' | 'tag';
  /** The file path, the referrer's manifest digest, or the tag. */
  readonly location: string;
}

/** What {@link verifyImage} established. */
export interface VerifyImageResult {
  /** The image, by digest. */
  readonly image: string;
  /** The image manifest digest. */
  readonly imageDigest: string;
  /** The signed (and matching) model manifest. */
  readonly manifest: Manifest;
  /** The signature that verified. */
  readonly source: SignatureSource;
  /** Candidates that were tried before and failed, with why. */
  readonly failures: readonly string[];
  /** True when `localModel` was compared and matched. */
  readonly localModelVerified: boolean;
}

interface Candidate {
  readonly source: SignatureSource;
  readonly bytes: Uint8Array;
}

function describe(source: SignatureSource): string {
  return source.kind === 'file'
    ? `signature file ${source.location}`
    : `${source.kind} signature ${source.location}`;
}

async function referrerCandidates(
  client: RegistryClient,
  image: ResolvedImage,
  failures: string[],
): Promise<Candidate[] | undefined> {
  const { repository } = image.reference;
  const digest = image.manifest.digest;
  const listed = await client.listReferrers(repository, digest, SIGNATURE_ARTIFACT_TYPE);
  if (!listed.supported) return undefined;
  const candidates: Candidate[] = [];
  // Newest last in the registry's list, as the fork assumes: walk it backwards.
  for (const entry of [...listed.manifests].reverse()) {
    const source: SignatureSource = { kind: 'referrers', location: entry.digest };
    try {
      const manifest = await client.getManifest(repository, entry.digest);
      const layer = parseSignatureManifest(manifest.json, `Referrer ${entry.digest}`, digest);
      candidates.push({ source, bytes: await client.getBlob(repository, layer.digest) });
    } catch (error) {
      failures.push(`${describe(source)}: ${(error as Error).message}`);
    }
  }
  return candidates;
}

async function tagCandidate(
  client: RegistryClient,
  image: ResolvedImage,
  failures: string[],
): Promise<Candidate | undefined> {
  const { repository } = image.reference;
  const tag = signatureTag(image.manifest.digest);
  const source: SignatureSource = { kind: 'tag', location: tag };
  let manifest: FetchedManifest;
  try {
    manifest = await client.getManifest(repository, tag);
  } catch (error) {
    if (error instanceof OciError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  }
  try {
    const layer = parseSignatureManifest(manifest.json, `Signature tag ${tag}`);
    return { source, bytes: await client.getBlob(repository, layer.digest) };
  } catch (error) {
    failures.push(`${describe(source)}: ${(error as Error).message}`);
    return undefined;
  }
}

async function findCandidates(
  client: RegistryClient,
  image: ResolvedImage,
  options: VerifyImageOptions,
  failures: string[],
): Promise<Candidate[]> {
  if (options.signature) {
    let bytes: Uint8Array;
    try {
      // A regular file of bounded size only: a FIFO would block, a device never end.
      bytes = await readRegularFile(
        options.signature,
        options.maxSignatureBytes ?? DEFAULT_MAX_SIGNATURE_BYTES,
      );
    } catch (error) {
      const why = error instanceof RegularFileError ? error.message : (error as Error).message;
      throw new OciError('NO_SIGNATURE', `Cannot read the signature file ${options.signature}: ${why}`);
    }
    return [{ source: { kind: 'file', location: options.signature }, bytes }];
  }
  const mode = options.attachmentMode ? parseAttachmentMode(options.attachmentMode) : undefined;
  const ref = image.reference.toString();
  const candidates: Candidate[] = [];
  if (mode !== 'tag') candidates.push(...((await referrerCandidates(client, image, failures)) ?? []));
  if (mode !== 'referrers') {
    const tagged = await tagCandidate(client, image, failures);
    // In the referrers fallback both places hold the same bundle: verify it once.
    if (tagged && !candidates.some((c) => Buffer.from(c.bytes).equals(Buffer.from(tagged.bytes))))
      candidates.push(tagged);
  }
  if (candidates.length === 0 && failures.length === 0) {
    const message =
      mode === 'tag'
        ? `No tag-based signature found for image ${ref}. Ensure the image was signed with --attachment-mode tag.`
        : mode === 'referrers'
          ? `No referrers-based signature for image ${ref}. Ensure the image was signed with referrers attachment.`
          : `No signature found for image ${ref}. Ensure the image has been signed and the signature is attached to the registry.`;
    throw new OciError('NO_SIGNATURE', message);
  }
  return candidates;
}

function parseBundle(bytes: Uint8Array, where: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new OciError(
      'VERIFICATION_FAILED',
      `Failed to decode signature ${where}: signature data is not valid UTF-8`,
    );
  }
  let json: unknown;
  try {
    json = parseJsonText(text);
  } catch (error) {
    // The position only: the text may be anything the signature path points at.
    throw new OciError(
      'VERIFICATION_FAILED',
      `Failed to parse signature ${where}: invalid JSON: ${(error as Error).message}`,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OciError('VERIFICATION_FAILED', `Failed to parse signature ${where}: not a JSON object`);
  }
  return json as Record<string, unknown>;
}

function imageDiff(expected: Manifest, actual: Manifest): string | undefined {
  const diff = diffManifests(expected, actual);
  if (diff.equal) return undefined;
  const digest = (d: { algorithm: string; value: Uint8Array }) => `${d.algorithm}:${toHex(d.value)}`;
  return formatDiff({
    missing: diff.missing,
    extra: diff.extra,
    mismatched: diff.mismatched.map((m) => ({
      name: m.name,
      expected: digest(m.expected),
      actual: digest(m.actual),
    })),
  });
}

/**
 * When `config.json` is the only local difference and it is the image's config blob, say so (spec §1.10): the
 * signed manifest of an ORAS-style image includes the config blob under that name.
 */
function configHint(local: LocalModelDiff, expected: Manifest, image: ResolvedImage): string {
  const config = image.manifest.json.config;
  const configDigest =
    typeof config === 'object' && config !== null ? (config as { digest?: unknown }).digest : undefined;
  const item = expected.get('config.json');
  const onlyConfig =
    local.extra.length === 0 &&
    [...local.missing, ...local.mismatched.map((m) => m.name)].every((name) => name === 'config.json');
  if (!onlyConfig || !item || configDigest !== `${item.digest.algorithm}:${toHex(item.digest.value)}`)
    return '';
  return '\n  (the signed manifest includes the OCI config blob as config.json; the local directory must hold it)';
}

/**
 * Verifies an image (spec §1.9–§1.10, decisions 17 and 24): every candidate signature (a file, the referrers,
 * the tag), newest first, is checked until one verifies and matches the model manifest rebuilt from the
 * registry's current image manifest; otherwise every failure is reported. ModelCar file layers are pulled and
 * checked against their annotations unless `checkLayerContents` is false.
 */
export async function verifyImage(
  ref: string | ImageReference,
  options: VerifyImageOptions,
): Promise<VerifyImageResult> {
  const reference = parseReference(ref);
  return withClient(reference, options, async (client) => {
    const image = await resolveImage(client, reference);
    const actual = await imageModelManifest(client, image);
    if (options.checkLayerContents ?? true) {
      await checkModelCarLayers(image.manifest.json, blobOpener(client, reference.repository));
    }
    const failures: string[] = [];
    const candidates = await findCandidates(client, image, options, failures);
    for (const candidate of candidates) {
      const where = describe(candidate.source);
      try {
        const bundle = parseBundle(candidate.bytes, where);
        if (options.matchesMethod && !options.matchesMethod(bundle)) {
          failures.push(`${where}: made with another signing method`);
          continue;
        }
        const payload = await options.verifyBundle(bundle);
        if (payload.payloadType !== STATEMENT_PAYLOAD_TYPE) {
          throw new OciError(
            'VERIFICATION_FAILED',
            `Expected DSSE payload ${STATEMENT_PAYLOAD_TYPE}, but got ${payload.payloadType}`,
          );
        }
        const expected = (options.expectedManifest ?? parseStatement)(payload.payload);
        if (options.compareManifests) options.compareManifests(expected, actual);
        else {
          const difference = imageDiff(expected, actual);
          if (difference) {
            throw new OciError(
              'VERIFICATION_FAILED',
              `The image ${reference} does not match its signature:\n${difference}`,
            );
          }
        }
        let localModelVerified = false;
        if (options.localModel) {
          const local = await compareLocalModel(options.localModel, expected, {
            ...options.localModelOptions,
            signaturePath: options.localModelOptions?.signaturePath ?? options.signature,
          });
          if (local.missing.length + local.extra.length + local.mismatched.length > 0) {
            throw new OciError(
              'VERIFICATION_FAILED',
              `The local model ${options.localModel} does not match the signed image:\n${formatDiff(local)}${configHint(local, expected, image)}`,
            );
          }
          localModelVerified = true;
        }
        return {
          image: `${reference.registry}/${reference.repository}@${image.manifest.digest}`,
          imageDigest: image.manifest.digest,
          manifest: expected,
          source: candidate.source,
          failures,
          localModelVerified,
        };
      } catch (error) {
        failures.push(`${where}: ${(error as Error).message}`);
        // With one candidate only, its own error (class, code, details) is the report.
        if (candidates.length === 1 && failures.length === 1) throw error;
      }
    }
    if (failures.length === 1) throw new OciError('VERIFICATION_FAILED', failures[0]!);
    throw new OciError(
      'VERIFICATION_FAILED',
      `No signature of ${reference} verified (${failures.length} tried):\n${failures.map((f) => `- ${f}`).join('\n')}`,
    );
  });
}
