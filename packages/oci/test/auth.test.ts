import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authFilePaths,
  canonicalRegistryKey,
  resolveCredentials,
  signImage,
  verifyImage,
} from '@model-signing/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelImage, pushImage } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { fakeSign, fakeVerify } from './fake-bundle.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ms-oci-auth-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credential sources (decisions 26)', () => {
  it('lists the auth files in containers-auth.json order', () => {
    expect(authFilePaths({ HOME: '/h', REGISTRY_AUTH_FILE: '/a.json', XDG_RUNTIME_DIR: '/run/u' })).toEqual([
      '/a.json',
      '/run/u/containers/auth.json',
      '/h/.config/containers/auth.json',
      '/h/.docker/config.json',
    ]);
    expect(authFilePaths({ HOME: '/h', XDG_CONFIG_HOME: '/c', DOCKER_CONFIG: '/d' })).toEqual([
      '/c/containers/auth.json',
      '/d/config.json',
    ]);
  });

  it('folds schemes, paths and Docker Hub aliases', () => {
    expect(canonicalRegistryKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(canonicalRegistryKey('registry-1.docker.io')).toBe('docker.io');
    expect(canonicalRegistryKey('http://Quay.io/org')).toBe('quay.io/org');
  });

  it('takes the first file that has an entry: auth, identitytoken, repository-scoped keys, localhost alias', async () => {
    const runtime = join(dir, 'run');
    mkdirSync(join(runtime, 'containers'), { recursive: true });
    writeFileSync(
      join(runtime, 'containers', 'auth.json'),
      JSON.stringify({ auths: { 'quay.io/org': { auth: b64('scoped:pw1') } } }),
    );
    const docker = join(dir, 'docker');
    mkdirSync(docker, { recursive: true });
    writeFileSync(
      join(docker, 'config.json'),
      JSON.stringify({
        auths: {
          'https://quay.io': { auth: b64('broad:pw2') },
          '127.0.0.1:5000': { identitytoken: 'refresh-xyz' },
        },
      }),
    );
    const env = { HOME: dir, XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: docker };
    expect(await resolveCredentials('quay.io', 'org/model', { env })).toEqual({
      credentials: { username: 'scoped', password: 'pw1' },
      source: join(runtime, 'containers', 'auth.json'),
    });
    expect((await resolveCredentials('quay.io', 'other/model', { env }))?.credentials).toEqual({
      username: 'broad',
      password: 'pw2',
    });
    expect((await resolveCredentials('localhost:5000', 'm', { env }))?.credentials).toEqual({
      identityToken: 'refresh-xyz',
    });
    expect(await resolveCredentials('ghcr.io', 'm', { env })).toBeUndefined();
    const explicit = { username: 'e', password: 'p' };
    expect(
      (await resolveCredentials('quay.io', 'org/model', { env, credentials: explicit }))?.credentials,
    ).toBe(explicit);
  });

  it('runs credential helpers with the Docker protocol, and goes on when one fails', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(
      join(bin, 'docker-credential-fake'),
      '#!/bin/sh\nread host\nif [ "$host" = "helped.example:443" ]; then echo \'{"ServerURL":"x","Username":"hu","Secret":"hs"}\'; else echo "credentials not found in native keychain"; exit 1; fi\n',
    );
    writeFileSync(join(bin, 'docker-credential-broken'), '#!/bin/sh\necho "secret-in-output"; exit 3\n');
    chmodSync(join(bin, 'docker-credential-fake'), 0o755);
    chmodSync(join(bin, 'docker-credential-broken'), 0o755);
    const file = join(dir, 'helpers.json');
    writeFileSync(
      file,
      JSON.stringify({ credHelpers: { 'helped.example:443': 'fake', 'broken.example': 'broken' } }),
    );
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      expect((await resolveCredentials('helped.example:443', 'm', { authFile: file }))?.credentials).toEqual({
        username: 'hu',
        password: 'hs',
      });
      const warnings: string[] = [];
      expect(
        await resolveCredentials('broken.example', 'm', { authFile: file, warn: (w) => warnings.push(w) }),
      ).toBeUndefined();
      expect(warnings).toEqual([
        'Credential helper docker-credential-broken failed (3); continuing without it',
      ]);
    } finally {
      process.env.PATH = path;
    }
  });
});

const skip = registryToolsMissing();

describe.skipIf(skip)('Basic authentication against docker-registry with htpasswd (TLS)', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ tls: true, htpasswd: true });
    pushImage(registry, 'secure/model', 'v1', modelImage({ 'w.bin': 'secured' }));
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('signs and verifies with credentials from REGISTRY_AUTH_FILE', async () => {
    const file = join(dir, 'registry-auth.json');
    const { username, password } = registry.credentials!;
    writeFileSync(
      file,
      JSON.stringify({ auths: { [registry.host]: { auth: b64(`${username}:${password}`) } } }),
    );
    const access = { ca: registry.pki!.caPem, env: { HOME: dir, REGISTRY_AUTH_FILE: file } };
    await signImage(`${registry.host}/secure/model:v1`, { ...access, sign: fakeSign, attachmentMode: 'tag' });
    const verified = await verifyImage(`${registry.host}/secure/model:v1`, {
      ...access,
      verifyBundle: fakeVerify,
    });
    expect(verified.source.kind).toBe('tag');
  });

  it('wrong credentials give one clear line without the secret', async () => {
    const password = 'definitely-wrong-pw';
    const error = await verifyImage(`${registry.host}/secure/model:v1`, {
      ca: registry.pki!.caPem,
      credentials: { username: 'tester', password },
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.message).toBe(
      `Registry ${registry.host} rejected the credentials from the explicit registry credentials (401)`,
    );
    expect(error.message).not.toContain(password);
  });

  it('refuses the registry’s certificate without the test CA', async () => {
    const error = await verifyImage(`${registry.host}/secure/model:v1`, {
      credentials: registry.credentials,
      verifyBundle: fakeVerify,
    }).catch((e) => e);
    expect(error.code).toBe('UNREACHABLE');
    expect(error.message).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|unable to verify/i);
  });
});
