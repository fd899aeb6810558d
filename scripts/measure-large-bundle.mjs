// Measures what verifying the signature of a model of many files costs before any file is hashed: reading the
// signature file, checking the DSSE signature and reading the signed statement (its resources checked against
// the root digest, then the expected manifest built, which a verification needs only when the model differs). Run after `pnpm build`:
//   node scripts/measure-large-bundle.mjs [resources=1000000]
// It writes a key-signed bundle of that many resources (names `layer-NNNN/shard-NNNNNN.bin`) to a temporary
// directory, then verifies it in a fresh process and prints the file size, wall time and peak RSS.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const [, script, countArg, role, bundlePath, publicPath] = process.argv;
// The built packages (the root of the workspace does not depend on them).
const load = (name) => import(new URL(`../packages/${name}/dist/index.bundle.js`, import.meta.url).href);

if (role === '--verify') {
  const { readBundleFile, createKeyVerifier, signedStatement } = await load('verifying');
  // A verification loads the native engine while hashing, before it reads the resources; so does this.
  const engine = await (await load('hashing')).nativeEngine();
  const start = performance.now();
  const bundle = await readBundleFile(bundlePath);
  const verified = await createKeyVerifier({ publicKey: publicPath }).verify(bundle);
  const statement = signedStatement(verified.payload);
  statement.check();
  const read = performance.now();
  const resources = statement.manifest().items.length;
  const built = performance.now();
  const rss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      native: engine.available,
      resources,
      readAndCheckS: (read - start) / 1000,
      manifestS: (built - read) / 1000,
      peakRssMB: rss / 1e6,
    }),
  );
} else {
  const count = Number(countArg ?? 1_000_000);
  const { Manifest, fileResource, statementBytes } = await load('manifest');
  const { createEcdsaKeySigner, createKeyBundleSigner } = await load('signing');
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-large-bundle-'));
  try {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKey = path.join(dir, 'key.pub.pem');
    writeFileSync(publicKey, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const digests = randomBytes(32 * count);
    const items = [];
    for (let i = 0; i < count; i++) {
      const name = `layer-${String(Math.floor(i / 1000)).padStart(4, '0')}/shard-${String(i).padStart(6, '0')}.bin`;
      items.push({
        resource: fileResource(name),
        digest: { algorithm: 'sha256', value: digests.subarray(32 * i, 32 * i + 32) },
      });
    }
    const manifest = new Manifest('model', items, {
      method: 'files',
      hashType: 'sha256',
      allowSymlinks: false,
      ignorePaths: [],
    });
    const statement = statementBytes(manifest);
    const bundle = await createKeyBundleSigner(createEcdsaKeySigner(keys.privateKey)).sign(statement);
    const bundlePath = path.join(dir, 'model.sig');
    writeFileSync(bundlePath, JSON.stringify(bundle));
    const size = statSync(bundlePath).size;
    const started = performance.now();
    const out = execFileSync(process.execPath, [script, String(count), '--verify', bundlePath, publicKey], {
      encoding: 'utf8',
    });
    const wall = (performance.now() - started) / 1000;
    console.log(
      JSON.stringify({
        statementMB: statement.length / 1e6,
        bundleMB: size / 1e6,
        processWallS: wall,
        ...JSON.parse(out),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
