import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { CLI_BIN } from '../../../test-support/paths.js';

// `script` (util-linux) gives the CLI a real terminal, the only place a progress bar belongs.
describe('progress bar', () => {
  let dir: string;
  let model: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ms-progress-'));
    model = path.join(dir, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(96 * 1024 * 1024, 7));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is drawn on a terminal while a large model hashes, then cleared', () => {
    const output = execFileSync('script', ['-qec', `${CLI_BIN} digest ${model}`, '/dev/null']).toString();
    expect(output).toMatch(/Hashing \[[#-]{30}\] +\d+% /);
    expect(output).toMatch(/1\/1 files/);
    expect(output).toContain('\r\x1b[K');
    expect(output).toMatch(/sha256:[0-9a-f]{64}/);
  });

  it('stays silent when stderr is not a terminal', async () => {
    const result = await runCli(['digest', model]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
  });
});
