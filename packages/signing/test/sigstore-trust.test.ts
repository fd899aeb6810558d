import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defaultTufCachePath,
  embeddedProductionTrust,
  loadClientTrustConfig,
  loadInstanceTrust,
  normaliseInstanceUrl,
  parseSigningConfig,
  resolveSigningTrust,
  resolveVerificationTrust,
  selectServices,
  trustInstance,
} from '@model-signing/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSigstoreStandIn } from '../../../test-support/sigstore/index.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const PYTHON_TRUST_CONFIG = resolve(repoRoot, '../shared/fixtures/python-upstream/custom_trust_config.json');

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ms-sigstore-trust-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('ClientTrustConfig files', () => {
  it("reads the Python fixture, whose signing config is spelled 'signing_config'", async () => {
    const trust = await loadClientTrustConfig(PYTHON_TRUST_CONFIG);
    expect(trust.trustedRoot.tlogs[0]?.baseUrl).toBe('https://rekor.sigstore.dev');
    expect(trust.trustedRoot.certificateAuthorities.length).toBeGreaterThan(0);
    expect(trust.signingConfig).toBeDefined();
    expect(trust.signingConfig!.caUrls.length).toBeGreaterThan(0);
  });

  it('accepts a verify-only config and uses it first for verification', async () => {
    const path = join(scratch, 'verify-only.json');
    const production = embeddedProductionTrust();
    await writeFile(path, JSON.stringify({ trusted_root: { media_type: production.trustedRoot.mediaType } }));
    const trust = await resolveVerificationTrust({
      trustConfig: path,
      instance: 'https://never.example',
      useStaging: true,
    });
    expect(trust.source).toBe(path);
    expect(trust.signingConfig).toBeUndefined();
  });

  it('names the file and the problem', async () => {
    await expect(loadClientTrustConfig(join(scratch, 'missing.json'))).rejects.toThrow(
      /Cannot read trust config .*: no such file or directory/,
    );
    const notJson = join(scratch, 'not.json');
    await writeFile(notJson, '{');
    await expect(loadClientTrustConfig(notJson)).rejects.toThrow(/is not valid JSON/);
    const noRoot = join(scratch, 'no-root.json');
    await writeFile(noRoot, JSON.stringify({ signingConfig: {} }));
    await expect(loadClientTrustConfig(noRoot)).rejects.toThrow(/has no trustedRoot/);
    const badType = join(scratch, 'bad-type.json');
    await writeFile(badType, JSON.stringify({ trustedRoot: { mediaType: 'application/x-nope' } }));
    await expect(loadClientTrustConfig(badType)).rejects.toThrow(
      'unsupported trusted root format: application/x-nope',
    );
  });
});

describe('the production trust', () => {
  it('comes from @sigstore/tuf offline, with the public-good Rekor and Fulcio', () => {
    const trust = embeddedProductionTrust();
    const logIds = trust.trustedRoot.tlogs.map((t) => Buffer.from(t.logId!.keyId).toString('base64'));
    expect(logIds).toContain('wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=');
    expect(
      trust.trustedRoot.certificateAuthorities.some((ca) => ca.uri === 'https://fulcio.sigstore.dev'),
    ).toBe(true);
  });

  it('signing defaults to the public-good services without any network access', async () => {
    const trust = await resolveSigningTrust({});
    const services = selectServices(trust.signingConfig!);
    expect(services.fulcio.url).toBe('https://fulcio.sigstore.dev');
    expect(services.rekors.map((r) => r.url)).toEqual(['https://rekor.sigstore.dev']);
    expect(services.oidc?.url).toBe('https://oauth2.sigstore.dev/auth');
  });
});

describe('TUF cache location and instance URLs', () => {
  it('lives under $XDG_DATA_HOME/model-signing/tuf, else ~/.local/share', () => {
    if (process.platform !== 'linux') return;
    expect(defaultTufCachePath({ XDG_DATA_HOME: '/data' })).toBe('/data/model-signing/tuf');
    expect(defaultTufCachePath({})).toMatch(/\/\.local\/share\/model-signing\/tuf$/);
  });

  it('strips trailing slashes and refuses non-http URLs', () => {
    expect(normaliseInstanceUrl('https://tuf.example.com//')).toBe('https://tuf.example.com');
    expect(() => normaliseInstanceUrl('ftp://tuf.example.com')).toThrow(/must be http or https/);
    expect(() => normaliseInstanceUrl('not a url')).toThrow(/Invalid instance URL/);
  });

  it('an expired TUF timestamp is a clear error once the instance was trusted', async () => {
    const sigstore = await startSigstoreStandIn();
    try {
      const cachePath = join(scratch, 'expired-tuf');
      await trustInstance(sigstore.tufUrl, sigstore.tufRootPath, { cachePath });
      await expect(loadInstanceTrust(sigstore.tufUrl, { cachePath })).resolves.toHaveProperty('trustedRoot');
      await sigstore.expireTuf();
      await expect(loadInstanceTrust(sigstore.tufUrl, { cachePath })).rejects.toMatchObject({
        code: 'TUF_ERROR',
        message: expect.stringMatching(/Failed to refresh TUF metadata .*expired/i),
      });
    } finally {
      await sigstore.stop();
    }
  });
});

describe('service selection', () => {
  const service = (
    url: string,
    version = 1,
    operator = 'op',
    validFor: object = { start: '2020-01-01T00:00:00Z' },
  ) => ({
    url,
    majorApiVersion: version,
    validFor,
    operator,
  });
  const config = (extra: Record<string, unknown>) =>
    parseSigningConfig(
      {
        mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
        caUrls: [service('https://fulcio.example')],
        rekorTlogUrls: [service('https://rekor.example')],
        ...extra,
      },
      'test',
    );

  it('keeps valid services of supported versions, the newest per operator, then applies the selector', () => {
    const selected = selectServices(
      config({
        caUrls: [
          service('https://old-ca.example', 1, 'a', {
            start: '2020-01-01T00:00:00Z',
            end: '2021-01-01T00:00:00Z',
          }),
          service('https://ca-v9.example', 9),
          service('https://ca.example/', 1),
        ],
        rekorTlogUrls: [
          service('https://rekor1.example', 1, 'x'),
          service('https://rekor2.example', 2, 'x'),
          service('https://other.example', 1, 'y'),
        ],
        rekorTlogConfig: { selector: 'ALL' },
        tsaUrls: [service('https://tsa1.example', 1, 'p'), service('https://tsa2.example', 1, 'q')],
        tsaConfig: { selector: 'ANY' },
        oidcUrls: [service('https://issuer.example')],
      }),
    );
    expect(selected.fulcio).toEqual({ url: 'https://ca.example', majorApiVersion: 1 });
    expect(selected.rekors.map((r) => r.url)).toEqual(['https://rekor2.example', 'https://other.example']);
    expect(selected.tsas.map((t) => t.url)).toEqual(['https://tsa1.example']);
    expect(selected.oidc?.url).toBe('https://issuer.example');
  });

  it('EXACT needs enough services; missing Fulcio or Rekor is named', () => {
    expect(() => selectServices(config({ rekorTlogConfig: { selector: 'EXACT', count: 2 } }))).toThrow(
      'Expected 2 services in signing config, found 1',
    );
    expect(() => selectServices(config({ caUrls: [] }))).toThrow(
      'No valid Fulcio CA found in signing config',
    );
    expect(() =>
      selectServices(
        config({
          rekorTlogUrls: [service('https://future.example', 1, 'op', { start: '2999-01-01T00:00:00Z' })],
        }),
      ),
    ).toThrow('No valid Rekor transparency log found in signing config');
  });
});

describe('redact', () => {
  it('removes JWTs and given secrets, keeps host names', async () => {
    const { redact } = await import('@model-signing/signing');
    const jwt = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.sig`;
    expect(redact(`invalid identity token: ${jwt} at https://timestamp.sigstore.dev`)).toBe(
      'invalid identity token: [REDACTED] at https://timestamp.sigstore.dev',
    );
    expect(redact('client secret s3cr3t-value refused', ['s3cr3t-value'])).toBe(
      'client secret [REDACTED] refused',
    );
  });
});
