import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';
import { SUPPORTED_NODE } from '../src/node-version.js';

const launcher = path.join(REPO_ROOT, 'packages/cli/bin/model-signing.js');
const projectNode = path.join(REPO_ROOT, '.tools/node/node_modules/.bin/node');

describe('the launcher in a checkout of the project', () => {
  let dir: string;
  let preload: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-launcher-'));
    // The launcher sees Node 20.20.0; the CLI it re-runs sees the real version.
    preload = path.join(dir, 'node-20.mjs');
    writeFileSync(
      preload,
      "if (/model-signing\\.js$/.test(process.argv[1] ?? '')) Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.0' } });\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('under an unsupported Node, runs the CLI with the Node of .tools/, or says in one line what is needed', () => {
    const { MODEL_SIGNING_NODE: _, ...env } = process.env;
    const result = spawnSync(process.execPath, ['--import', preload, launcher, '--version'], {
      env,
      encoding: 'utf8',
    });
    // The set-up places a Node in .tools/ only when the system Node is older than the project needs.
    if (existsSync(projectNode)) {
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/^model-signing, version \d+\.\d+\.\d+\n$/);
      expect(result.status).toBe(0);
    } else {
      expect(result.stderr).toBe(
        `model-signing: Node.js ${SUPPORTED_NODE} is required (this is v20.20.0); install a supported Node.js or set MODEL_SIGNING_NODE to one\n`,
      );
      expect(result.status).toBe(1);
    }
  });

  it('re-runs the CLI with MODEL_SIGNING_NODE and passes its exit status on', () => {
    const node = path.join(dir, 'node');
    writeFileSync(node, `#!/bin/sh\nexec '${process.execPath}' "$@"\n`, { mode: 0o755 });
    const env = { ...process.env, MODEL_SIGNING_NODE: node };
    const usage = spawnSync(process.execPath, ['--import', preload, launcher, 'verify', 'key'], {
      env,
      encoding: 'utf8',
    });
    expect(usage.stderr).toMatch(/^error: /);
    expect(usage.status).toBe(2);
    const version = spawnSync(process.execPath, ['--import', preload, launcher, '--version'], {
      env,
      encoding: 'utf8',
    });
    expect(version.stdout).toMatch(/^model-signing, version \d+\.\d+\.\d+\n$/);
    expect(version.status).toBe(0);
  });
});
