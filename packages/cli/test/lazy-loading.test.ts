import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';

const entry = path.join(REPO_ROOT, 'packages/cli/dist/main.bundle.js');

// A resolve hook that prints every module URL the CLI loads, so a test can see which packages a command pulls in.
const HOOK = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    process.stderr.write('loaded ' + result.url + '\\n');
    return result;
  },
});
`;

describe('the CLI loads only what a command needs', () => {
  let dir: string;
  let hook: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-lazy-'));
    hook = path.join(dir, 'hook.mjs');
    writeFileSync(hook, HOOK);
    writeFileSync(path.join(dir, 'weights.bin'), 'w');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function loaded(args: string[]): string[] {
    const result = spawnSync(process.execPath, ['--import', hook, entry, ...args], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const output = result.stderr;
    return output
      .split('\n')
      .filter((line) => line.startsWith('loaded '))
      .map((line) => line.slice('loaded '.length));
  }

  const heavy = /packages\/(signing|verifying|oci|pkcs11|hashing)\/|@sigstore|@peculiar|undici/;

  it('--version and --help load no signing, verifying, OCI or hashing code', () => {
    for (const args of [['--version'], ['--help'], ['verify', 'key', '--help']]) {
      const modules = loaded(args);
      expect(modules.length).toBeGreaterThan(0);
      expect(modules.filter((url) => heavy.test(url))).toEqual([]);
    }
  });

  it('digest loads hashing but not the signing stack', () => {
    const modules = loaded(['digest', dir]);
    expect(modules.some((url) => url.includes('packages/hashing/'))).toBe(true);
    expect(modules.filter((url) => /packages\/(signing|verifying|oci)\/|@sigstore/.test(url))).toEqual([]);
  });

  it('digest loads the bundles, not the separate modules tsc emits', () => {
    // Each module file costs Node's loader about a millisecond; unbundled, a digest loaded some 60 of them.
    const files = [...new Set(loaded(['digest', dir]))].filter((url) => url.startsWith('file:')).sort();
    const ours = files.filter((url) => url.includes('/packages/'));
    expect(ours.filter((url) => /packages\/(manifest|hashing)\/dist\//.test(url))).toEqual([
      expect.stringMatching(/packages\/hashing\/dist\/index\.bundle\.js$/),
      expect.stringMatching(/packages\/manifest\/dist\/index\.bundle\.js$/),
    ]);
    expect(ours.filter((url) => url.includes('/packages/cli/') && !url.endsWith('.bundle.js'))).toEqual([]);
    expect(files.filter((url) => url.includes('/commander/'))).toEqual([]);
  });
});
