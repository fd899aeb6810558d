import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  manifestFromImage,
  normalizeLayerPath,
  OciError,
  parseDigestString,
  stripModelPrefix,
} from '@model-signing/oci';
import { describe, expect, it } from 'vitest';
import { makeTar } from '../../../test-support/oci/layout.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;
const D = `sha256:${'d'.repeat(64)}`;
const EMPTY = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const title = (t: string) => ({ 'org.opencontainers.image.title': t });
async function* once(bytes: Uint8Array) {
  yield bytes;
}
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function names(json: Record<string, unknown>, options = {}) {
  const manifest = await manifestFromImage(json, options);
  return Object.fromEntries(
    manifest.resourceDescriptors().map((d) => [d.name, `${d.algorithm}:${d.digest}`]),
  );
}

describe('OCI manifest → model manifest (spec §1.5 golden examples)', () => {
  it('drops the config blob when a layer is titled config.json', async () => {
    expect(
      await names({
        config: { digest: C },
        layers: [
          { digest: A, annotations: title('model.safetensors') },
          { digest: B, annotations: title('config.json') },
        ],
      }),
    ).toEqual({ 'config.json': B, 'model.safetensors': A });
  });

  it('adds the config blob as config.json', async () => {
    expect(
      await names({ config: { digest: C }, layers: [{ digest: A, annotations: title('model.bin') }] }),
    ).toEqual({
      'config.json': C,
      'model.bin': A,
    });
  });

  it('names untitled layers layer_NNN.tar.gz by their index among all layers', async () => {
    expect(await names({ layers: [{ digest: A }, { digest: B }] })).toEqual({
      'layer_000.tar.gz': A,
      'layer_001.tar.gz': B,
    });
    expect(
      await names({
        config: { digest: EMPTY },
        layers: [
          { digest: A, annotations: title('') },
          { digest: B },
          { annotations: {} },
          { digest: D, annotations: null },
        ],
      }),
    ).toEqual({ 'config.json': EMPTY, 'layer_000.tar.gz': A, 'layer_001.tar.gz': B, 'layer_003.tar.gz': D });
  });

  it('leaves the config out on request', async () => {
    expect(
      await names(
        { config: { digest: C }, layers: [{ digest: A, annotations: title('m') }] },
        { includeConfig: false },
      ),
    ).toEqual({
      m: A,
    });
  });

  const olotFile = (path: string, digest: string, layerDigest = D) => ({
    digest: layerDigest,
    annotations: {
      'olot.layer.content.type': 'file',
      'olot.layer.content.inlayerpath': path,
      'olot.layer.content.digest': digest,
    },
  });

  it('takes ModelCar file layers from their annotations, skipping base layers and the config', async () => {
    expect(
      await names({
        config: { digest: C },
        layers: [{ digest: A }, olotFile('/models/subdir/nested/file.txt', B)],
      }),
    ).toEqual({ 'subdir/nested/file.txt': B });
  });

  it('hashes the members of ModelCar directory layers', async () => {
    const tar = makeTar({ 'models/dir1/file1.txt': 'content1', 'models/dir1/sub/f2': 'content2' });
    const layerDigest = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const json = {
      layers: [{ digest: layerDigest, annotations: { 'olot.layer.content.type': 'directory' } }],
    };
    await expect(manifestFromImage(json)).rejects.toThrow(
      'OCI client and image reference required for directory layers',
    );
    expect(
      await names(json, {
        openBlob: async ({ digest }: { digest: string }) => {
          expect(digest).toBe(layerDigest);
          return once(tar);
        },
      }),
    ).toEqual({
      'dir1/file1.txt': `sha256:${sha256('content1')}`,
      'dir1/sub/f2': `sha256:${sha256('content2')}`,
    });
  });

  it('reads gzip-compressed directory layers', async () => {
    const tgz = gzipSync(makeTar({ 'models/a.txt': 'A' }));
    const json = {
      layers: [
        {
          digest: `sha256:${createHash('sha256').update(tgz).digest('hex')}`,
          annotations: { 'olot.layer.content.type': 'directory' },
        },
      ],
    };
    expect(await names(json, { openBlob: async () => once(tgz) })).toEqual({
      'a.txt': `sha256:${sha256('A')}`,
    });
  });

  it('fails a directory layer whose bytes do not match its digest', async () => {
    const tar = makeTar({ 'models/x': 'x' });
    const json = { layers: [{ digest: A, annotations: { 'olot.layer.content.type': 'directory' } }] };
    await expect(manifestFromImage(json, { openBlob: async () => once(tar) })).rejects.toMatchObject({
      code: 'DIGEST_MISMATCH',
    });
  });

  it('names the model after the argument, then the image annotations, then oci-image', async () => {
    const layers = [{ digest: A, annotations: title('m') }];
    expect((await manifestFromImage({ layers }, { modelName: 'given' })).modelName).toBe('given');
    expect(
      (
        await manifestFromImage({
          layers,
          annotations: {
            'org.opencontainers.image.base.name': 'base',
            'org.opencontainers.image.name': 'img',
          },
        })
      ).modelName,
    ).toBe('img');
    expect(
      (await manifestFromImage({ layers, annotations: { 'org.opencontainers.image.base.name': 'base' } }))
        .modelName,
    ).toBe('base');
    expect((await manifestFromImage({ layers })).modelName).toBe('oci-image');
  });

  it('writes the files/sha256 serialization and the last duplicate wins', async () => {
    const manifest = await manifestFromImage({
      layers: [
        { digest: A, annotations: title('x') },
        { digest: B, annotations: title('./x') },
      ],
    });
    expect(manifest.serialization).toEqual({
      method: 'files',
      hashType: 'sha256',
      allowSymlinks: false,
      ignorePaths: [],
    });
    expect(manifest.resourceDescriptors()).toEqual([
      { name: 'x', algorithm: 'sha256', digest: 'b'.repeat(64) },
    ]);
  });

  it('sorts names by path component and code point', async () => {
    const layers = ['a.b', 'a-b', 'a/b', 'B', 'a'].map((t, i) => ({
      digest: `sha256:${String(i).repeat(64)}`,
      annotations: title(t),
    }));
    expect((await manifestFromImage({ layers })).names()).toEqual(['B', 'a', 'a/b', 'a-b', 'a.b']);
  });

  it('refuses a manifest without layers, an empty one, an index, and names outside the model', async () => {
    await expect(manifestFromImage({})).rejects.toThrow("OCI manifest missing 'layers' field");
    await expect(manifestFromImage({ layers: [] })).rejects.toThrow('No file entries found in OCI manifest');
    await expect(
      manifestFromImage({ mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }),
    ).rejects.toMatchObject({ code: 'INDEX_NOT_SUPPORTED' });
    await expect(
      manifestFromImage({ layers: [{ digest: A, annotations: title('../etc/passwd') }] }),
    ).rejects.toBeInstanceOf(OciError);
    await expect(
      manifestFromImage({ layers: [{ digest: A, annotations: title('/abs/x') }] }),
    ).rejects.toThrow(/outside the model/);
  });
});

describe('helpers', () => {
  it('normalises like PurePosixPath', () => {
    expect(['./a/b', 'a//c', 'e/', '/abs/x', 'a/../d'].map(normalizeLayerPath)).toEqual([
      'a/b',
      'a/c',
      'e',
      '/abs/x',
      'a/../d',
    ]);
  });
  it('strips the ModelCar prefix', () => {
    expect(
      ['/models/a/b.bin', 'models/x', '/other/x.bin', '/models/'].map((p) => stripModelPrefix(p)),
    ).toEqual(['a/b.bin', 'x', 'other/x.bin', '']);
  });
  it('parses digest strings', () => {
    expect(parseDigestString('SHA256:AB').algorithm).toBe('sha256');
    expect(parseDigestString('abcd')).toEqual({ algorithm: 'sha256', value: new Uint8Array([0xab, 0xcd]) });
    expect(parseDigestString(`sha512:${'e'.repeat(128)}`).algorithm).toBe('sha512');
    expect(() => parseDigestString('sha256:zz')).toThrow("Invalid hex digest value in 'sha256:zz'");
  });
});
