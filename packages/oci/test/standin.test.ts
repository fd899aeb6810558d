import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  OCI_INDEX,
  OCI_MANIFEST,
  RegistryClient,
  referrersManifestBytes,
  signatureTag,
  signImage,
  tagManifestBytes,
  verifyImage,
} from '@model-signing/oci';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelImage, sha256 } from '../../../test-support/oci/layout.js';
import { type Standin, startStandin, storeImage } from '../../../test-support/oci/standin.js';
import { fakeSign, fakeVerify } from './fake-bundle.js';

const plain = { plainHttp: true, maxAttempts: 2, retryDelayMs: 10 };

describe('a registry with the OCI 1.1 referrers API (loopback stand-in)', () => {
  let registry: Standin;
  beforeEach(async () => {
    registry = await startStandin();
  });
  afterEach(async () => {
    await registry.stop();
  });

  it('attaches a signature as a referrer (no tag) and finds it through the API with the artifactType filter', async () => {
    const { digest, bytes } = storeImage(registry, 'org/model', 'v1', modelImage({ 'w.bin': 'w' }));
    const signed = await signImage(`${registry.host}/org/model:v1`, { ...plain, sign: fakeSign });
    expect(signed.fellBackToTag).toBeUndefined();
    expect(registry.tags.has(`org/model:${signatureTag(digest)}`)).toBe(false);
    const stored = registry.manifests.get(`org/model@${signed.signatureDigest}`);
    expect(stored?.bytes.toString()).toBe(
      Buffer.from(
        referrersManifestBytes(
          { digest: sha256(signed.bundle), size: signed.bundle.byteLength },
          { digest, size: bytes.length },
        ),
      ).toString(),
    );
    expect(registry.log).toContain(`PUT /v2/org/model/manifests/${signed.signatureDigest}`);
    const verified = await verifyImage(`${registry.host}/org/model:v1`, {
      ...plain,
      verifyBundle: fakeVerify,
      attachmentMode: 'referrers',
    });
    expect(verified.source).toEqual({ kind: 'referrers', location: signed.signatureDigest });
    expect(registry.log).toContain(
      `GET /v2/org/model/referrers/${digest}?artifactType=application%2Fvnd.model-signing.signature.v0.1`,
    );
  });

  it('falls back to the tag when the registry refuses the referrers manifest with 400', async () => {
    const { digest } = storeImage(registry, 'org/old', 'v1', modelImage({ 'w.bin': 'w' }));
    registry.refuseSubject = true;
    const warnings: string[] = [];
    const signed = await signImage(`${registry.host}/org/old:v1`, {
      ...plain,
      sign: fakeSign,
      warn: (w) => warnings.push(w),
    });
    expect(signed.fellBackToTag).toBe(true);
    expect(signed.signatureTag).toBe(signatureTag(digest));
    expect(warnings.join()).toMatch(
      /refused the referrers manifest .*MANIFEST_INVALID.*storing the signature under the tag/,
    );
    const verified = await verifyImage(`${registry.host}/org/old:v1`, { ...plain, verifyBundle: fakeVerify });
    expect(verified.source.kind).toBe('tag');
  });

  it('tries every candidate newest first and succeeds if one verifies; otherwise reports each failure', async () => {
    storeImage(registry, 'org/multi', 'v1', modelImage({ 'w.bin': 'w' }));
    await signImage(`${registry.host}/org/multi:v1`, { ...plain, sign: fakeSign });
    // A newer referrer whose bundle does not verify.
    const bad = async (s: Uint8Array) => {
      const bundle = JSON.parse(Buffer.from(await fakeSign(s)).toString());
      bundle.dsseEnvelope.signatures[0].sig = Buffer.from('forged').toString('base64');
      return new TextEncoder().encode(JSON.stringify(bundle));
    };
    const forged = await signImage(`${registry.host}/org/multi:v1`, { ...plain, sign: bad });
    const result = await verifyImage(`${registry.host}/org/multi:v1`, { ...plain, verifyBundle: fakeVerify });
    expect(result.failures).toEqual([
      `referrers signature ${forged.signatureDigest}: signature does not verify`,
    ]);
    const none = await verifyImage(`${registry.host}/org/multi:v1`, {
      ...plain,
      verifyBundle: async () => {
        throw new Error('untrusted key');
      },
    }).catch((e) => e);
    expect(none.message).toMatch(
      /^No signature of .* verified \(2 tried\):\n- referrers signature sha256:.*: untrusted key\n- referrers/,
    );
  });

  it('follows referrers pagination (Link rel=next)', async () => {
    const { digest } = storeImage(registry, 'org/paged', 'v1', modelImage({ 'w.bin': 'w' }));
    const pushed: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Trailing spaces make each bundle, hence each referrer, distinct.
      const sign = async (statement: Uint8Array) =>
        Buffer.concat([await fakeSign(statement), Buffer.from(' '.repeat(i))]);
      pushed.push((await signImage(`${registry.host}/org/paged:v1`, { ...plain, sign })).signatureDigest!);
    }
    registry.referrersPageSize = 1;
    const client = new RegistryClient(registry.host, plain);
    const listed = await client.listReferrers(
      'org/paged',
      digest,
      'application/vnd.model-signing.signature.v0.1',
    );
    await client.close();
    expect(new Set(pushed).size).toBe(3);
    expect(listed.manifests.map((m) => m.digest).sort()).toEqual([...pushed].sort());
    expect(registry.log.filter((l) => l.startsWith(`GET /v2/org/paged/referrers/${digest}`))).toHaveLength(3);
  });

  it('skips bundles of another method and says so', async () => {
    storeImage(registry, 'org/method', 'v1', modelImage({ 'w.bin': 'w' }));
    await signImage(`${registry.host}/org/method:v1`, { ...plain, sign: fakeSign });
    await expect(
      verifyImage(`${registry.host}/org/method:v1`, {
        ...plain,
        verifyBundle: fakeVerify,
        matchesMethod: (b) => 'certificate' in (b.verificationMaterial as object),
      }),
    ).rejects.toThrow(/made with another signing method/);
  });

  it('reports a 400 on manifest push with the registry’s error and claims nothing', async () => {
    storeImage(registry, 'org/reject', 'v1', modelImage({ 'w.bin': 'w' }));
    registry.failManifestPush = { status: 400, code: 'MANIFEST_INVALID', message: 'manifest invalid' };
    const error = await signImage(`${registry.host}/org/reject:v1`, {
      ...plain,
      sign: fakeSign,
      attachmentMode: 'tag',
    }).catch((e) => e);
    expect(error.code).toBe('REGISTRY_ERROR');
    expect(error.message).toMatch(
      /^Cannot push manifest to .*returned 400 Bad Request \(MANIFEST_INVALID: manifest invalid\)$/,
    );
  });

  it('refuses a signature blob whose bytes do not match its digest', async () => {
    const { digest } = storeImage(registry, 'org/corrupt', 'v1', modelImage({ 'w.bin': 'w' }));
    const signed = await signImage(`${registry.host}/org/corrupt:v1`, {
      ...plain,
      sign: fakeSign,
      attachmentMode: 'tag',
    });
    registry.corruptBlobs.set(sha256(signed.bundle), Buffer.from('{"tampered":true}'));
    const error = await verifyImage(`${registry.host}/org/corrupt:v1`, {
      ...plain,
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.message).toMatch(
      new RegExp(
        `tag signature ${signatureTag(digest)}: Blob ${sha256(signed.bundle)} .*: content digest is ${sha256('{"tampered":true}')}`,
      ),
    );
  });

  it('refuses an image index and asks for a platform digest', async () => {
    const { digest } = storeImage(registry, 'org/multiarch', 'amd64', modelImage({ 'w.bin': 'w' }));
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ mediaType: OCI_MANIFEST, digest, size: 1 }],
      }),
    );
    registry.putManifest('org/multiarch', 'latest', index, OCI_INDEX);
    const error = await signImage(`${registry.host}/org/multiarch:latest`, {
      ...plain,
      sign: fakeSign,
    }).catch((e) => e);
    expect(error.code).toBe('INDEX_NOT_SUPPORTED');
    expect(error.message).toMatch(/multi-platform image index; name one platform by its digest/);
  });

  it('refuses a signature manifest with a wrong media type', async () => {
    const { digest } = storeImage(registry, 'org/wrongtype', 'v1', modelImage({ 'w.bin': 'w' }));
    const bundle = await fakeSign(new Uint8Array([1]));
    registry.blobs.set(sha256(bundle), Buffer.from(bundle));
    const manifest = JSON.parse(
      Buffer.from(tagManifestBytes({ digest: sha256(bundle), size: bundle.length })).toString(),
    );
    manifest.mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
    registry.putManifest(
      'org/wrongtype',
      signatureTag(digest),
      Buffer.from(JSON.stringify(manifest)),
      manifest.mediaType,
    );
    const error = await verifyImage(`${registry.host}/org/wrongtype:v1`, {
      ...plain,
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.message).toMatch(
      /Signature tag sha256-.*\.sig: media type is application\/vnd.docker.distribution.manifest.v2\+json, expected application\/vnd.oci.image.manifest.v1\+json/,
    );
  });

  it('retries 5xx a bounded number of times but never a 4xx', async () => {
    const client = new RegistryClient(registry.host, plain);
    await client.getManifest('org/none', 'v1').catch(() => undefined);
    expect(registry.log.filter((l) => l === 'GET /v2/org/none/manifests/v1')).toHaveLength(1);
    registry.failManifestPush = { status: 503, code: 'UNAVAILABLE', message: 'try later' };
    const error = await client
      .pushManifest('org/none', 'v1', new Uint8Array([123, 125]), OCI_MANIFEST)
      .catch((e) => e);
    expect(error.message).toMatch(/returned 503 Service Unavailable \(UNAVAILABLE: try later\)/);
    expect(registry.log.filter((l) => l === 'PUT /v2/org/none/manifests/v1')).toHaveLength(2);
    await client.close();
  });
});

describe('Bearer token authentication (stand-in token service)', () => {
  let registry: Standin;
  const credentials = { username: 'robot', password: 's3cret-Bearer-pw' };
  beforeEach(async () => {
    registry = await startStandin({ bearer: { ...credentials, refreshToken: 'refresh-me' } });
  });
  afterEach(async () => {
    await registry.stop();
  });

  it('gets a token per scope with the credentials and signs and verifies', async () => {
    storeImage(registry, 'org/private', 'v1', modelImage({ 'w.bin': 'w' }));
    await signImage(`${registry.host}/org/private:v1`, { ...plain, credentials, sign: fakeSign });
    await verifyImage(`${registry.host}/org/private:v1`, { ...plain, credentials, verifyBundle: fakeVerify });
    const tokenRequests = registry.log.filter((l) => l.startsWith('GET /token'));
    expect(tokenRequests.some((l) => l.includes('scope=repository%3Aorg%2Fprivate%3Apull%2Cpush'))).toBe(
      true,
    );
  });

  it('exchanges an identity token (OAuth2 refresh token) at the token service', async () => {
    storeImage(registry, 'org/private', 'v1', modelImage({ 'w.bin': 'w' }));
    await signImage(`${registry.host}/org/private:v1`, {
      ...plain,
      credentials: { identityToken: 'refresh-me' },
      sign: fakeSign,
    });
    expect(registry.log.filter((l) => l === 'POST /token').length).toBeGreaterThan(0);
    const error = await verifyImage(`${registry.host}/org/private:v1`, {
      ...plain,
      credentials: { identityToken: 'stale-token' },
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).not.toContain('stale-token');
  });

  it('caches one token per scope and never sends it along a redirect to blob storage', async () => {
    storeImage(registry, 'org/private', 'v1', modelImage({ 'w.bin': 'w' }));
    await signImage(`${registry.host}/org/private:v1`, {
      ...plain,
      credentials,
      sign: fakeSign,
      attachmentMode: 'tag',
    });
    const seen: (string | undefined)[] = [];
    const storage = createServer((req, res) => {
      seen.push(req.headers.authorization);
      const data = registry.blobs.get(req.url!.slice(1));
      res.writeHead(data ? 200 : 404);
      res.end(data);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    registry.blobRedirect = `http://127.0.0.1:${(storage.address() as AddressInfo).port}`;
    registry.log.length = 0;
    try {
      await verifyImage(`${registry.host}/org/private:v1`, {
        ...plain,
        credentials,
        verifyBundle: fakeVerify,
      });
    } finally {
      storage.close();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((header) => header === undefined)).toBe(true);
    expect(registry.log.filter((l) => l.startsWith('GET /token'))).toHaveLength(1);
  });

  it('wrong credentials give one line without the secret', async () => {
    storeImage(registry, 'org/private', 'v1', modelImage({ 'w.bin': 'w' }));
    const wrong = { username: 'robot', password: 'wrong-password-123' };
    const error = await verifyImage(`${registry.host}/org/private:v1`, {
      ...plain,
      credentials: wrong,
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.code).toBe('UNAUTHORIZED');
    expect(error.message).toBe(
      `Registry ${registry.host} rejected the credentials from the explicit registry credentials (401)`,
    );
    expect(error.message).not.toContain(wrong.password);
    const anonymous = await verifyImage(`${registry.host}/org/private:v1`, {
      ...plain,
      authFile: '/nonexistent/auth.json',
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(anonymous.message).toMatch(/requires authentication \(401\) and no credentials were found/);
  });
});
