import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { isSupportedNode, SUPPORTED_NODE, unsupportedNodeMessage } from '../src/node-version.js';

const manifests = [
  path.join(REPO_ROOT, 'package.json'),
  ...readdirSync(path.join(REPO_ROOT, 'packages')).map((name) =>
    path.join(REPO_ROOT, 'packages', name, 'package.json'),
  ),
];

const VERSIONS = [
  '18.20.8',
  '20.20.2',
  '22.0.0',
  '22.11.0',
  '22.12.0',
  '22.22.1',
  '22.22.2',
  '22.23.0',
  '23.11.0',
  '24.0.0',
  '24.14.9',
  '24.15.0',
  '24.21.0',
  '25.9.0',
  '26.0.0',
  '27.1.2',
];

describe('the supported Node.js releases', () => {
  it('are the engines range of every package.json', () => {
    for (const file of manifests) {
      const { engines } = JSON.parse(readFileSync(file, 'utf8')) as { engines?: { node?: string } };
      expect(engines?.node, file).toBe(SUPPORTED_NODE);
    }
  });

  it('are decided as semver decides the range', () => {
    for (const version of VERSIONS) {
      expect(isSupportedNode(version), version).toBe(semver.satisfies(version, SUPPORTED_NODE));
      expect(isSupportedNode(`v${version}`), version).toBe(semver.satisfies(version, SUPPORTED_NODE));
    }
  });

  it("are those scripts/env.sh accepts before it fetches the project's own Node", () => {
    const envScript = readFileSync(path.join(REPO_ROOT, 'scripts/env.sh'), 'utf8');
    const check = /^supported_node_version\(\) \{\n[\s\S]*?\n\}\n/m.exec(envScript)?.[0];
    expect(check).toBeDefined();
    for (const version of VERSIONS) {
      const result = spawnSync('bash', ['-c', `${check}\nsupported_node_version "$1"`, 'check', version]);
      expect(result.status === 0, version).toBe(semver.satisfies(version, SUPPORTED_NODE));
    }
  });

  it('a refused Node gets one line naming the range and itself', () => {
    expect(unsupportedNodeMessage('22.11.0')).toBe(
      'model-signing: Node.js ^22.22.2 || ^24.15.0 || >=26 is required (this is v22.11.0); ' +
        'install a supported Node.js or set MODEL_SIGNING_NODE to one',
    );
    expect(unsupportedNodeMessage(process.versions.node)).toBeNull();
  });
});
