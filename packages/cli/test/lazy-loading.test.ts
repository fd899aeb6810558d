import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceModules } from '../../../test-support/module-trace.js';
import { REPO_ROOT } from '../../../test-support/paths.js';

const entry = path.join(REPO_ROOT, 'packages/cli/dist/main.bundle.js');

describe('the CLI loads only what a command needs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-lazy-'));
    writeFileSync(path.join(dir, 'weights.bin'), 'w');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Every module URL the CLI loads, so a test can see which packages a command pulls in.
  function loaded(args: string[]): string[] {
    const trace = traceModules([entry, ...args]);
    expect(trace.status).toBe(0);
    return [...(trace.phases.start ?? [])];
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
