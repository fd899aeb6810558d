// Builds the demo page into examples/browser/dist: `node examples/browser/build.mjs`, then serve that folder
// (any static server; `npx serve examples/browser/dist`, for example) and open it.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowser, LIBRARY_ENTRIES } from '../../packages/browser/scripts/browser-build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.join(here, 'dist');

/** Builds the page (main.js, the hashing worker, index.html) into `dir`. */
export async function buildDemo(dir = outdir) {
  mkdirSync(dir, { recursive: true });
  await buildBrowser({
    entryPoints: { main: path.join(here, 'main.js'), 'hash-worker': LIBRARY_ENTRIES['hash-worker'] },
    outdir: dir,
  });
  copyFileSync(path.join(here, 'index.html'), path.join(dir, 'index.html'));
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`The demo page is in ${await buildDemo()}`);
}
