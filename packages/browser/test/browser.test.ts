// The library and the demo page in Debian's chromium: the Python tool's key and certificate goldens, models
// signed here in Node.js (every serialization and hash), tampering reported with the codes and file lists
// @model-signing/verifying gives for the same inputs, and a 1 GiB download verified in bounded memory.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as hashing from '@model-signing/hashing';
import { fileResource, Manifest, statementBytes } from '@model-signing/manifest';
import * as signing from '@model-signing/signing';
import * as verifying from '@model-signing/verifying';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../../../examples/browser/build.mjs';
import { chromiumResidentBytes, launchChromium } from '../../../test-support/browser/chromium.js';
import { startServer, type TestServer } from '../../../test-support/browser/server.js';
import { PYTHON_SIGNATURES, REPO_ROOT } from '../../../test-support/paths.js';
import { type CertOptions, type Issued, issue, pki } from '../../verifying/test/pki.js';

const KEYS = path.join(PYTHON_SIGNATURES, 'keys/certificate');
const FIXTURE_URL = '/fixtures/python-upstream/signatures';

/** What the page's harness returns (see test-support/browser/harness.js). */
interface PageResult {
  ok: boolean;
  code?: string;
  message?: string;
  details?: verifying.MismatchDetails | null;
  method?: string;
  files?: string[];
  rootDigest?: string;
  warnings?: string[];
  bytesHashed?: number;
}

interface Spec {
  files?: Record<string, string>;
  signature: string;
  method: 'key' | 'certificate';
  trust: string[];
  ignorePaths?: string[];
  modelName?: string;
  as?: 'urls' | 'blobs' | 'responses' | 'blob' | 'directory';
  abortAfterMs?: number;
  library?: string;
  remote?: string;
  ignoreUnsignedFiles?: boolean;
}

/** The fields of a key bundle the tests edit. */
interface KeyBundleJson {
  verificationMaterial: { publicKey: { hint?: string } };
  dsseEnvelope: { payload: string };
}

interface Harness {
  harness: { verify(spec: Spec): Promise<PageResult> };
}

let work: string;
let server: TestServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'ms-browser-'));
  browser = await launchChromium();
  const site = await buildDemo(path.join(work, 'site'));
  server = await startServer(site);
  server.mount('support', path.join(REPO_ROOT, 'test-support/browser'));
  server.mount('work', work);
  page = await browser.newPage();
  await page.goto(`${server.origin}/`);
  await page.addScriptTag({ url: '/support/harness.js', type: 'module' });
  await page.waitForFunction('globalThis.harness && globalThis.modelSigning');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

function verifyInPage(spec: Spec): Promise<PageResult> {
  return page.evaluate((s) => (globalThis as unknown as Harness).harness.verify(s), spec);
}

/** Every file below `dir` by model-relative name, as URLs under `base`. */
function urlsOf(dir: string, base: string, skip: readonly string[] = []): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const name = path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    if (!skip.includes(name)) files[name] = `${base}/${name}`;
  }
  return files;
}

/** What Node.js says for the same model, signature and key. */
async function verifyInNode(
  model: string,
  signature: string,
  method: 'key' | 'certificate',
  trust: string,
  ignorePaths: string[] = [],
  ignoreUnsignedFiles = false,
): Promise<PageResult> {
  try {
    const config = new verifying.Config().setIgnoreUnsignedFiles(ignoreUnsignedFiles);
    if (method === 'key') config.useEllipticKeyVerifier({ publicKey: trust });
    else config.useCertificateVerifier({ certificateChain: [trust] });
    config.setIgnoredPaths({ paths: ignorePaths });
    const result = await config.verify(model, signature);
    return { ok: true, files: [...result.files] };
  } catch (error) {
    const e = error as verifying.VerificationError;
    return { ok: false, code: e.code, details: e.details ?? null };
  }
}

describe('the browser bundle', () => {
  it('holds no Node.js module, and the build refuses one', async () => {
    const { buildBrowser, LIBRARY_ENTRIES, nodeImports } = await import('../scripts/browser-build.mjs');
    const metafile = await buildBrowser({ outdir: path.join(work, 'lib') });
    expect(nodeImports(metafile)).toEqual([]);
    expect(Object.keys(metafile.inputs).some((file) => file.includes('manifest/src/statement.ts'))).toBe(
      true,
    );
    expect(Object.keys(metafile.inputs).some((file) => file.includes('manifest/src/sha256.ts'))).toBe(false);
    const bad = path.join(work, 'bad-entry.ts');
    writeFileSync(bad, "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    await expect(
      buildBrowser({ entryPoints: { ...LIBRARY_ENTRIES, bad }, outdir: path.join(work, 'bad') }),
    ).rejects.toThrow(/Node\.js built-in node:fs/);
  });

  it('verifies as built, its worker found beside it', async () => {
    // The bundle the package exports (built into work/lib by the test above).
    const base = `${FIXTURE_URL}/v1.1.0-elliptic-key`;
    const result = await verifyInPage({
      library: '/work/lib/model-signing.js',
      files: urlsOf(path.join(PYTHON_SIGNATURES, 'v1.1.0-elliptic-key'), base, ['model.sig']),
      signature: `${base}/model.sig`,
      method: 'key',
      trust: [`${FIXTURE_URL}/keys/certificate/signing-key-pub.pem`],
    });
    expect(result).toMatchObject({ ok: true, files: ['signme-1', 'signme-2'] });
  });
});

describe('the Python tool goldens', () => {
  // format-and-behaviour §10.3: the single-file key goldens sign `signme-1` alone; v1.0.1 needs ignore-me
  // given (it records no ignore paths); model.sig sits in the model and is left out as the CLI does.
  const goldens: {
    dir: string;
    method: 'key' | 'certificate';
    single?: boolean;
    ignore?: string[];
    as?: Spec['as'];
  }[] = [
    { dir: 'v0.3.1-elliptic-key', method: 'key', single: true },
    { dir: 'v1.0.0-elliptic-key', method: 'key', single: true, as: 'blob' },
    { dir: 'v1.0.1-elliptic-key', method: 'key', ignore: ['ignore-me'] },
    { dir: 'v1.1.0-elliptic-key', method: 'key' },
    { dir: 'v0.2.0-certificate', method: 'certificate' },
    { dir: 'v0.3.1-certificate', method: 'certificate' },
    { dir: 'v1.0.0-certificate', method: 'certificate' },
    { dir: 'v1.0.1-certificate', method: 'certificate', ignore: ['ignore-me'] },
    { dir: 'v1.1.0-certificate', method: 'certificate', as: 'directory' },
  ];
  for (const { dir, method, single, ignore = [], as = 'urls' } of goldens) {
    it(`verifies ${dir} as Node.js does`, async () => {
      const base = `${FIXTURE_URL}/${dir}`;
      const trust = method === 'key' ? 'signing-key-pub.pem' : 'ca-cert.pem';
      const files = single
        ? { '.': `${base}/signme-1` }
        : urlsOf(path.join(PYTHON_SIGNATURES, dir), base, ['model.sig']);
      const result = await verifyInPage({
        files,
        signature: `${base}/model.sig`,
        method,
        trust: [`${FIXTURE_URL}/keys/certificate/${trust}`],
        ignorePaths: ignore,
        as,
      });
      expect(result).toMatchObject({ ok: true, method });
      const model = path.join(PYTHON_SIGNATURES, dir, single ? 'signme-1' : '');
      const node = await verifyInNode(
        model,
        path.join(PYTHON_SIGNATURES, dir, 'model.sig'),
        method,
        path.join(KEYS, trust),
        ignore,
      );
      expect(node.ok).toBe(true);
      expect(result.files).toEqual(node.files);
    });
  }

  it('verifies models on a web server from their URLs, fetching the files the signature names', async () => {
    const folder = await verifyInPage({
      remote: `${FIXTURE_URL}/v1.1.0-elliptic-key/`,
      signature: `${FIXTURE_URL}/v1.1.0-elliptic-key/model.sig`,
      method: 'key',
      trust: [`${FIXTURE_URL}/keys/certificate/signing-key-pub.pem`],
    });
    expect(folder).toMatchObject({ ok: true, files: ['signme-1', 'signme-2'] });
    const single = await verifyInPage({
      remote: `${FIXTURE_URL}/v0.3.1-elliptic-key/signme-1`,
      signature: `${FIXTURE_URL}/v0.3.1-elliptic-key/model.sig`,
      method: 'key',
      trust: [`${FIXTURE_URL}/keys/certificate/signing-key-pub.pem`],
    });
    expect(single).toMatchObject({ ok: true, files: ['.'] });
  });

  it('gives the root digest the Python tool signed (v1.1.0-elliptic-key, format §2.4)', async () => {
    const base = `${FIXTURE_URL}/v1.1.0-elliptic-key`;
    const result = await verifyInPage({
      files: urlsOf(path.join(PYTHON_SIGNATURES, 'v1.1.0-elliptic-key'), base, ['model.sig']),
      signature: `${base}/model.sig`,
      method: 'key',
      trust: [`${FIXTURE_URL}/keys/certificate/signing-key-pub.pem`],
      as: 'blobs',
    });
    expect(result.rootDigest).toBe('sha256:92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4');
    expect(result.files).toEqual(['signme-1', 'signme-2']);
  });

  // A golden verified with `method` and the trusted file `trust`: the codes of the page and of Node.js.
  async function codes(golden: string, method: 'key' | 'certificate', trust: string) {
    const dir = path.join(PYTHON_SIGNATURES, golden);
    const page = await verifyInPage({
      files: urlsOf(dir, `${FIXTURE_URL}/${golden}`, ['model.sig']),
      signature: `${FIXTURE_URL}/${golden}/model.sig`,
      method,
      trust: [`${FIXTURE_URL}/keys/certificate/${trust}`],
    });
    const node = await verifyInNode(dir, path.join(dir, 'model.sig'), method, path.join(KEYS, trust));
    return { page: page.code, node: node.code };
  }

  it('refuses a key golden verified with the certificate method, as Node.js does', async () => {
    const found = await codes('v1.1.0-elliptic-key', 'certificate', 'ca-cert.pem');
    expect(found).toEqual({ page: 'WRONG_METHOD', node: 'WRONG_METHOD' });
  });

  it('refuses a certificate golden whose root is not trusted, as Node.js does', async () => {
    // The intermediate is not self-signed: no path ends at a trust anchor.
    const found = await codes('v1.1.0-certificate', 'certificate', 'int-ca-cert.pem');
    expect(found).toEqual({ page: 'UNTRUSTED_CERTIFICATE', node: 'UNTRUSTED_CERTIFICATE' });
  });

  it('reads a certificate given as the public key, as Node.js does', async () => {
    // The root's key is RSA: refused as a key type, not as unreadable.
    const rsa = await codes('v1.1.0-elliptic-key', 'key', 'ca-cert.pem');
    expect(rsa).toEqual({ page: 'UNSUPPORTED_KEY', node: 'UNSUPPORTED_KEY' });
    // The leaf holds the signing key itself.
    const leaf = await codes('v1.1.0-elliptic-key', 'key', 'signing-key-cert.pem');
    expect(leaf).toEqual({ page: undefined, node: undefined });
  });
});

/** A key pair on `curve`, written as PEM files under `dir`. */
function keyPair(dir: string, name: string, curve: 'P-256' | 'P-384' | 'P-521') {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: curve });
  const priv = path.join(dir, `${name}.pem`);
  const pub = path.join(dir, `${name}.pub.pem`);
  writeFileSync(priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { priv, pub };
}

/** A small model with nested folders, an empty file and a file larger than a shard. */
function writeModel(dir: string): void {
  mkdirSync(path.join(dir, 'tokenizer/extra'), { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), '{"layers": 2}');
  writeFileSync(
    path.join(dir, 'weights.bin'),
    Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256)),
  );
  writeFileSync(path.join(dir, 'tokenizer/vocab.txt'), 'a\nb\nc\n');
  writeFileSync(path.join(dir, 'tokenizer/extra/empty'), '');
  writeFileSync(path.join(dir, 'model.safetensors'), 'model.safetensors sorts after model/…');
}

describe('models signed in Node.js', () => {
  let root: string;
  let keys: ReturnType<typeof keyPair>;
  let other: ReturnType<typeof keyPair>;

  beforeAll(() => {
    root = path.join(work, 'signed');
    mkdirSync(root);
    keys = keyPair(root, 'key', 'P-521');
    other = keyPair(root, 'other', 'P-256');
  });

  const serializations: { name: string; config: () => hashing.Config; as: Spec['as'] }[] = [
    { name: 'files, SHA-256, as URLs', config: () => new hashing.Config(), as: 'urls' },
    {
      name: 'shards of 1000 bytes, BLAKE2b, as Blobs',
      config: () =>
        new hashing.Config().useShardSerialization({ hashingAlgorithm: 'blake2b', shardSize: 1000 }),
      as: 'blobs',
    },
    {
      name: 'shards of 512 bytes, SHA-256, as Responses',
      config: () => new hashing.Config().useShardSerialization({ shardSize: 512 }),
      as: 'responses',
    },
    {
      name: 'files, BLAKE3, as Responses',
      config: () => new hashing.Config().useFileSerialization({ hashingAlgorithm: 'blake3' }),
      as: 'responses',
    },
  ];

  serializations.forEach(({ name, config, as }, index) => {
    it(`verifies ${name} (P-521 key)`, async () => {
      const model = path.join(root, `model-${index}`);
      writeModel(model);
      const sig = path.join(root, `model-${index}.sig`);
      await new signing.Config()
        .setHashingConfig(config())
        .useEllipticKeySigner({ privateKey: keys.priv })
        .sign(model, sig);
      const result = await verifyInPage({
        files: urlsOf(model, `/work/signed/model-${index}`),
        signature: `/work/signed/model-${index}.sig`,
        method: 'key',
        trust: [`/work/signed/key.pub.pem`],
        as,
      });
      const node = await verifyInNode(model, sig, 'key', keys.pub);
      expect(result).toMatchObject({ ok: true, files: node.files });
    });
  });

  describe('tampering, reported with the codes and file lists of Node.js', () => {
    let model: string;
    let sig: string;

    beforeAll(async () => {
      model = path.join(root, 'tamper');
      writeModel(model);
      sig = path.join(root, 'tamper.sig');
      await new signing.Config().useEllipticKeySigner({ privateKey: keys.priv }).sign(model, sig);
    });

    async function compare(changed: string, edit: (dir: string) => void, trust = keys.pub) {
      const dir = path.join(root, changed);
      cpSync(model, dir, { recursive: true });
      edit(dir);
      const page = await verifyInPage({
        files: urlsOf(dir, `/work/signed/${changed}`),
        signature: '/work/signed/tamper.sig',
        method: 'key',
        trust: [`/work/signed/${path.basename(trust)}`],
        modelName: changed,
      });
      const node = await verifyInNode(dir, sig, 'key', trust);
      expect(page.ok).toBe(false);
      expect({ code: page.code, details: page.details }).toEqual({ code: node.code, details: node.details });
      return page;
    }

    it('a changed file', async () => {
      const page = await compare('changed', (dir) =>
        writeFileSync(path.join(dir, 'tokenizer/vocab.txt'), 'a\nb\nX\n'),
      );
      expect(page.code).toBe('MODEL_MISMATCH');
      expect(page.details?.mismatched.map((m) => m.name)).toEqual(['tokenizer/vocab.txt']);
      // The expected digest is the signed one; the actual one is what sha256sum says of the changed file.
      const sum = execFileSync('sha256sum', [path.join(root, 'changed/tokenizer/vocab.txt')], {
        encoding: 'utf8',
      });
      expect(page.details?.mismatched[0]?.actual.digest).toBe(sum.split(' ')[0]);
    });

    it('an extra file and a missing one', async () => {
      const page = await compare('extra', (dir) => {
        writeFileSync(path.join(dir, 'tokenizer/added.txt'), 'not signed');
        rmSync(path.join(dir, 'config.json'));
      });
      expect(page.details).toMatchObject({ extra: ['tokenizer/added.txt'], missing: ['config.json'] });
    });

    it('unsigned files tolerated, a missing one reported', async () => {
      const dir = path.join(root, 'unsigned');
      cpSync(model, dir, { recursive: true });
      writeFileSync(path.join(dir, 'notes.txt'), 'not signed');
      rmSync(path.join(dir, 'config.json'));
      const page = await verifyInPage({
        files: urlsOf(dir, '/work/signed/unsigned'),
        signature: '/work/signed/tamper.sig',
        method: 'key',
        trust: ['/work/signed/key.pub.pem'],
        modelName: 'unsigned',
        ignoreUnsignedFiles: true,
      });
      const node = await verifyInNode(dir, sig, 'key', keys.pub, [], true);
      expect({ code: page.code, details: page.details }).toEqual({ code: node.code, details: node.details });
      expect(page.details).toMatchObject({ extra: [], missing: ['config.json'] });
    });

    it('a changed and a missing file of a model on a web server', async () => {
      const dir = path.join(root, 'remote');
      cpSync(model, dir, { recursive: true });
      writeFileSync(path.join(dir, 'weights.bin'), 'changed');
      rmSync(path.join(dir, 'config.json'));
      writeFileSync(path.join(dir, 'notes.txt'), 'not signed, never fetched');
      const page = await verifyInPage({
        remote: '/work/signed/remote/',
        signature: '/work/signed/tamper.sig',
        method: 'key',
        trust: ['/work/signed/key.pub.pem'],
      });
      const node = await verifyInNode(dir, sig, 'key', keys.pub, [], true);
      expect({ code: page.code, details: page.details }).toEqual({ code: node.code, details: node.details });
      expect(page.details?.mismatched.map((m) => m.name)).toEqual(['weights.bin']);
      expect(page.details?.missing).toEqual(['config.json']);
    });

    it('a wrong key', async () => {
      const page = await compare('wrong-key', () => {}, other.pub);
      expect(page.code).toBe('KEY_MISMATCH');
    });

    // The signed bundle, edited, verified with `trust` in the page and in Node.js: the two codes.
    async function editedBundle(name: string, edit: (bundle: KeyBundleJson) => void, trust: string) {
      const bundle = JSON.parse(readFileSync(sig, 'utf8')) as KeyBundleJson;
      edit(bundle);
      const file = path.join(root, `${name}.sig`);
      writeFileSync(file, JSON.stringify(bundle));
      const page = await verifyInPage({
        files: urlsOf(model, '/work/signed/tamper'),
        signature: `/work/signed/${name}.sig`,
        method: 'key',
        trust: [`/work/signed/${path.basename(trust)}`],
      });
      const node = await verifyInNode(model, file, 'key', trust);
      return { page: page.code, node: node.code };
    }

    it('a wrong key on a bundle without a key hint (the pre-1.1 shape)', async () => {
      const codes = await editedBundle(
        'nohint',
        (bundle) => delete bundle.verificationMaterial.publicKey.hint,
        other.pub,
      );
      expect(codes).toEqual({ page: 'INVALID_SIGNATURE', node: 'INVALID_SIGNATURE' });
    });

    it('a bundle with unpadded base64', async () => {
      const codes = await editedBundle(
        'unpadded',
        (bundle) => {
          bundle.dsseEnvelope.payload = bundle.dsseEnvelope.payload.replace(/=+$/, '');
        },
        keys.pub,
      );
      expect(codes).toEqual({ page: 'INVALID_BUNDLE', node: 'INVALID_BUNDLE' });
    });

    it('a key signature over the v0.2.0 PAE verifies, as in Node.js (format §5.2)', async () => {
      const bundle = JSON.parse(readFileSync(sig, 'utf8'));
      const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
      const legacy = verifying.compatPae('application/vnd.in-toto+json', payload);
      const key = signing.loadEcPrivateKey(keys.priv);
      bundle.dsseEnvelope.signatures[0].sig = sign('sha512', legacy, { key, dsaEncoding: 'der' }).toString(
        'base64',
      );
      const file = path.join(root, 'compat.sig');
      writeFileSync(file, JSON.stringify(bundle));
      const page = await verifyInPage({
        files: urlsOf(model, '/work/signed/tamper'),
        signature: '/work/signed/compat.sig',
        method: 'key',
        trust: ['/work/signed/key.pub.pem'],
      });
      const node = await verifyInNode(model, file, 'key', keys.pub);
      expect(node.ok).toBe(true);
      expect(page).toMatchObject({ ok: true, files: node.files });
    });

    it('a file that cannot be downloaded', async () => {
      const files = {
        ...urlsOf(model, '/work/signed/tamper'),
        'config.json': '/work/signed/tamper/gone.json',
      };
      const page = await verifyInPage({
        files,
        signature: '/work/signed/tamper.sig',
        method: 'key',
        trust: ['/work/signed/key.pub.pem'],
      });
      expect(page).toMatchObject({ ok: false, code: 'HASHING_ERROR' });
      expect(page.message).toBe(
        'Cannot hash the model model: config.json: HTTP 404 Not Found for ' +
          `${server.origin}/work/signed/tamper/gone.json`,
      );
    });
  });
});

describe('certificate chains made here', () => {
  const KEY_ENCIPHERMENT = 4; // a key usage that does not allow signing
  const cases: {
    name: string;
    depth: number;
    leaf?: Partial<CertOptions>;
    build?: () => Promise<{ root: Issued; intermediates: Issued[]; leaf: Issued }>;
    code?: string;
    message?: RegExp;
  }[] = [
    { name: 'a valid chain with two intermediates and a P-384 leaf', depth: 3, leaf: { curve: 'P-384' } },
    {
      name: 'a leaf that may not sign',
      depth: 2,
      leaf: { keyUsage: KEY_ENCIPHERMENT, extendedKeyUsage: null },
      code: 'CERTIFICATE_USAGE',
      message: /cannot be used for signing/,
    },
    {
      name: 'an expired leaf',
      depth: 2,
      leaf: {
        notBefore: new Date(Date.now() - 10 * 86_400_000),
        notAfter: new Date(Date.now() - 86_400_000),
      },
      code: 'UNTRUSTED_CERTIFICATE',
      message: /'CN=test-leaf' \(serial [0-9a-f]+\) has expired/,
    },
    {
      name: 'a leaf not yet valid',
      depth: 1,
      leaf: { notBefore: new Date(Date.now() + 86_400_000) },
      code: 'UNTRUSTED_CERTIFICATE',
      message: /is not yet valid/,
    },
    {
      name: 'a root whose path length forbids the intermediate below it',
      depth: 2,
      build: async () => {
        const root = await issue({ name: 'test-root', ca: true, pathLength: 0 });
        const intermediate = await issue({ name: 'test-int', ca: true }, root);
        const second = await issue({ name: 'test-int-2', ca: true }, intermediate);
        return {
          root,
          intermediates: [second, intermediate],
          leaf: await issue({ name: 'test-leaf' }, second),
        };
      },
      code: 'UNTRUSTED_CERTIFICATE',
      message: /allows a path length of 0, but 2 CAs follow it/,
    },
  ];
  cases.forEach(({ name, depth, leaf, code, message, build }, index) => {
    it(`${name}: ${code ?? 'verified'}, as in Node.js`, async () => {
      const dir = path.join(work, `chain-${index}`);
      const model = path.join(dir, 'model');
      writeModel(model);
      const { root, intermediates, leaf: signer } = await (build ?? (() => pki(depth, 'P-256', leaf)))();
      const file = (name: string, text: string) => {
        writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      };
      const sig = path.join(dir, 'model.sig');
      await new signing.Config()
        .useCertificateSigner({
          privateKey: file('leaf.key', signer.keyPem),
          signingCertificate: file('leaf.pem', signer.pem),
          certificateChain: intermediates.length
            ? [file('chain.pem', intermediates.map((c) => c.pem).join('\n'))]
            : [],
        })
        .sign(model, sig);
      file('root.pem', root.pem);
      const page = await verifyInPage({
        files: urlsOf(model, `/work/chain-${index}/model`),
        signature: `/work/chain-${index}/model.sig`,
        method: 'certificate',
        trust: [`/work/chain-${index}/root.pem`],
      });
      const node = await verifyInNode(model, sig, 'certificate', path.join(dir, 'root.pem'));
      expect(node.code).toBe(code);
      expect(page.code).toBe(code);
      expect(page.ok).toBe(code === undefined);
      if (message) expect(page.message).toMatch(message);
    });
  });
});

describe('the demo page', () => {
  async function pick(
    model: string,
    signature: string,
    method: 'key' | 'certificate',
    trust: string,
    ignore = '',
    url = '',
  ) {
    const demo = await browser.newPage();
    await demo.goto(`${server.origin}/`);
    await demo.check(`input[name="method"][value="${method}"]`);
    if (model) await demo.setInputFiles('#model', model);
    await demo.setInputFiles('#signature', signature);
    await demo.setInputFiles('#trust', trust);
    await demo.fill('#ignore', ignore);
    if (url) await demo.fill('#url', url);
    await demo.click('#verify');
    await demo.waitForFunction(
      "['verified', 'failed'].includes(document.getElementById('verdict').dataset.status)",
    );
    const verdict = await demo.$eval('#verdict', (e) => ({
      ...(e as unknown as { dataset: object }).dataset,
      text: e.textContent,
    }));
    const rows = await demo.$$eval('#files tbody tr', (trs) =>
      trs.map((tr) => (tr as unknown as { dataset: { name: string; status: string } }).dataset),
    );
    await demo.close();
    return { verdict, rows: Object.fromEntries(rows.map((r) => [r.name, r.status])) };
  }

  it('verifies a folder picked with the folder picker (v1.1.0-certificate)', async () => {
    const dir = path.join(PYTHON_SIGNATURES, 'v1.1.0-certificate');
    const { verdict, rows } = await pick(
      dir,
      path.join(dir, 'model.sig'),
      'certificate',
      path.join(KEYS, 'ca-cert.pem'),
    );
    expect(verdict).toMatchObject({ status: 'verified' });
    expect(verdict.text).toMatch(
      /^Verified with the certificate method: 2 resources of 'v1\.1\.0-certificate'/,
    );
    expect(rows).toEqual({
      'ignore-me': 'ignored',
      'model.sig': 'ignored',
      'signme-1': 'verified',
      'signme-2': 'verified',
    });
  });

  it('verifies a model given by its URL', async () => {
    const dir = path.join(PYTHON_SIGNATURES, 'v1.1.0-elliptic-key');
    const { verdict, rows } = await pick(
      '',
      path.join(dir, 'model.sig'),
      'key',
      path.join(KEYS, 'signing-key-pub.pem'),
      '',
      `${server.origin}${FIXTURE_URL}/v1.1.0-elliptic-key/`,
    );
    expect(verdict).toMatchObject({ status: 'verified' });
    expect(rows).toEqual({ 'signme-1': 'verified', 'signme-2': 'verified' });
  });

  it('shows a changed file of a picked folder', async () => {
    const dir = path.join(work, 'picked-v1.0.1');
    cpSync(path.join(PYTHON_SIGNATURES, 'v1.0.1-elliptic-key'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'signme-2'), 'changed');
    const { verdict, rows } = await pick(
      dir,
      path.join(dir, 'model.sig'),
      'key',
      path.join(KEYS, 'signing-key-pub.pem'),
      'ignore-me',
    );
    expect(verdict).toMatchObject({ status: 'failed', code: 'MODEL_MISMATCH' });
    expect(rows).toMatchObject({ 'signme-1': 'verified', 'signme-2': 'changed', 'ignore-me': 'ignored' });
  });
});

describe('a 1 GiB file downloaded by the page', () => {
  const size = 1024 ** 3;
  const spec: Spec = {
    files: { 'weights.bin': '/big/weights.bin' },
    signature: '/big.sig',
    method: 'key',
    trust: ['/big.pub.pem'],
    as: 'urls',
  };

  beforeAll(async () => {
    // The expected digest comes from sha256sum over the same bytes the server generates.
    const command = `head -c ${size} /dev/zero | sha256sum`;
    const digest = execFileSync('sh', ['-c', command], { encoding: 'utf8' }).split(' ')[0]!;
    const value = Buffer.from(digest, 'hex');
    const manifest = new Manifest(
      'big-model',
      [{ resource: fileResource('weights.bin'), digest: { algorithm: 'sha256', value } }],
      { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] },
    );
    const keys = keyPair(work, 'big', 'P-256');
    const signer = signing.createKeyBundleSigner(
      signing.createEcdsaKeySigner(signing.loadEcPrivateKey(keys.priv)),
    );
    server.put('/big.sig', JSON.stringify(await signer.sign(statementBytes(manifest))));
    server.put('/big.pub.pem', readFileSync(keys.pub));
    server.generate('/big/weights.bin', size);
  });

  it('verifies with bounded memory', async () => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    let heap = 0;
    let resident = 0;
    const sample = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      heap = Math.max(heap, metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0);
      resident = Math.max(resident, chromiumResidentBytes());
    };
    const baseline = chromiumResidentBytes();
    const timer = setInterval(() => void sample().catch(() => {}), 250);
    const result = await verifyInPage(spec).finally(() => clearInterval(timer));
    await sample();
    expect(result).toMatchObject({ ok: true, files: ['weights.bin'], bytesHashed: size });
    expect(heap).toBeGreaterThan(0);
    expect(heap).toBeLessThan(200 * 2 ** 20);
    // Every chromium process together (the worker that read the stream included) grows by far less than the
    // file: nothing holds it whole.
    expect(resident - baseline).toBeLessThan(300 * 2 ** 20);
  }, 300_000);

  it('stops when the verification is cancelled', async () => {
    const result = await verifyInPage({ ...spec, abortAfterMs: 300 });
    expect(result).toMatchObject({ ok: false, code: 'ABORTED', message: 'Verification was cancelled' });
  });
});
