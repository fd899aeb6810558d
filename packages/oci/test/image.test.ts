import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OciError,
  RegistryClient,
  signatureTag,
  signImage,
  tagManifestBytes,
  verifyImage,
} from '@model-signing/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTar,
  modelCarImage,
  modelImage,
  pushImage,
  sha256,
  skopeoRaw,
} from '../../../test-support/oci/layout.js';
import { freePort, startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { fakeSign, fakeVerify } from './fake-bundle.js';

const skip = registryToolsMissing();

describe.skipIf(skip)('signing and verifying images in Debian docker-registry', () => {
  let registry: TestRegistry;
  let dir: string;
  const access = () => ({ plainHttp: registry.plainHttp, ca: registry.pki?.caPem });
  beforeAll(async () => {
    registry = await startRegistry({ tls: false });
    dir = mkdtempSync(join(tmpdir(), 'ms-oci-image-'));
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('signs in tag mode with the fork’s wire format, and verifies', async () => {
    const { digest } = pushImage(
      registry,
      'team/plain',
      'v1',
      modelImage({ 'model.safetensors': 'w1', 'tokenizer.json': 't' }),
    );
    const pushedTo: string[] = [];
    const signed = await signImage(`${registry.host}/team/plain:v1`, {
      ...access(),
      sign: fakeSign,
      attachmentMode: 'tag',
      onPush: (t) => pushedTo.push(t),
    });
    const tag = signatureTag(digest);
    expect(signed.imageDigest).toBe(digest);
    expect(signed.signatureTag).toBe(tag);
    expect(pushedTo).toEqual([`${registry.host}/team/plain:${tag}`]);
    // skopeo reads back exactly the bytes the fork would have written for this bundle.
    const expected = tagManifestBytes({ digest: sha256(signed.bundle), size: signed.bundle.byteLength });
    expect(skopeoRaw(registry, `team/plain:${tag}`)).toBe(Buffer.from(expected).toString());
    expect(signed.signatureDigest).toBe(sha256(expected));

    const verified = await verifyImage(`${registry.host}/team/plain:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
    });
    expect(verified.source).toEqual({ kind: 'tag', location: tag });
    expect(verified.manifest.names()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const byDigest = await verifyImage(`oci://${registry.host}/team/plain@${digest}`, {
      ...access(),
      verifyBundle: fakeVerify,
      attachmentMode: 'tag',
    });
    expect(byDigest.imageDigest).toBe(digest);
  });

  it('in referrers mode on a registry without the referrers API also writes the tag, with a warning', async () => {
    const { digest } = pushImage(registry, 'team/fallback', 'v1', modelImage({ 'm.bin': 'fallback' }));
    const warnings: string[] = [];
    const signed = await signImage(`${registry.host}/team/fallback:v1`, {
      ...access(),
      sign: fakeSign,
      warn: (m) => warnings.push(m),
    });
    expect(signed.fellBackToTag).toBe(true);
    expect(warnings.join()).toMatch(/no referrers API.*sha256-[0-9a-f]{64}\.sig/);
    expect(JSON.parse(skopeoRaw(registry, `team/fallback:${signatureTag(digest)}`)).annotations).toEqual({
      'dev.sigstore.model-signing.artifact-type': 'application/vnd.model-signing.signature.v0.1',
    });
    const verified = await verifyImage(`${registry.host}/team/fallback:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
    });
    expect(verified.source.kind).toBe('tag');
    await expect(
      verifyImage(`${registry.host}/team/fallback:v1`, {
        ...access(),
        verifyBundle: fakeVerify,
        attachmentMode: 'referrers',
      }),
    ).rejects.toThrow(/No referrers-based signature for image/);
  });

  it('signs and verifies a Docker v2 schema 2 image (skopeo --format v2s2): untitled layers and the config', async () => {
    pushImage(registry, 'team/docker', 'v1', modelImage({ 'a.bin': 'A', 'b.bin': 'B' }), { dockerV2: true });
    const raw = JSON.parse(skopeoRaw(registry, 'team/docker:v1'));
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const signed = await signImage(`${registry.host}/team/docker:v1`, {
      ...access(),
      sign: fakeSign,
      attachmentMode: 'tag',
    });
    expect(signed.imageDigest).toBe(sha256(skopeoRaw(registry, 'team/docker:v1')));
    expect(signed.manifest.resourceDescriptors()).toEqual([
      { name: 'config.json', algorithm: 'sha256', digest: raw.config.digest.slice(7) },
      // skopeo compresses the layers for Docker v2: the digests are those it wrote.
      { name: 'layer_000.tar.gz', algorithm: 'sha256', digest: raw.layers[0].digest.slice(7) },
      { name: 'layer_001.tar.gz', algorithm: 'sha256', digest: raw.layers[1].digest.slice(7) },
    ]);
    const verified = await verifyImage(`${registry.host}/team/docker:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
    });
    expect(verified.imageDigest).toBe(signed.imageDigest);
  });

  it('names the signature after the digest of the bytes the registry returns, also for an indented manifest', async () => {
    const image = { ...modelImage({ 'w.bin': 'indented' }), indentManifest: true };
    const { digest, manifest } = pushImage(registry, 'team/indented', 'v1', image);
    expect(Buffer.from(manifest).toString()).toContain('\n  "schemaVersion"');
    // The fork re-serialises compactly and would sign (and tag) this other, non-existent digest.
    const compact = sha256(JSON.stringify(JSON.parse(Buffer.from(manifest).toString())));
    expect(compact).not.toBe(digest);
    const signed = await signImage(`${registry.host}/team/indented:v1`, {
      ...access(),
      sign: fakeSign,
      attachmentMode: 'tag',
    });
    expect(signed.imageDigest).toBe(digest);
    expect(JSON.parse(skopeoRaw(registry, `team/indented:${signatureTag(digest)}`)).schemaVersion).toBe(2);
    await expect(
      verifyImage(`${registry.host}/team/indented@${digest}`, { ...access(), verifyBundle: fakeVerify }),
    ).resolves.toBeDefined();
  });

  it('fails a re-tagged image with a changed layer and names the file', async () => {
    pushImage(registry, 'team/retag', 'v1', modelImage({ 'model.bin': 'original', 'vocab.txt': 'v' }));
    const signature = join(dir, 'retag', 'model.sig');
    await signImage(`${registry.host}/team/retag:v1`, {
      ...access(),
      sign: fakeSign,
      output: 'both',
      attachmentMode: 'tag',
      signaturePath: signature,
    });
    pushImage(registry, 'team/retag', 'v1', modelImage({ 'model.bin': 'tampered', 'vocab.txt': 'v' }));
    const error = await verifyImage(`${registry.host}/team/retag:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
      signature,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(OciError);
    expect(error.message).toContain('Hash mismatches (1):');
    expect(error.message).toContain(`model.bin: expected ${sha256('original')}, got ${sha256('tampered')}`);
    expect(error.message).not.toContain('vocab.txt');
    // The new image digest has no signature tag at all.
    await expect(
      verifyImage(`${registry.host}/team/retag:v1`, { ...access(), verifyBundle: fakeVerify }),
    ).rejects.toThrow(/^No signature found for image/);
  });

  it('compares a local model with the signed image (--local-model)', async () => {
    const files = { 'model.bin': 'local weights', 'sub/cfg.txt': 'cfg' };
    pushImage(registry, 'team/local', 'v1', modelImage(files));
    await signImage(`${registry.host}/team/local:v1`, { ...access(), sign: fakeSign, attachmentMode: 'tag' });
    const local = join(dir, 'local');
    mkdirSync(join(local, 'sub'), { recursive: true });
    mkdirSync(join(local, '.git'), { recursive: true });
    writeFileSync(join(local, 'model.bin'), files['model.bin']);
    writeFileSync(join(local, 'sub/cfg.txt'), files['sub/cfg.txt']);
    writeFileSync(join(local, 'config.json'), '{}');
    writeFileSync(join(local, '.git/HEAD'), 'ref');
    const ok = await verifyImage(`${registry.host}/team/local:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
      localModel: local,
    });
    expect(ok.localModelVerified).toBe(true);
    writeFileSync(join(local, 'sub/cfg.txt'), 'changed');
    writeFileSync(join(local, 'extra.txt'), 'x');
    const error = await verifyImage(`${registry.host}/team/local:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
      localModel: local,
    }).catch((e) => e);
    expect(error.message).toContain('Extra files (1):\n    extra.txt');
    expect(error.message).toContain(`sub/cfg.txt: expected ${sha256('cfg')}, got ${sha256('changed')}`);
    expect(error.message).not.toContain('OCI config blob');
    // Only the config blob missing: the report says where config.json comes from.
    writeFileSync(join(local, 'sub/cfg.txt'), 'cfg');
    rmSync(join(local, 'extra.txt'));
    rmSync(join(local, 'config.json'));
    const config = await verifyImage(`${registry.host}/team/local:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
      localModel: local,
    }).catch((e) => e);
    expect(config.message).toContain('Missing files (1):\n    config.json');
    expect(config.message).toContain('includes the OCI config blob as config.json');
  });

  it('signs and verifies a ModelCar image, and checks what its file layers hold', async () => {
    pushImage(registry, 'team/car', 'v1', modelCarImage({ 'model.bin': 'car', 'tok/vocab.json': '{"a":1}' }));
    await signImage(`${registry.host}/team/car:v1`, { ...access(), sign: fakeSign, attachmentMode: 'tag' });
    const ok = await verifyImage(`${registry.host}/team/car:v1`, { ...access(), verifyBundle: fakeVerify });
    expect(ok.manifest.names()).toEqual(['model.bin', 'tok/vocab.json']);
  });

  it('refuses a ModelCar layer that holds another file than its annotation claims', async () => {
    const image = modelCarImage({ 'model.bin': 'car' });
    const honest = image.layers[1]!;
    image.layers[1] = { ...honest, bytes: makeTar({ 'models/other.bin': 'car' }) };
    pushImage(registry, 'team/liar', 'v1', image);
    await signImage(`${registry.host}/team/liar:v1`, { ...access(), sign: fakeSign, attachmentMode: 'tag' });
    const error = await verifyImage(`${registry.host}/team/liar:v1`, {
      ...access(),
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.code).toBe('LAYER_CONTENT_MISMATCH');
    expect(error.message).toMatch(
      /Layer 1 .*should hold only the file \/models\/model.bin but holds models\/other.bin/,
    );
    // The named opt-out reproduces the fork, which trusts the annotations.
    await expect(
      verifyImage(`${registry.host}/team/liar:v1`, {
        ...access(),
        verifyBundle: fakeVerify,
        checkLayerContents: false,
      }),
    ).resolves.toBeDefined();
  });

  it('refuses a ModelCar layer whose file differs from the annotated digest, and a base layer writing into /models', async () => {
    const image = modelCarImage({ 'model.bin': 'car' });
    image.layers[1] = { ...image.layers[1]!, bytes: makeTar({ 'models/model.bin': 'swapped' }) };
    pushImage(registry, 'team/swap', 'v1', image);
    await signImage(`${registry.host}/team/swap:v1`, { ...access(), sign: fakeSign, attachmentMode: 'tag' });
    await expect(
      verifyImage(`${registry.host}/team/swap:v1`, { ...access(), verifyBundle: fakeVerify }),
    ).rejects.toThrow(/file model.bin has sha256:.*annotation claims/);
    const sneaky = modelCarImage({ 'model.bin': 'car' }, { 'models/extra.py': 'import os' });
    pushImage(registry, 'team/sneaky', 'v1', sneaky);
    await signImage(`${registry.host}/team/sneaky:v1`, {
      ...access(),
      sign: fakeSign,
      attachmentMode: 'tag',
    });
    await expect(
      verifyImage(`${registry.host}/team/sneaky:v1`, { ...access(), verifyBundle: fakeVerify }),
    ).rejects.toThrow(/Layer 0 .*writes models\/extra.py under \/models\//);
  });

  it('fails in bounded time when the registry is unreachable or never answers', async () => {
    const closed = await freePort();
    const client = new RegistryClient(`127.0.0.1:${closed}`, { plainHttp: true, timeoutMs: 2000 });
    const error = await client.getManifest('x/y', 'v1').catch((e) => e);
    await client.close();
    expect(error.code).toBe('UNREACHABLE');
    expect(error.message).toMatch(new RegExp(`Cannot reach registry 127.0.0.1:${closed} .*ECONNREFUSED`));

    const sockets: import('node:net').Socket[] = [];
    const silent = createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const slow = new RegistryClient(`127.0.0.1:${port}`, { plainHttp: true, timeoutMs: 500 });
    const timeout = await slow.getManifest('x/y', 'v1').catch((e) => e);
    await slow.close();
    for (const s of sockets) s.destroy();
    silent.close();
    expect(timeout.code).toBe('UNREACHABLE');
    expect(timeout.message).toMatch(/timed out/);
  });
});
