import {
  ImageReference,
  imageModelManifest,
  manifestFromImage,
  OciError,
  RegistryClient,
  resolveImage,
} from '@model-signing/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelCarImage, modelImage, pushImage, sha256, skopeoRaw } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';

const skip = registryToolsMissing();

for (const tls of [true, false]) {
  describe.skipIf(skip)(`docker-registry over ${tls ? 'TLS with a test CA' : 'plain HTTP'}`, () => {
    let registry: TestRegistry;
    let client: RegistryClient;
    beforeAll(async () => {
      registry = await startRegistry({ tls });
      client = new RegistryClient(registry.host, { plainHttp: !tls, ca: registry.pki?.caPem });
    });
    afterAll(async () => {
      await client?.close();
      await registry?.stop();
    });

    it('reads a skopeo-pushed model image and turns it into the model manifest', async () => {
      const pushed = pushImage(
        registry,
        'models/bert',
        'v1',
        modelImage({ 'model.safetensors': 'weights', 'config.json': '{"a":1}' }),
      );
      const image = await resolveImage(client, ImageReference.parse(`${registry.host}/models/bert:v1`));
      expect(image.manifest.digest).toBe(pushed.digest);
      expect(Buffer.from(image.manifest.bytes).toString()).toBe(skopeoRaw(registry, 'models/bert:v1'));
      const manifest = await imageModelManifest(client, image);
      expect(manifest.modelName).toBe(`${registry.host}/models/bert:v1`);
      expect(manifest.resourceDescriptors()).toEqual([
        { name: 'config.json', algorithm: 'sha256', digest: sha256('{"a":1}').slice(7) },
        { name: 'model.safetensors', algorithm: 'sha256', digest: sha256('weights').slice(7) },
      ]);
      const byDigest = await client.getManifest('models/bert', pushed.digest);
      expect(byDigest.digest).toBe(pushed.digest);
    });

    it('reads a ModelCar image by its OLOT annotations', async () => {
      pushImage(
        registry,
        'models/car',
        'v1',
        modelCarImage({ 'model.bin': 'car weights', 'sub/tok.json': '{}' }),
      );
      const image = await resolveImage(client, ImageReference.parse(`${registry.host}/models/car:v1`));
      const manifest = await manifestFromImage(image.manifest.json);
      expect(manifest.resourceDescriptors()).toEqual([
        { name: 'model.bin', algorithm: 'sha256', digest: sha256('car weights').slice(7) },
        { name: 'sub/tok.json', algorithm: 'sha256', digest: sha256('{}').slice(7) },
      ]);
    });

    it('pushes blobs and manifests and reads them back checked', async () => {
      const blob = new TextEncoder().encode('hello blob');
      const descriptor = await client.pushBlob('scratch/x', blob);
      expect(descriptor.digest).toBe(sha256('hello blob'));
      expect(Buffer.from(await client.getBlob('scratch/x', descriptor.digest)).toString()).toBe('hello blob');
      expect(await client.hasBlob('scratch/x', sha256('absent'))).toBe(false);
    });

    it('reports the 400 the fork never noticed (manifest naming an absent blob) and claims nothing', async () => {
      const manifest = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256('{}'), size: 2 },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256('never pushed'), size: 12 },
          ],
        }),
      );
      const error = await client
        .pushManifest('scratch/bad', 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json')
        .catch((e) => e);
      expect(error).toBeInstanceOf(OciError);
      expect(error.message).toMatch(
        /^Cannot push manifest to .*returned 400 Bad Request \(MANIFEST_BLOB_UNKNOWN/,
      );
      await expect(client.getManifest('scratch/bad', 'v1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('reports a missing manifest with the URL and the registry error code', async () => {
      const error = await client.getManifest('models/bert', 'nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OciError);
      expect((error as OciError).code).toBe('NOT_FOUND');
      expect((error as Error).message).toMatch(/manifests\/nope returned 404.*MANIFEST_UNKNOWN/);
    });
  });
}
