// `prepack`: puts the addon, built from the sources, into prebuilds/linux-x64-glibc/ so that the package
// tarball carries it. A binary inside the package installs without running any script (pnpm skips build
// scripts by default, npm has --ignore-scripts), and Node-API keeps it loadable by every later Node release.
// A release needs BLAKE3 in it, so a build without the BLAKE3 C sources is an error here.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'hashing_native.node');
const target = join(root, 'prebuilds', 'linux-x64-glibc', 'hashing_native.node');

function fail(why) {
  console.error(`@model-signing/hashing-native: cannot pack: ${why}`);
  process.exit(1);
}

const glibc =
  process.platform === 'linux' ? process.report.getReport().header.glibcVersionRuntime : undefined;
if (process.platform !== 'linux' || process.arch !== 'x64' || !glibc) {
  fail(`the prebuilt addon is made on linux x64 with glibc, this is ${process.platform} ${process.arch}`);
}
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, MODEL_SIGNING_REQUIRE_NATIVE: '1' },
});
if (build.status !== 0) fail('the addon did not build (see above)');
if (!createRequire(import.meta.url)(built).blake3) {
  fail('the addon was built without BLAKE3: install librust-blake3-dev or set BLAKE3_C_DIR');
}
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
