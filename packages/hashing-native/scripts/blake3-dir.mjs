// Finds the BLAKE3 C implementation to build against and prints the folder node-gyp should use for it, or
// nothing (the addon is then built without BLAKE3, which @model-signing/hashing leaves to @napi-rs/blake-hash).
// BLAKE3_C_DIR names the sources explicitly; otherwise Debian's librust-blake3-dev is looked for, which ships
// the official C sources with their SIMD code. The folder is reached through a link inside the package,
// `blake3-c`, because node-gyp's make files place the objects of sources outside the package outside its
// build folder.
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LINK = 'blake3-c';

function usable(dir) {
  const header = join(dir, 'blake3_impl.h');
  return (
    existsSync(join(dir, 'blake3.c')) &&
    existsSync(header) &&
    readFileSync(header, 'utf8').includes('blake3_hash_many(')
  );
}

/** The folder of the BLAKE3 C sources to build against, or '' when there are none. */
export function findBlake3Dir() {
  if (process.env.BLAKE3_C_DIR !== undefined) {
    return usable(process.env.BLAKE3_C_DIR) ? process.env.BLAKE3_C_DIR : '';
  }
  if (process.arch !== 'x64' || process.platform !== 'linux') return '';
  const registry = '/usr/share/cargo/registry';
  if (!existsSync(registry)) return '';
  const candidates = readdirSync(registry)
    .filter((name) => /^blake3-\d+\.\d+\.\d+$/.test(name))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    .map((name) => join(registry, name, 'c'));
  return candidates.find(usable) ?? '';
}

// Run by node-gyp (binding.gyp): makes the link and prints its name. Imported by build.mjs: does nothing.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const link = join(dirname(fileURLToPath(import.meta.url)), '..', LINK);
  const dir = findBlake3Dir();
  rmSync(link, { force: true });
  if (dir) symlinkSync(dir, link, 'dir');
  process.stdout.write(dir ? LINK : '');
}
