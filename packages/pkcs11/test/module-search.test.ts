// test_get_module / test_get_module_restricted of pkcs11uri_test.py, and the search rules of spec §3.3.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultModuleDirectories, findModule, Pkcs11Error, parsePkcs11Uri } from '@model-signing/pkcs11';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softHsmModule, softHsmSkipReason } from './softhsm.js';

const MODULE_PATHS = ['/usr/lib64/pkcs11/', '/usr/lib/pkcs11/', '/usr/lib/softhsm/'];

describe('module search on this machine (pkcs11uri_test.py)', () => {
  const skip = softHsmSkipReason() !== undefined;
  const module = softHsmModule() ?? '';
  // Upstream's directories, plus this machine's SoftHSM directory when it is elsewhere (Ubuntu's triplet).
  const searchDirs = MODULE_PATHS.includes(`${dirname(module)}/`)
    ? MODULE_PATHS
    : [...MODULE_PATHS, `${dirname(module)}/`];

  it.skipIf(skip)('test_get_module: module-name=softhsm2 is found', () => {
    const uri = parsePkcs11Uri('pkcs11:?module-name=softhsm2');
    expect(findModule(uri, { modulePaths: searchDirs })).toBe(module);
  });

  it.skipIf(skip)('test_get_module_restricted: an allow-list that does not cover it refuses', () => {
    const uri = parsePkcs11Uri('pkcs11:?module-name=softhsm2');
    expect(() => findModule(uri, { modulePaths: searchDirs, allowedModulePaths: ['/usr'] })).toThrow(
      /is not allowed by policy$/,
    );
    expect(findModule(uri, { modulePaths: searchDirs, allowedModulePaths: searchDirs })).toBe(module);
  });

  it.skipIf(skip)(
    'the default directories find Debian SoftHSM (decision 27), which Python CLI cannot',
    () => {
      expect(findModule(parsePkcs11Uri('pkcs11:?module-name=softhsm2'))).toMatch(/libsofthsm2\.so$/);
    },
  );
});

describe('module search rules (spec §3.3)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ms-modules-'));
    await mkdir(join(dir, 'softhsm'));
    await writeFile(join(dir, 'softhsm', 'libsofthsm2.so'), '');
    await writeFile(join(dir, 'softhsm', 'libzeta.so.1'), '');
    await mkdir(join(dir, 'multi'));
    await writeFile(join(dir, 'multi', 'b-libfoo.so'), '');
    await writeFile(join(dir, 'multi', 'a-libfoo.so'), '');
    await mkdir(join(dir, 'multi', 'libdir.so'));
    await symlink(join(dir, 'softhsm', 'libzeta.so.1'), join(dir, 'multi', 'liblink.so'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const find = (query: string, modulePaths: string[] = [`${dir}/softhsm/`]) =>
    findModule(parsePkcs11Uri(`pkcs11:?${query}`), { modulePaths });

  it('matches the lower-cased name at the end of the path or before a dot', () => {
    for (const name of ['softhsm2', 'SoftHSM2', 'hsm2', 'libsofthsm2.so']) {
      expect(find(`module-name=${name}`)).toBe(join(dir, 'softhsm', 'libsofthsm2.so'));
    }
    expect(find('module-name=zeta')).toBe(join(dir, 'softhsm', 'libzeta.so.1'));
  });

  it("does not match a name whose first occurrence is followed by '/' (softhsm)", () => {
    expect(() => find('module-name=softhsm')).toThrow(
      `No module 'softhsm' could be found in ${dir}/softhsm/`,
    );
  });

  it('takes entries in sorted order, follows links and skips directories', () => {
    expect(find('module-name=libfoo', [`${dir}/multi/`])).toBe(join(dir, 'multi', 'a-libfoo.so'));
    expect(find('module-name=liblink', [`${dir}/multi/`])).toBe(join(dir, 'multi', 'liblink.so'));
    expect(() => find('module-name=libdir', [`${dir}/multi/`])).toThrow(/No module 'libdir' could be found/);
  });

  it('lists every searched directory when nothing matches', () => {
    expect(() => find('module-name=nothing', ['/nonexistent/a/', `${dir}/softhsm/`])).toThrow(
      `No module 'nothing' could be found in /nonexistent/a/, ${dir}/softhsm/`,
    );
  });

  it('uses a module-path file directly, and a directory as the only search directory', () => {
    expect(find(`module-path=${dir}/softhsm/libzeta.so.1`, [])).toBe(`${dir}/softhsm/libzeta.so.1`);
    expect(find(`module-path=${dir}/softhsm&module-name=softhsm2`, ['/elsewhere/'])).toBe(
      join(dir, 'softhsm', 'libsofthsm2.so'),
    );
    expect(() => find(`module-path=${dir}/softhsm`)).toThrow('module-name attribute is not set');
  });

  it('reports a missing module-path with its path (Python: an empty message)', () => {
    let caught: unknown;
    try {
      find('module-path=/nonexistent/libpkcs11.so');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Pkcs11Error);
    expect((caught as Pkcs11Error).code).toBe('MODULE_NOT_FOUND');
    expect((caught as Pkcs11Error).message).toBe('PKCS #11 module not found: /nonexistent/libpkcs11.so');
  });

  it('refuses a module-path that is neither file nor directory', () => {
    expect(() => find('module-path=/dev/null')).toThrow(
      "module-path '/dev/null' points to an invalid file type",
    );
  });

  it('requires module-name without module-path', () => {
    expect(() => find('pin-value=1')).toThrow('module-name attribute is not set');
  });

  it('allow-list: exact files and files directly inside a directory ending in /', () => {
    const uri = parsePkcs11Uri(`pkcs11:?module-path=${dir}/softhsm/libzeta.so.1`);
    expect(findModule(uri, { allowedModulePaths: [`${dir}/softhsm/libzeta.so.1`] })).toBe(
      `${dir}/softhsm/libzeta.so.1`,
    );
    expect(findModule(uri, { allowedModulePaths: [`${dir}/softhsm/`] })).toBe(`${dir}/softhsm/libzeta.so.1`);
    expect(() => findModule(uri, { allowedModulePaths: [`${dir}/`] })).toThrow(
      `module-path '${dir}/softhsm/libzeta.so.1' is not allowed by policy`,
    );
  });

  it('default directories: Python first, then Debian and multiarch ones, deterministic', () => {
    const dirs = defaultModuleDirectories();
    expect(dirs.slice(0, 3)).toEqual(MODULE_PATHS);
    expect(dirs).toContain('/usr/local/lib/softhsm/');
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(dirs).toContain('/usr/lib/x86_64-linux-gnu/softhsm/');
      expect(dirs).toContain('/usr/lib/x86_64-linux-gnu/pkcs11/');
    }
    expect(defaultModuleDirectories()).toEqual(dirs);
  });
});
