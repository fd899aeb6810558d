// Builds dist/bundle/: the library and its hashing worker, for the browser (see browser-build.mjs).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBrowser } from './browser-build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
await buildBrowser({ outdir: path.join(here, '..', 'dist', 'bundle') });
