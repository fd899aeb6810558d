// scripts/system-deps.sh, which `npm test` runs first, against stand-ins for dpkg-query, apt-get, sudo and id
// in a PATH of their own: what it runs, and the one line it fails with when it cannot install.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';

const SCRIPT = path.join(REPO_ROOT, 'scripts/system-deps.sh');
const PACKAGES = [
  'build-essential',
  'python3',
  'librust-blake3-dev',
  'softhsm2',
  'opensc',
  'gnutls-bin',
  'docker-registry',
  'skopeo',
  'apache2-utils',
  'b3sum',
  'openssl',
  'chromium',
];

let bin: string;
afterEach(() => rmSync(bin, { recursive: true, force: true }));

/** A PATH holding only the given stand-ins (shell scripts), each logging its arguments to `calls`. */
function standIns(tools: Record<string, string>): { path: string; calls: () => string[] } {
  bin = mkdtempSync(path.join(os.tmpdir(), 'ms-system-deps-'));
  const log = path.join(bin, 'calls.log');
  writeFileSync(log, '');
  for (const [name, body] of Object.entries(tools)) {
    writeFileSync(path.join(bin, name), `#!/bin/bash\necho "${name} $*" >> '${log}'\n${body}\n`, {
      mode: 0o755,
    });
  }
  return { path: bin, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

function run(toolsPath: string) {
  return spawnSync('/bin/bash', [SCRIPT], { env: { PATH: toolsPath }, encoding: 'utf8' });
}

/** dpkg-query saying that only `installed` are installed. */
const dpkgQuery = (installed: readonly string[]) =>
  `case "$3" in ${installed.length ? installed.join('|') : '__none__'}) printf 'install ok installed' ;; *) exit 1 ;; esac`;

describe('scripts/system-deps.sh', () => {
  it('does nothing when every package is installed', () => {
    const tools = standIns({ 'dpkg-query': dpkgQuery(PACKAGES), 'apt-get': 'exit 1' });
    const result = run(tools.path);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe('');
    expect(tools.calls().filter((call) => call.startsWith('apt-get'))).toEqual([]);
  });

  it('as root, updates the package lists and then installs what is missing', () => {
    const tools = standIns({
      'dpkg-query': dpkgQuery(PACKAGES.filter((pkg) => pkg !== 'skopeo' && pkg !== 'b3sum')),
      'apt-get': 'exit 0',
      id: 'echo 0',
    });
    const result = run(tools.path);
    expect(result.status).toBe(0);
    const apt = tools.calls().filter((call) => call.startsWith('apt-get'));
    expect(apt).toEqual([
      'apt-get -o DPkg::Lock::Timeout=600 -qq update',
      'apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends skopeo b3sum',
    ]);
  });

  it('without root, uses sudo when it needs no password', () => {
    const tools = standIns({
      'dpkg-query': dpkgQuery(PACKAGES.filter((pkg) => pkg !== 'chromium')),
      'apt-get': 'exit 0',
      id: 'echo 1000',
      sudo: 'if [ "$1" = -n ] && [ "$2" = true ]; then exit 0; fi; shift; exec "$@"',
    });
    expect(run(tools.path).status).toBe(0);
    expect(tools.calls().filter((call) => call.startsWith('sudo -n apt-get'))).toHaveLength(2);
  });

  it('without root or passwordless sudo, fails in one line naming the tests that cannot run', () => {
    const tools = standIns({
      'dpkg-query': dpkgQuery(PACKAGES.filter((pkg) => pkg !== 'softhsm2' && pkg !== 'skopeo')),
      'apt-get': 'exit 0',
      id: 'echo 1000',
      sudo: 'exit 1',
    });
    const result = run(tools.path);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'system-deps: cannot install softhsm2 skopeo (not root, and sudo needs a password), so these cannot run: ' +
        'the PKCS #11 tests (a software token); the OCI tests (images pushed as other tools push them). ' +
        'Install those Debian packages and run again.\n',
    );
    expect(tools.calls().filter((call) => call.startsWith('apt-get'))).toEqual([]);
  });

  it('without apt, fails in one line too', () => {
    const tools = standIns({ 'dpkg-query': dpkgQuery(PACKAGES.filter((pkg) => pkg !== 'b3sum')) });
    const result = run(tools.path);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^system-deps: cannot install b3sum \(no apt-get on this machine\), so these cannot run: the BLAKE3 tests \(independent digests\)\. .*\n$/,
    );
  });
});
