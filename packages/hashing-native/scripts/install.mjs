// `install`: nothing to compile when an addon already loads (on linux x64 with glibc the package ships one,
// see prebuild.mjs); otherwise builds it from the sources (build.mjs, which never fails the install).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let loads = false;
try {
  const { nativeHashingStatus } = await import('../dist/index.js');
  loads = nativeHashingStatus().available;
} catch {
  // Not compiled yet (a checkout of the project before its first build): build the addon.
}
if (!loads) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  process.exitCode = build.status ?? 1;
}
