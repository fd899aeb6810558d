import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Config } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Standin, startStandin } from '../../../test-support/oci/standin.js';
import { PUBLIC_KEY, SIGNATURES } from './fixtures.js';

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * A bundle made by the Python tool, stored the way the fork stores tag-mode signatures (spec §1.8, written
 * out here by hand), verifies through the image path: discovery, the strict reader, the key hint, and the
 * comparison with the model manifest of an image whose layers are the signed files.
 */
describe('Python-made key bundle attached to an image in the fork’s tag layout', () => {
  let registry: Standin;
  beforeAll(async () => {
    registry = await startStandin();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  function storeModelImage(repo: string, files: Record<string, Buffer>): string {
    const layers = Object.entries(files).map(([name, bytes]) => {
      registry.blobs.set(sha256(bytes), bytes);
      return {
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: sha256(bytes),
        size: bytes.length,
        annotations: { 'org.opencontainers.image.title': name },
      };
    });
    // No config blob: the Python signature covers the model files only (the fork's include_config=false case).
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers }),
    );
    return registry.putManifest(repo, 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
  }

  function attachLikeTheFork(repo: string, imageDigest: string, bundle: Buffer): void {
    registry.blobs.set(sha256(bundle), bundle);
    registry.blobs.set(sha256('{}'), Buffer.from('{}'));
    const manifest =
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
      '"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
      `"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"${sha256(bundle)}","size":${bundle.length}}],` +
      '"annotations":{"dev.sigstore.model-signing.artifact-type":"application/vnd.model-signing.signature.v0.1"}}';
    const tag = `${imageDigest.replace(':', '-')}.sig`;
    registry.putManifest(repo, tag, Buffer.from(manifest), 'application/vnd.oci.image.manifest.v1+json');
  }

  it('verifies the v1.1.0 key golden and refuses a changed layer', async () => {
    const dir = path.join(SIGNATURES, 'v1.1.0-elliptic-key');
    const files = {
      'signme-1': readFileSync(path.join(dir, 'signme-1')),
      'signme-2': readFileSync(path.join(dir, 'signme-2')),
    };
    const digest = storeModelImage('python/model', files);
    attachLikeTheFork('python/model', digest, readFileSync(path.join(dir, 'model.sig')));
    const verifier = new Config().useEllipticKeyVerifier({ publicKey: PUBLIC_KEY });
    const result = await verifier.verifyImage(`${registry.host}/python/model:v1`, { plainHttp: true });
    expect(result.source.kind).toBe('tag');
    expect(result.manifest.modelName).toBe('v1.1.0-elliptic-key');
    expect(result.manifest.names()).toEqual(['signme-1', 'signme-2']);

    const changed = storeModelImage('python/changed', {
      ...files,
      'signme-2': Buffer.from('not what was signed'),
    });
    attachLikeTheFork('python/changed', changed, readFileSync(path.join(dir, 'model.sig')));
    await expect(
      verifier.verifyImage(`${registry.host}/python/changed:v1`, { plainHttp: true }),
    ).rejects.toThrow("Hash mismatch for 'signme-2'");
  });
});
