// The browser case of `pnpm bench --browser`: one generated file hashed by @model-signing/browser in Debian's
// chromium (fetched from a loopback server by a Web Worker, hashed with hash-wasm) against Node's default
// engine (native when built) over the same file, for SHA-256, BLAKE2b and BLAKE3. Figures, not targets.
// Usage: node scripts/bench/browser.mjs [--size MiB] [--runs N] [--json]
import { createCipheriv, generateKeyPairSync } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const MiB = 1 << 20;
const { values: options } = parseArgs({
  options: {
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(options.size) * MiB;
const runs = Number(options.runs);
const log = (...args) => console.error('[bench browser]', ...args);
const load = (relative) => import(path.join(ROOT, relative));

const { chromium } = await import('playwright-core');
const hashing = await load('packages/hashing/dist/index.bundle.js');
const signing = await load('packages/signing/dist/index.bundle.js');
const { statementBytes } = await load('packages/manifest/dist/index.bundle.js');
const { buildDemo } = await load('examples/browser/build.mjs');

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const dir = mkdtempSync(path.join(tmpdir(), 'model-signing-bench-browser-'));
let browser;
let server;
try {
  // The same deterministic, incompressible content as the other cases (AES-128-CTR keystream).
  const model = path.join(dir, 'model');
  await import('node:fs').then((fs) => fs.mkdirSync(model));
  const file = path.join(model, 'weights.bin');
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), Buffer.alloc(16));
  const fd = openSync(file, 'w');
  for (let left = size; left > 0; left -= 4 * MiB)
    writeSync(fd, cipher.update(Buffer.alloc(Math.min(left, 4 * MiB))));
  closeSync(fd);
  const site = await buildDemo(path.join(dir, 'site'));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  const signer = signing.createKeyBundleSigner(signing.createEcdsaKeySigner(privateKey));
  const bundles = new Map();
  const node = new Map();
  for (const algorithm of ['sha256', 'blake2b', 'blake3']) {
    const config = () => new hashing.Config().useFileSerialization({ hashingAlgorithm: algorithm });
    const manifest = await config().hash(model);
    bundles.set(algorithm, JSON.stringify(await signer.sign(statementBytes(manifest))));
    const times = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      await config().hash(model);
      times.push((performance.now() - start) / 1000);
    }
    node.set(algorithm, median(times));
  }

  server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/sig/')) return res.end(bundles.get(url.pathname.slice(5)));
    if (url.pathname === '/key.pem') return res.end(pem);
    if (url.pathname === '/weights.bin') {
      res.writeHead(200, { 'content-length': String(statSync(file).size) });
      return createReadStream(file, { highWaterMark: MiB }).pipe(res);
    }
    const static_ = path.join(site, url.pathname === '/' ? 'index.html' : url.pathname);
    res.writeHead(200, { 'content-type': static_.endsWith('.js') ? 'text/javascript' : 'text/html' });
    createReadStream(static_)
      .on('error', () => res.end())
      .pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  await page.waitForFunction('globalThis.modelSigning');
  // Each source the page can hash: the URL (fetched by the worker) and a Blob already in the page (as a picked
  // file is), which leaves the network out.
  const results = [];
  for (const source of ['url', 'blob']) {
    if (source === 'blob') {
      await page.evaluate(async () => {
        globalThis.benchBlob = await (await fetch('/weights.bin')).blob();
      });
    }
    for (const algorithm of ['sha256', 'blake2b', 'blake3']) {
      const times = [];
      for (let i = 0; i < runs; i++) {
        const seconds = await page.evaluate(
          async ({ algo, source }) => {
            const lib = globalThis.modelSigning;
            const key = await (await fetch('/key.pem')).text();
            const config = new lib.Config().useEllipticKeyVerifier({ publicKey: key });
            const file = source === 'blob' ? globalThis.benchBlob : '/weights.bin';
            const start = performance.now();
            await config.verify(new Map([['weights.bin', file]]), new URL(`/sig/${algo}`, location.href));
            return (performance.now() - start) / 1000;
          },
          { algo: algorithm, source },
        );
        times.push(seconds);
      }
      const ours = median(times);
      const theirs = node.get(algorithm);
      results.push({
        source,
        algorithm,
        browserSeconds: ours,
        browserGBps: size / ours / 1e9,
        nodeSeconds: theirs,
        nodeGBps: size / theirs / 1e9,
        browserVsNode: theirs / ours,
      });
      log(`${algorithm} from a ${source}: browser ${ours.toFixed(2)} s, node ${theirs.toFixed(2)} s`);
    }
  }
  const engine = await hashing.nativeEngine();
  const report = { size, runs, nodeEngine: engine.available ? 'native' : 'javascript', results };
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else {
    const lines = [
      `browser: one ${(size / 1e9).toFixed(2)} GB file verified in chromium (Web Worker, hash-wasm) vs Node's ${report.nodeEngine} engine; ${runs} runs, medians`,
      `  ${'source'.padEnd(6)} ${'hash'.padEnd(8)} ${'browser s'.padStart(10)} ${'GB/s'.padStart(6)} ${'node s'.padStart(8)} ${'GB/s'.padStart(6)} ${'browser/node'.padStart(13)}`,
      ...results.map(
        (r) =>
          `  ${r.source.padEnd(6)} ${r.algorithm.padEnd(8)} ${r.browserSeconds.toFixed(2).padStart(10)} ${r.browserGBps.toFixed(2).padStart(6)} ${r.nodeSeconds.toFixed(2).padStart(8)} ${r.nodeGBps.toFixed(2).padStart(6)} ${`${r.browserVsNode.toFixed(2)}x`.padStart(13)}`,
      ),
    ];
    console.log(lines.join('\n'));
  }
} finally {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
}
