// Builds the addon with node-gyp when it is missing or older than its sources. The addon is optional:
// without a C compiler, node-gyp or the Node.js headers, @model-signing/hashing runs its JavaScript engine,
// so a failed build prints one line and exits 0 (MODEL_SIGNING_REQUIRE_NATIVE=1 makes it an error instead).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBlake3Dir } from './blake3-dir.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'hashing_native.node');
const required = process.env.MODEL_SIGNING_REQUIRE_NATIVE === '1';
// Which BLAKE3 sources the addon was built with: installing (or removing) them later makes it out of date.
const blake3Stamp = join(root, 'build', 'blake3-sources.txt');

function newestSource() {
  const files = [join(root, 'binding.gyp'), join(root, 'scripts', 'blake3-dir.mjs')];
  for (const name of readdirSync(join(root, 'src')))
    if (/\.[ch]$/.test(name)) files.push(join(root, 'src', name));
  return Math.max(...files.map((file) => statSync(file).mtimeMs));
}

function nodeGyp() {
  // The project's own node-gyp when installed (workspace), else the one npm bundles (npm install of the package).
  for (const from of [join(root, 'package.json'), process.env.npm_execpath].filter(Boolean)) {
    try {
      return createRequire(from).resolve('node-gyp/bin/node-gyp.js');
    } catch {}
  }
  return null;
}

function skip(why) {
  const line = `@model-signing/hashing-native: not built (${why}); @model-signing/hashing uses its JavaScript engine`;
  if (required) {
    console.error(`error: ${line}`);
    process.exit(1);
  }
  console.error(line);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`no native engine for ${process.platform} yet`);
const blake3Dir = findBlake3Dir();
const builtWith = existsSync(blake3Stamp) ? readFileSync(blake3Stamp, 'utf8') : undefined;
if (existsSync(addon) && statSync(addon).mtimeMs >= newestSource() && builtWith === blake3Dir)
  process.exit(0);
const gyp = nodeGyp();
if (!gyp) skip('node-gyp not found');
const result = spawnSync(process.execPath, [gyp, 'rebuild', '--release'], {
  cwd: root,
  stdio: ['ignore', 'ignore', 'pipe'],
  encoding: 'utf8',
});
if (result.status !== 0) {
  const detail = (result.stderr ?? '')
    .split('\n')
    .filter((line) => /error/i.test(line))
    .slice(0, 3)
    .join(' | ');
  skip(`node-gyp failed${detail ? `: ${detail}` : ''}`);
}
writeFileSync(blake3Stamp, blake3Dir);
