/**
 * Builds OCI image layouts on disk (blobs, manifest, index.json) and pushes them with `skopeo copy`, so that
 * the images under test come from an independent tool rather than from our own client.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestRegistry } from './registry.js';
import { run } from './tools.js';

/** One layer of a test image. */
export interface LayerSpec {
  /** The blob bytes. */
  readonly bytes: Uint8Array;
  /** Media type (default `application/vnd.oci.image.layer.v1.tar`). */
  readonly mediaType?: string;
  /** Layer annotations. */
  readonly annotations?: Record<string, string>;
}

/** An image to lay out. */
export interface ImageSpec {
  /** The layers, in order. */
  readonly layers: LayerSpec[];
  /** Config blob bytes and media type (default the empty `{}` descriptor). */
  readonly config?: { bytes: Uint8Array; mediaType: string };
  /** Manifest annotations. */
  readonly annotations?: Record<string, string>;
  /** Write the manifest indented (as some tools do); the fork then computes a digest that does not exist. */
  readonly indentManifest?: boolean;
}

/** `sha256:<hex>` of bytes, computed with node:crypto. */
export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function writeBlob(layout: string, bytes: Uint8Array): string {
  const digest = sha256(bytes);
  const path = join(layout, 'blobs', 'sha256', digest.slice(7));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return digest;
}

/** Writes an OCI layout holding `image` under `tag`; returns the manifest bytes. */
export function writeLayout(layout: string, tag: string, image: ImageSpec): Uint8Array {
  mkdirSync(layout, { recursive: true });
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const config = image.config ?? {
    bytes: new TextEncoder().encode('{}'),
    mediaType: 'application/vnd.oci.image.config.v1+json',
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: config.mediaType,
      digest: writeBlob(layout, config.bytes),
      size: config.bytes.byteLength,
    },
    layers: image.layers.map((layer) => ({
      mediaType: layer.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
      digest: writeBlob(layout, layer.bytes),
      size: layer.bytes.byteLength,
      ...(layer.annotations ? { annotations: layer.annotations } : {}),
    })),
    ...(image.annotations ? { annotations: image.annotations } : {}),
  };
  const bytes = new TextEncoder().encode(
    JSON.stringify(manifest, null, image.indentManifest ? 2 : undefined),
  );
  const digest = writeBlob(layout, bytes);
  const index = {
    schemaVersion: 2,
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest,
        size: bytes.byteLength,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  writeFileSync(join(layout, 'index.json'), JSON.stringify(index));
  return bytes;
}

/** Destination flags of skopeo for a test registry. */
export function skopeoDestFlags(registry: TestRegistry): string[] {
  const flags = registry.certDir ? ['--dest-cert-dir', registry.certDir] : ['--dest-tls-verify=false'];
  if (registry.credentials)
    flags.push('--dest-creds', `${registry.credentials.username}:${registry.credentials.password}`);
  return flags;
}

/** Source flags of skopeo for a test registry. */
export function skopeoSrcFlags(registry: TestRegistry): string[] {
  const flags = registry.certDir ? ['--cert-dir', registry.certDir] : ['--tls-verify=false'];
  if (registry.credentials)
    flags.push('--creds', `${registry.credentials.username}:${registry.credentials.password}`);
  return flags;
}

/**
 * Lays out `image` and pushes it to `registry/repository:tag` with skopeo, keeping the manifest bytes (or
 * converting to a Docker v2 manifest). Returns the digest of the OCI manifest bytes skopeo was given.
 */
export function pushImage(
  registry: TestRegistry,
  repository: string,
  tag: string,
  image: ImageSpec,
  options: { dockerV2?: boolean } = {},
): { digest: string; manifest: Uint8Array } {
  const dir = mkdtempSync(join(tmpdir(), 'ms-layout-'));
  try {
    const manifest = writeLayout(join(dir, 'layout'), tag, image);
    run('skopeo', [
      '--insecure-policy',
      'copy',
      '--quiet',
      // Docker v2 schema 2 is a conversion (new manifest bytes); otherwise the bytes are kept.
      ...(options.dockerV2 ? ['--format', 'v2s2'] : ['--preserve-digests']),
      ...skopeoDestFlags(registry),
      `oci:${join(dir, 'layout')}:${tag}`,
      `docker://${registry.host}/${repository}:${tag}`,
    ]);
    return { digest: sha256(manifest), manifest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `skopeo inspect --raw` of a reference in the test registry. */
export function skopeoRaw(registry: TestRegistry, reference: string): string {
  return run('skopeo', [
    '--insecure-policy',
    'inspect',
    '--raw',
    ...skopeoSrcFlags(registry),
    `docker://${registry.host}/${reference}`,
  ]);
}

/** A tar holding `files` (path inside the archive → content), made with GNU tar. */
export function makeTar(files: Record<string, string | Uint8Array>): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'ms-tar-'));
  try {
    const root = join(dir, 'root');
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(dirname(join(root, name)), { recursive: true });
      writeFileSync(join(root, name), content);
    }
    const out = join(dir, 'layer.tar');
    run('tar', [
      '--sort=name',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mtime=@0',
      '-cf',
      out,
      '-C',
      root,
      ...Object.keys(files),
    ]);
    return new Uint8Array(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An ORAS-style model image: one raw layer per file, titled with its name, and the `{}` config. */
export function modelImage(files: Record<string, string>): ImageSpec {
  return {
    config: { bytes: new TextEncoder().encode('{}'), mediaType: 'application/vnd.oci.image.config.v1+json' },
    layers: Object.entries(files).map(([name, content]) => ({
      bytes: new TextEncoder().encode(content),
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
      annotations: { 'org.opencontainers.image.title': name },
    })),
  };
}

/**
 * A ModelCar-style image as OLOT writes it: a base layer without model files, then one tar layer per model
 * file at `models/<name>`, annotated with its path, content digest and type.
 */
export function modelCarImage(
  files: Record<string, string>,
  base: Record<string, string> = { 'etc/os-release': 'ID=test\n' },
): ImageSpec {
  const layers: LayerSpec[] = [{ bytes: makeTar(base) }];
  for (const [name, content] of Object.entries(files)) {
    layers.push({
      bytes: makeTar({ [`models/${name}`]: content }),
      annotations: {
        'olot.layer.content.digest': sha256(content),
        'olot.layer.content.inlayerpath': `/models/${name}`,
        'olot.layer.content.name': name.split('/').pop() ?? name,
        'olot.layer.content.type': 'file',
      },
    });
  }
  const diffIds = layers.map((layer) => sha256(layer.bytes));
  const config = JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  return {
    config: {
      bytes: new TextEncoder().encode(config),
      mediaType: 'application/vnd.oci.image.config.v1+json',
    },
    layers,
  };
}

/** The fork's signature tag of an image digest, computed here independently of the library. */
export function signatureTagOf(digest: string): string {
  return `sha256-${digest.slice('sha256:'.length)}.sig`;
}
