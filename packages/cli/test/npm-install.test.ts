// The packages as an integrator gets them: every workspace package is packed as a release packs it, served by a
// registry on loopback for the @model-signing scope, and installed with npm into projects outside the workspace
// (every other dependency comes from npm's cache, or from npm's usual registry the first time: --prefer-offline).
// Nothing here uses the workspace's node_modules: what runs is what the tarballs hold.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFootprint } from '../../../scripts/measure-verify-install.mjs';
import {
  type LocalRegistry,
  type PackedPackage,
  packWorkspace,
  startRegistry,
} from '../../../test-support/npm-registry.js';
import { FIXTURES, PYTHON_SIGNATURES, REPO_ROOT } from '../../../test-support/paths.js';
import { createUpstreamModel } from '../../../test-support/upstream-models.js';
import { SUPPORTED_NODE } from '../src/node-version.js';

const run = promisify(execFile);

/** The bounds of an install of @model-signing/verifying alone (with what it pulls in). */
const VERIFYING_MAX_PACKAGES = 60;
const VERIFYING_MAX_BYTES = 25 * 1024 * 1024;

/** What `model-signing --version` prints: the version of the CLI package. */
function versionLine(): string {
  const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'packages/cli/package.json'), 'utf8'));
  return `model-signing, version ${version}\n`;
}

const KEY_GOLDEN = path.join(PYTHON_SIGNATURES, 'v1.1.0-elliptic-key');
const GOLDEN_PUBLIC_KEY = path.join(PYTHON_SIGNATURES, 'keys/certificate/signing-key-pub.pem');
const GOLDEN_PAYLOAD = path.join(FIXTURES, 'python-upstream/payload/TestPayload/sample_model_folder');

/**
 * The environment of an integrator's shell: this Node first on PATH (npm's bin and `#!/usr/bin/env node` run
 * on it), none of the npm_* or pnpm variables that running under pnpm sets, and the headers of this Node for
 * node-gyp (pkcs11js) so that nothing is fetched from outside the npm registry.
 */
function integratorEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|PNPM_|NODE_OPTIONS$|VITEST|TEST$)/i.test(key)) env[key] = value;
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  env.npm_config_update_notifier = 'false';
  // This Node's own headers when they sit beside it (the `node` package of .tools/, an official tarball).
  const prefix = path.resolve(realpathSync(process.execPath), '../..');
  const headers = existsSync(path.join(prefix, 'include/node/node.h')) ? prefix : undefined;
  const nodedir = process.env.npm_config_nodedir ?? headers;
  if (nodedir) env.npm_config_nodedir = nodedir;
  return env;
}

const env = integratorEnvironment();

/** A project of its own, outside the workspace, whose @model-signing packages come from `registry`. */
function project(root: string, name: string, registry: LocalRegistry): string {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  writeFileSync(path.join(dir, '.npmrc'), `@model-signing:registry=${registry.url}\n`);
  return dir;
}

async function npmInstall(cwd: string, args: readonly string[]): Promise<void> {
  try {
    await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...args],
      {
        cwd,
        env,
        maxBuffer: 64 * 1024 * 1024,
      },
    );
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`npm install ${args.join(' ')} failed in ${cwd}:\n${stderr ?? String(error)}`);
  }
}

/** Runs an ES module script in `cwd` with this Node and returns what it printed as JSON. */
function nodeScript(cwd: string, name: string, source: string): unknown {
  const file = path.join(cwd, name);
  writeFileSync(file, source);
  const result = spawnSync(process.execPath, [file], { cwd, env, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

/** What `nativeEngine()` of the @model-signing/hashing installed in `cwd` reports. */
function engineIn(cwd: string): { available: boolean; blake3: boolean; addon?: string; reason?: string } {
  return nodeScript(
    cwd,
    'engine.mjs',
    `import { nativeEngine } from '@model-signing/hashing';
console.log(JSON.stringify(await nativeEngine()));`,
  ) as { available: boolean; blake3: boolean; addon?: string; reason?: string };
}

function sh(command: string, args: readonly string[], cwd: string, extra: NodeJS.ProcessEnv = {}) {
  return spawnSync(command, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
}

describe('the packages as installed from npm', () => {
  let work: string;
  let packed: PackedPackage[];
  /** Every published package. */
  let names: string[];
  let registry: LocalRegistry;
  /** Every package, install scripts allowed. */
  let full: string;
  /** @model-signing/verifying alone, without install scripts. */
  let verifyingOnly: string;
  /** @model-signing/cli, without install scripts. */
  let noScripts: string;
  /** A global install of @model-signing/cli (`npm i -g --prefix`). */
  let globalPrefix: string;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'ms-npm-'));
    mkdirSync(path.join(work, 'tarballs'));
    packed = packWorkspace(path.join(work, 'tarballs'));
    names = packed.map((pkg) => pkg.name);
    registry = await startRegistry(packed);
    full = project(work, 'full', registry);
    verifyingOnly = project(work, 'verifying-only', registry);
    noScripts = project(work, 'no-scripts', registry);
    globalPrefix = path.join(work, 'global');
    await Promise.all([
      npmInstall(full, names),
      npmInstall(verifyingOnly, ['--ignore-scripts', '@model-signing/verifying']),
      npmInstall(noScripts, ['--ignore-scripts', '@model-signing/cli']),
      npmInstall(work, [
        '-g',
        '--prefix',
        globalPrefix,
        `--@model-signing:registry=${registry.url}`,
        '@model-signing/cli',
      ]),
    ]);
  }, 900_000);

  afterAll(async () => {
    await registry?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('the tarballs', () => {
    it('hold what the packages need and their metadata, no tests and no build info', () => {
      for (const pkg of packed) {
        const files = execFileSync('tar', ['-tzf', pkg.file], { encoding: 'utf8' }).trim().split('\n');
        const dir = pkg.name.replace('@model-signing/', '');
        expect(
          files.filter((file) => /\/test\/|\.test\.|\.tsbuildinfo$/.test(file)),
          pkg.name,
        ).toEqual([]);
        for (const needed of ['package/package.json', 'package/README.md', 'package/LICENSE']) {
          expect(files, `${pkg.name} ships ${needed}`).toContain(needed);
        }
        const exported = Object.values(
          pkg.manifest.exports as Record<string, Record<string, string> | string>,
        )
          .flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)))
          .concat(Object.values((pkg.manifest.bin as Record<string, string> | undefined) ?? {}));
        for (const target of exported) {
          expect(files, `${pkg.name} ships ${target}`).toContain(path.posix.join('package', target));
        }
        expect(JSON.stringify(pkg.manifest), pkg.name).not.toContain('workspace:');
        expect(pkg.manifest).toMatchObject({
          license: 'Apache-2.0',
          engines: { node: SUPPORTED_NODE },
          publishConfig: { access: 'public', provenance: true },
          repository: { type: 'git', directory: `packages/${dir}` },
        });
        for (const field of ['homepage', 'bugs', 'keywords', 'sideEffects', 'description']) {
          expect(pkg.manifest[field], `${pkg.name} ${field}`).toBeDefined();
        }
      }
      const native = packed.find((pkg) => pkg.name === '@model-signing/hashing-native') as PackedPackage;
      const files = execFileSync('tar', ['-tzf', native.file], { encoding: 'utf8' });
      expect(files).toContain('package/prebuilds/linux-x64-glibc/hashing_native.node');
      expect(files).toContain('package/binding.gyp');
    });
  });

  describe('every package installed with npm', () => {
    it('imports with import and with require', () => {
      const imported = nodeScript(
        full,
        'import-all.mjs',
        `const names = ${JSON.stringify(names)};
const out = {};
for (const name of names) out[name] = Object.keys(await import(name)).length;
console.log(JSON.stringify(out));`,
      ) as Record<string, number>;
      const required = nodeScript(
        full,
        'require-all.cjs',
        `const names = ${JSON.stringify(names)};
const out = {};
for (const name of names) out[name] = Object.keys(require(name)).length;
console.log(JSON.stringify(out));`,
      ) as Record<string, number>;
      for (const name of names) {
        expect(imported[name], name).toBeGreaterThan(0);
        expect(required[name], name).toBe(imported[name]);
      }
    });

    it('runs the install script of hashing-native without compiling: the prebuilt addon is in use', () => {
      const native = path.join(full, 'node_modules/@model-signing/hashing-native');
      expect(statSync(path.join(native, 'build'), { throwIfNoEntry: false })).toBeUndefined();
      const status = engineIn(full);
      expect(status).toEqual({ available: true, blake3: true, addon: 'prebuilt' });
    });
  });

  describe('the installed CLI', () => {
    const bin = () => path.join(full, 'node_modules/.bin/model-signing');

    it('runs through the link npm makes in node_modules/.bin, under both names', () => {
      expect(lstatSync(bin()).isSymbolicLink()).toBe(true);
      for (const name of ['model-signing', 'model_signing']) {
        const result = sh(path.join(full, 'node_modules/.bin', name), ['--version'], full);
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe(versionLine());
        expect(result.status).toBe(0);
      }
    });

    it('prints the root digest the Python golden gives', () => {
      const model = createUpstreamModel('sample_model_folder');
      try {
        const golden = JSON.parse(readFileSync(GOLDEN_PAYLOAD, 'utf8')).subject[0].digest.sha256;
        const result = sh(bin(), ['digest', model.path], full);
        expect(result.stderr).toBe('');
        expect(result.stdout).toBe(`sha256:${golden}\n`);
      } finally {
        model.cleanup();
      }
    });

    it('signs with a key openssl made, verifies it, and verifies the Python tool signature', () => {
      const dir = path.join(work, 'sign-key');
      const model = path.join(dir, 'model');
      mkdirSync(model, { recursive: true });
      writeFileSync(path.join(model, 'weights.bin'), 'weights');
      writeFileSync(path.join(model, 'config.json'), '{}');
      execFileSync(
        'openssl',
        ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'],
        {
          cwd: dir,
        },
      );
      execFileSync('openssl', ['pkey', '-in', 'key.pem', '-pubout', '-out', 'key.pub.pem'], { cwd: dir });
      const signed = sh(
        bin(),
        ['sign', 'key', '--private-key', 'key.pem', '--signature', 'model.sig', 'model'],
        dir,
      );
      expect(signed.status, signed.stderr).toBe(0);
      const verified = sh(
        bin(),
        ['verify', 'key', '--public-key', 'key.pub.pem', '--signature', 'model.sig', 'model'],
        dir,
      );
      expect(verified.stdout).toBe('Verification succeeded\n');
      expect(verified.status).toBe(0);
      writeFileSync(path.join(model, 'weights.bin'), 'weights!');
      const tampered = sh(
        bin(),
        ['verify', 'key', '--public-key', 'key.pub.pem', '--signature', 'model.sig', 'model'],
        dir,
      );
      expect(tampered.status).toBe(1);
      expect(tampered.stderr).toContain('weights.bin');
      const python = sh(
        bin(),
        [
          'verify',
          'key',
          '--public-key',
          GOLDEN_PUBLIC_KEY,
          '--signature',
          path.join(KEY_GOLDEN, 'model.sig'),
          KEY_GOLDEN,
        ],
        dir,
      );
      expect(python.stdout).toBe('Verification succeeded\n');
      expect(python.status).toBe(0);
    });

    it('runs with npx', () => {
      const result = sh('npx', ['--no', '--', 'model-signing', '--version'], full);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(versionLine());
    });

    it('runs from a global install (npm i -g)', () => {
      const result = sh(path.join(globalPrefix, 'bin/model-signing'), ['--version'], work);
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(versionLine());
      const digest = sh(path.join(globalPrefix, 'bin/model-signing'), ['digest', KEY_GOLDEN], work);
      expect(digest.status, digest.stderr).toBe(0);
      expect(digest.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    });

    it('refuses an unsupported Node in one line, and re-runs itself with MODEL_SIGNING_NODE', () => {
      // Node 22.11 as far as the launcher can tell (the CLI it re-runs sees the real version).
      const preload = path.join(work, 'node-22.11.mjs');
      writeFileSync(
        preload,
        `if (/model-signing$/.test(process.argv[1] ?? '')) Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '22.11.0' } });\n`,
      );
      const old = sh(process.execPath, ['--import', preload, bin(), '--version'], full);
      expect(old.stdout).toBe('');
      expect(old.stderr).toBe(
        `model-signing: Node.js ${SUPPORTED_NODE} is required (this is v22.11.0); install a supported Node.js or set MODEL_SIGNING_NODE to one\n`,
      );
      expect(old.status).toBe(1);
      // A Node of its own, as a wrapper script is (the same Node would be refused again).
      const node = path.join(work, 'node-24');
      writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
      const rerun = sh(process.execPath, ['--import', preload, bin(), '--version'], full, {
        MODEL_SIGNING_NODE: node,
      });
      expect(rerun.stderr).toBe('');
      expect(rerun.stdout).toBe(versionLine());
    });
  });

  describe('installed without install scripts (npm --ignore-scripts)', () => {
    it(`@model-signing/verifying alone is at most ${VERIFYING_MAX_PACKAGES} packages and 25 MB`, () => {
      // Counted as scripts/measure-verify-install.mjs counts (the figures in the README).
      const footprint = installFootprint(verifyingOnly);
      expect(footprint.packages, `installed: ${footprint.names.join(', ')}`).toBeLessThanOrEqual(
        VERIFYING_MAX_PACKAGES,
      );
      expect(footprint.bytes).toBeLessThanOrEqual(VERIFYING_MAX_BYTES);
    });

    it('@model-signing/verifying alone verifies a key-signed model, on the prebuilt addon', () => {
      const result = nodeScript(
        verifyingOnly,
        'verify.mjs',
        `import * as verifying from '@model-signing/verifying';
import { nativeEngine } from '@model-signing/hashing';
const result = await new verifying.Config()
  .useEllipticKeyVerifier({ publicKey: ${JSON.stringify(GOLDEN_PUBLIC_KEY)} })
  .verify(${JSON.stringify(KEY_GOLDEN)}, ${JSON.stringify(path.join(KEY_GOLDEN, 'model.sig'))});
console.log(JSON.stringify({ files: result.files, engine: await nativeEngine() }));`,
      );
      const bundle = JSON.parse(readFileSync(path.join(KEY_GOLDEN, 'model.sig'), 'utf8'));
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
      const signedNames = statement.predicate.resources.map((resource: { name: string }) => resource.name);
      expect(result).toEqual({
        files: signedNames,
        engine: { available: true, blake3: true, addon: 'prebuilt' },
      });
    });

    it('the CLI runs on the prebuilt addon, and PKCS #11 says how to build pkcs11js', () => {
      const bin = path.join(noScripts, 'node_modules/.bin/model-signing');
      const digest = sh(bin, ['digest', KEY_GOLDEN], noScripts);
      expect(digest.status, digest.stderr).toBe(0);
      const engine = engineIn(noScripts);
      expect(engine).toEqual({ available: true, blake3: true, addon: 'prebuilt' });
      const model = path.join(work, 'pkcs11-model');
      mkdirSync(model, { recursive: true });
      writeFileSync(path.join(model, 'weights.bin'), 'weights');
      const uri = 'pkcs11:token=models;object=key?module-path=/usr/lib/softhsm/libsofthsm2.so';
      const signed = sh(
        bin,
        ['sign', 'pkcs11-key', '--pkcs11-uri', uri, '--signature', 'model.sig', model],
        work,
      );
      expect(signed.status).toBe(1);
      expect(signed.stderr).toContain(
        'pkcs11js was not built (its install script did not run); run `npm rebuild pkcs11js`',
      );
      expect(statSync(path.join(work, 'model.sig'), { throwIfNoEntry: false })).toBeUndefined();
    });

    it('the fix the PKCS #11 message names works: npm rebuild pkcs11js', async () => {
      await run('npm', ['rebuild', 'pkcs11js', '--loglevel=error'], { cwd: noScripts, env });
      const bin = path.join(noScripts, 'node_modules/.bin/model-signing');
      const model = path.join(work, 'pkcs11-model');
      // SoftHSM with no token at all: the binding loads, and then the token is not found.
      mkdirSync(path.join(work, 'tokens'));
      writeFileSync(
        path.join(work, 'softhsm2.conf'),
        `directories.tokendir = ${path.join(work, 'tokens')}\n`,
      );
      const uri = 'pkcs11:token=no-such-token;object=key?module-path=/usr/lib/softhsm/libsofthsm2.so';
      const signed = sh(
        bin,
        ['sign', 'pkcs11-key', '--pkcs11-uri', uri, '--signature', 'model.sig', model],
        work,
        {
          SOFTHSM2_CONF: path.join(work, 'softhsm2.conf'),
        },
      );
      expect(signed.status).toBe(1);
      expect(signed.stderr).not.toContain('pkcs11js');
      expect(signed.stderr).toBe(
        'Signing failed with error: Could not find a token with label no-such-token in any slots\n',
      );
    });

    it('without the prebuilt addon either, nativeEngine() says what to approve', () => {
      // As on a platform the package has no prebuilt addon for, with the install script not run.
      rmSync(path.join(noScripts, 'node_modules/@model-signing/hashing-native/prebuilds'), {
        recursive: true,
      });
      const engine = engineIn(noScripts);
      expect(engine.available).toBe(false);
      expect(engine.reason).toContain('pnpm approve-builds');
      expect(engine.reason).toContain('onlyBuiltDependencies');
      expect(engine.reason).toContain('npm approve-scripts @model-signing/hashing-native');
      const digest = sh(
        path.join(noScripts, 'node_modules/.bin/model-signing'),
        ['digest', KEY_GOLDEN],
        noScripts,
      );
      expect(digest.status, digest.stderr).toBe(0);
    });
  });
});
