import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signatureTag, tagManifestBytes } from '@model-signing/oci';
import { Config, SigningError } from '@model-signing/signing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelImage, pushImage, sha256, skopeoRaw } from '../../../test-support/oci/layout.js';
import { startRegistry, type TestRegistry } from '../../../test-support/oci/registry.js';
import { registryToolsMissing } from '../../../test-support/oci/tools.js';
import { FIXTURES } from '../../../test-support/paths.js';

function bundleSchema() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const dir = path.join(FIXTURES, 'oms-spec/schemas/v1.0');
  for (const name of ['predicate', 'statement', 'envelope', 'bundle']) {
    ajv.addSchema(JSON.parse(readFileSync(path.join(dir, `${name}.schema.json`), 'utf8')));
  }
  return ajv.getSchema('https://model_signing/bundle/v1.0/schema')!;
}

interface KeyBundle {
  mediaType: string;
  verificationMaterial: Record<string, unknown>;
  dsseEnvelope: { payload: string; signatures: { sig: string }[] };
}

/** Python's strict reader rules for key bundles (format-and-behaviour §6.6) on the fields we write. */
function expectPythonReadable(bundle: KeyBundle) {
  expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
  expect(Object.keys(bundle.verificationMaterial).sort()).toEqual(['publicKey', 'tlogEntries']);
  expect(Object.keys(bundle.dsseEnvelope)).toEqual(['payload', 'payloadType', 'signatures']);
  for (const b64 of [bundle.dsseEnvelope.payload, bundle.dsseEnvelope.signatures[0]?.sig ?? '']) {
    expect(b64).toMatch(/^[A-Za-z0-9+/]*={0,2}$/);
    expect(b64.length % 4).toBe(0);
  }
}

const skip = registryToolsMissing();

describe.skipIf(skip)('signing.Config().signImage with an EC key (docker-registry over TLS)', () => {
  let registry: TestRegistry;
  let dir: string;
  let key: string;
  beforeAll(async () => {
    registry = await startRegistry({ tls: true });
    dir = mkdtempSync(path.join(tmpdir(), 'ms-sign-image-'));
    key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  });
  afterAll(async () => {
    await registry?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('attaches a Python-readable key bundle under the sha256-<hex>.sig tag that skopeo reads', async () => {
    const { digest } = pushImage(
      registry,
      'acme/llm',
      'v1',
      modelImage({ 'model.safetensors': 'weights', 'vocab.txt': 'a b' }),
    );
    const result = await new Config()
      .useEllipticKeySigner({ privateKey: key })
      .signImage(`${registry.host}/acme/llm:v1`, { attachmentMode: 'tag', ca: registry.pki!.caPem });
    expect(result.method).toBe('key');
    expect(result.signatureTag).toBe(signatureTag(digest));
    const raw = skopeoRaw(registry, `acme/llm:${signatureTag(digest)}`);
    expect(raw).toBe(
      Buffer.from(
        tagManifestBytes({ digest: sha256(result.bundle), size: result.bundle.byteLength }),
      ).toString(),
    );

    const bundle = JSON.parse(Buffer.from(result.bundle).toString());
    expectPythonReadable(bundle);
    const validate = bundleSchema();
    expect(validate(bundle), JSON.stringify(validate.errors)).toBe(true);
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    expect(statement.subject[0].name).toBe(`${registry.host}/acme/llm:v1`);
    expect(statement.predicate.serialization).toEqual({
      method: 'files',
      hash_type: 'sha256',
      allow_symlinks: false,
    });
    expect(statement.predicate.resources).toEqual([
      { name: 'config.json', algorithm: 'sha256', digest: sha256('{}').slice(7) },
      { name: 'model.safetensors', algorithm: 'sha256', digest: sha256('weights').slice(7) },
      { name: 'vocab.txt', algorithm: 'sha256', digest: sha256('a b').slice(7) },
    ]);
  });

  it('writes the bundle to a file only (output file) without pushing', async () => {
    pushImage(registry, 'acme/fileonly', 'v1', modelImage({ 'w.bin': 'w' }));
    const signature = path.join(dir, 'out', 'model.sig');
    const result = await new Config()
      .useEllipticKeySigner({ privateKey: key })
      .signImage(`${registry.host}/acme/fileonly:v1`, {
        output: 'file',
        signaturePath: signature,
        ca: registry.pki!.caPem,
      });
    expect(result.signatureDigest).toBeUndefined();
    expect(readFileSync(signature)).toEqual(Buffer.from(result.bundle));
    expect(() => skopeoRaw(registry, `acme/fileonly:${signatureTag(result.imageDigest)}`)).toThrow();
  });

  it('signs a manifest from skopeo inspect --raw without the registry (signFromManifest)', async () => {
    pushImage(registry, 'acme/offline', 'v1', modelImage({ 'w.bin': 'offline' }));
    const raw = skopeoRaw(registry, 'acme/offline:v1');
    const signature = path.join(dir, 'offline.sig');
    const manifest = await new Config()
      .useEllipticKeySigner({ privateKey: key })
      .signFromManifest(raw, signature);
    expect(manifest.names()).toEqual(['config.json', 'w.bin']);
    expect(manifest.modelName).toBe('oci-image');
    expectPythonReadable(JSON.parse(readFileSync(signature, 'utf8')));
  });

  it('refuses without a signer, with the fork’s message, before contacting the registry', async () => {
    const error = await new Config().signImage('127.0.0.1:1/x/y:v1').catch((e) => e);
    expect(error).toBeInstanceOf(SigningError);
    expect(error.message).toMatch(/^No signer configured\. Call useSigstoreSigner\(\)/);
  });
});

it('writes nothing for an unknown attachment mode', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-sign-image-mode-'));
  try {
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    writeFileSync(path.join(dir, 'x'), '');
    await expect(
      new Config()
        .useEllipticKeySigner({ privateKey: key })
        .signImage('127.0.0.1:1/x/y:v1', { attachmentMode: 'sideways' }),
    ).rejects.toThrow("Invalid attachment mode 'sideways'. Must be 'referrers' or 'tag'.");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
