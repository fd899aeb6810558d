/**
 * Finding the PKCS #11 module (shared library) a URI names: `module-path` (a file, or a directory to
 * search) and `module-name` (spec §3.3, decision 27).
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Pkcs11Error } from './errors.js';
import type { Pkcs11Uri } from './uri.js';

/** Options of {@link findModule}. */
export interface ModuleSearchOptions {
  /**
   * Directories searched for `module-name` when the URI has no `module-path`, in order. Replaces
   * {@link defaultModuleDirectories} when given and non-empty (like Python's `module_paths`).
   */
  readonly modulePaths?: readonly string[];
  /**
   * An allow-list of modules: an exact file path, or a directory ending in `/` that allows the files
   * directly inside it. `undefined` allows every module (the signer's default, as in Python).
   */
  readonly allowedModulePaths?: readonly string[];
}

/** Debian/Ubuntu multiarch triplet of this machine's architecture, for `/usr/lib/<triplet>/…`. */
function multiarchTriplet(): string | undefined {
  const triplets: Partial<Record<NodeJS.Architecture, string>> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    arm: 'arm-linux-gnueabihf',
    ia32: 'i386-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
    riscv64: 'riscv64-linux-gnu',
    loong64: 'loongarch64-linux-gnu',
  };
  return triplets[process.arch];
}

/**
 * The directories searched for `module-name` by default, in this fixed order: Python's
 * `/usr/lib64/pkcs11/` and `/usr/lib/pkcs11/`, then (decision 27) Debian's `/usr/lib/softhsm/`,
 * `/usr/lib/<triplet>/pkcs11/`, `/usr/lib/<triplet>/softhsm/`, `/usr/local/lib/softhsm/` and on macOS
 * Homebrew's `/opt/homebrew/lib/softhsm/`. Python's CLI cannot find Debian's SoftHSM; this one can.
 */
export function defaultModuleDirectories(): string[] {
  const dirs = ['/usr/lib64/pkcs11/', '/usr/lib/pkcs11/', '/usr/lib/softhsm/'];
  const triplet = multiarchTriplet();
  if (process.platform === 'linux' && triplet !== undefined) {
    dirs.push(`/usr/lib/${triplet}/pkcs11/`, `/usr/lib/${triplet}/softhsm/`);
  }
  dirs.push('/usr/local/lib/softhsm/');
  if (process.platform === 'darwin') dirs.push('/opt/homebrew/lib/softhsm/');
  return dirs;
}

function isAllowed(file: string, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined) return true;
  return allowed.some(
    (entry) =>
      entry === file ||
      (entry.endsWith('/') && file.startsWith(entry) && !file.slice(entry.length).includes('/')),
  );
}

function statOrUndefined(file: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function sortedEntries(dir: string): string[] {
  try {
    // Python lists with glob (unsorted, no dot files); sorting makes the choice deterministic.
    return readdirSync(dir)
      .filter((name) => !name.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The module file the URI asks for.
 *
 * - `module-path` naming a file: that file. Naming a directory: it becomes the only search directory.
 * - Otherwise `module-name` is searched in {@link ModuleSearchOptions.modulePaths} (or the defaults): the
 *   lower-cased name must occur in the lower-cased full path, its first occurrence ending the path or being
 *   followed by `.` (so `softhsm2` finds `libsofthsm2.so`). Entries are taken in sorted order and only
 *   regular files (or links to them) count; the first match wins.
 * @throws {@link Pkcs11Error} `MODULE_NOT_FOUND` or `MODULE_NOT_ALLOWED`.
 */
export function findModule(uri: Pkcs11Uri, options: ModuleSearchOptions = {}): string {
  const modulePath = uri.getQueryAttributeText('module-path');
  let searchDirs: readonly string[];
  if (modulePath !== undefined) {
    const info = statOrUndefined(modulePath);
    // Python raises a ValueError with an empty message here.
    if (info === undefined)
      throw new Pkcs11Error('MODULE_NOT_FOUND', `PKCS #11 module not found: ${modulePath}`);
    if (info.isFile()) {
      if (isAllowed(modulePath, options.allowedModulePaths)) return modulePath;
      throw new Pkcs11Error('MODULE_NOT_ALLOWED', `module-path '${modulePath}' is not allowed by policy`);
    }
    if (!info.isDirectory()) {
      // Python spells it "invlaid".
      throw new Pkcs11Error('MODULE_NOT_FOUND', `module-path '${modulePath}' points to an invalid file type`);
    }
    searchDirs = [modulePath];
  } else {
    searchDirs =
      options.modulePaths !== undefined && options.modulePaths.length > 0
        ? options.modulePaths
        : defaultModuleDirectories();
  }

  const rawName = uri.getQueryAttributeText('module-name');
  if (rawName === undefined) throw new Pkcs11Error('MODULE_NOT_FOUND', 'module-name attribute is not set');
  const name = rawName.toLowerCase();

  for (const dir of searchDirs) {
    for (const entry of sortedEntries(dir)) {
      const file = join(dir, entry);
      const lower = file.toLowerCase();
      const at = lower.indexOf(name);
      if (at < 0) continue;
      const end = at + name.length;
      if (end !== lower.length && lower[end] !== '.') continue;
      if (!statOrUndefined(file)?.isFile()) continue;
      if (isAllowed(file, options.allowedModulePaths)) return file;
      throw new Pkcs11Error('MODULE_NOT_ALLOWED', `module '${file}' is not allowed by policy`);
    }
  }
  throw new Pkcs11Error('MODULE_NOT_FOUND', `No module '${name}' could be found in ${searchDirs.join(', ')}`);
}
