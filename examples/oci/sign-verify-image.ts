/**
 * Sign a model image in an OCI registry with an EC key, verify it, then see a re-pushed image with a changed
 * file refused.
 *
 *   pnpm build && npx tsx examples/oci/sign-verify-image.ts
 *
 * The example starts its own registry: Debian's `docker-registry` (`apt-get install docker-registry`) on
 * loopback, plain HTTP, in a temporary directory. The model image is pushed ORAS-style (one layer per file,
 * titled with its path) with the library's registry client; in real use it comes from `oras push`, `skopeo`,
 * or your build pipeline, and the registry needs no `plainHttp`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EMPTY_CONFIG, OCI_CONFIG, OCI_MANIFEST, RegistryClient } from '@model-signing/oci';
import { Config as SigningConfig } from '@model-signing/signing';
import { VerificationError, Config as VerifyingConfig } from '@model-signing/verifying';

if (spawnSync('sh', ['-c', 'command -v docker-registry'], { stdio: 'ignore' }).status !== 0) {
  console.error('This example needs docker-registry on PATH (apt-get install docker-registry).');
  process.exit(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRegistry(dir: string): Promise<{ host: string; child: ChildProcess }> {
  const host = `127.0.0.1:${await freePort()}`;
  const config = path.join(dir, 'registry.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\nhttp:\n  addr: ${host}\n`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://${host}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return { host, child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('docker-registry did not start');
}

/** Pushes files as an ORAS-style model image and returns nothing but the tag it is under. */
async function pushModel(
  client: RegistryClient,
  repository: string,
  tag: string,
  files: Record<string, string>,
) {
  const config = await client.pushBlob(repository, EMPTY_CONFIG, OCI_CONFIG);
  const layers = [];
  for (const [name, content] of Object.entries(files)) {
    const layer = await client.pushBlob(
      repository,
      new TextEncoder().encode(content),
      'application/octet-stream',
    );
    layers.push({ ...layer, annotations: { 'org.opencontainers.image.title': name } });
  }
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers };
  await client.pushManifest(
    repository,
    tag,
    new TextEncoder().encode(JSON.stringify(manifest)),
    OCI_MANIFEST,
  );
}

const work = mkdtempSync(path.join(tmpdir(), 'model-signing-oci-example-'));
const { host, child } = await startRegistry(work);
const client = new RegistryClient(host, { plainHttp: true });
try {
  const ref = `${host}/models/tiny-llm:v1`;
  await pushModel(client, 'models/tiny-llm', 'v1', {
    'model.safetensors': 'weights v1',
    'tokenizer.json': '{}',
  });

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });

  // Tag mode stores the bundle under sha256-<image hex>.sig, where the Python fork looks for it too. The file
  // copy is kept to show what happens after the tag moves.
  const signature = path.join(work, 'model.sig');
  const signed = await new SigningConfig()
    .useEllipticKeySigner({ privateKey: Buffer.from(privatePem) })
    .signImage(ref, { attachmentMode: 'tag', output: 'both', signaturePath: signature, plainHttp: true });
  console.log(`signed ${ref} (${signed.imageDigest}) as ${signed.signatureTag}`);

  const verifier = new VerifyingConfig().useEllipticKeyVerifier({ publicKey: Buffer.from(publicPem) });
  const verified = await verifier.verifyImage(ref, { plainHttp: true });
  console.log(`verified from the ${verified.source.kind}: ${verified.manifest.names().join(', ')}`);

  // Someone re-pushes the tag with different weights: the signature no longer matches.
  await pushModel(client, 'models/tiny-llm', 'v1', {
    'model.safetensors': 'weights v2',
    'tokenizer.json': '{}',
  });
  try {
    await verifier.verifyImage(ref, { plainHttp: true, signature });
    console.log('unexpected: the changed image verified');
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    console.log(`after re-pushing the tag: ${error.code}: ${error.message}`);
  }
} finally {
  await client.close();
  child.kill();
  rmSync(work, { recursive: true, force: true });
}
