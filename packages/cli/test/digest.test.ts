import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { FIXTURES } from '../../../test-support/paths.js';
import { createUpstreamModel, UPSTREAM_MODELS } from '../../../test-support/upstream-models.js';

const payloads = path.join(FIXTURES, 'python-upstream/payload/TestPayload');

/** The subject digest the Python tool computed for a fixture (files, SHA-256). */
function goldenRoot(fixture: string): string {
  return JSON.parse(readFileSync(path.join(payloads, fixture), 'utf8')).subject[0].digest.sha256;
}

describe('model-signing digest', () => {
  // The symlinked fixture points outside its model, which this project refuses (decision 9).
  const models = UPSTREAM_MODELS.filter((m) => m !== 'symlink_model_folder');

  it.each(models)('prints the root digest the Python goldens imply for %s', async (fixture) => {
    const model = createUpstreamModel(fixture);
    try {
      const result = await runCli(['digest', model.path]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`sha256:${goldenRoot(fixture)}\n`);
    } finally {
      model.cleanup();
    }
  });

  it('prints the shard-mode root digest the goldens imply', async () => {
    const model = createUpstreamModel('sample_model_folder');
    try {
      const result = await runCli(['digest', '--serialization', 'shards', '--shard_size', '8', model.path]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`sha256:${goldenRoot('sample_model_folder_small_shards')}\n`);
    } finally {
      model.cleanup();
    }
  });

  describe('on a small model', () => {
    let dir: string;
    let model: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-'));
      model = path.join(dir, 'model');
      mkdirSync(path.join(model, 'sub'), { recursive: true });
      writeFileSync(path.join(model, 'weights.bin'), 'weights');
      writeFileSync(path.join(model, 'sub/config.json'), '{}');
      writeFileSync(path.join(model, '.gitignore'), 'x');
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The root digest computed with sha256sum: SHA-256 over the raw per-file digests in canonical order. */
    function independentRoot(files: string[]): string {
      const digests = files.map((f) =>
        execFileSync('sha256sum', [path.join(model, f)])
          .toString()
          .slice(0, 64),
      );
      return execFileSync('sha256sum', [], { input: Buffer.from(digests.join(''), 'hex') })
        .toString()
        .slice(0, 64);
    }

    it('leaves out the git files by default and includes them with --no-ignore-git-paths', async () => {
      const plain = await runCli(['digest', model]);
      expect(plain.stdout.trim()).toBe(`sha256:${independentRoot(['sub/config.json', 'weights.bin'])}`);
      const all = await runCli(['digest', '--no_ignore_git_paths', model]);
      expect(all.stdout.trim()).toBe(
        `sha256:${independentRoot(['.gitignore', 'sub/config.json', 'weights.bin'])}`,
      );
    });

    it('resolves --ignore-paths against the current directory', async () => {
      const result = await runCli(['digest', '--ignore-paths', 'model/sub', 'model'], { cwd: dir });
      expect(result.stdout.trim()).toBe(`sha256:${independentRoot(['weights.bin'])}`);
    });

    it('prints JSON with --json', async () => {
      const result = await runCli(['digest', '--json', model]);
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout);
      expect(json.digest).toBe(`sha256:${independentRoot(['sub/config.json', 'weights.bin'])}`);
      expect(json.status).toBe('success');
      expect(json.resources).toBe(2);
      expect(json.modelName).toBe('model');
    });

    it('hashes with BLAKE3 when asked, root still SHA-256 over the digests', async () => {
      const result = await runCli(['digest', '--hash-algorithm', 'blake3', model]);
      const digests = ['sub/config.json', 'weights.bin'].map((f) =>
        execFileSync('b3sum', ['--no-names', path.join(model, f)])
          .toString()
          .trim(),
      );
      const root = execFileSync('sha256sum', [], { input: Buffer.from(digests.join(''), 'hex') })
        .toString()
        .slice(0, 64);
      expect(result.stdout.trim()).toBe(`sha256:${root}`);
    });
  });

  it('fails with one clear line for a missing path', async () => {
    const result = await runCli(['digest', '/nonexistent/model']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^Computing digest failed: .*\/nonexistent\/model/);
    expect(result.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  describe('refuses special files and unsafe links with one line', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-bad-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    async function digestFailure(model: string, ...flags: string[]) {
      const result = await runCli(['digest', ...flags, model]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      return lines[0]!;
    }

    it('a FIFO', async () => {
      const model = path.join(dir, 'fifo-model');
      mkdirSync(model);
      execFileSync('mkfifo', [path.join(model, 'pipe')]);
      expect(await digestFailure(model)).toBe(
        `Computing digest failed: Cannot use '${model}/pipe' as file or directory. It could be a special file, it could be missing, or there might be a permission issue.`,
      );
    });

    it('a symlink without --allow-symlinks (the Python message)', async () => {
      const model = path.join(dir, 'link-model');
      mkdirSync(model);
      writeFileSync(path.join(model, 'target'), 'x');
      symlinkSync('target', path.join(model, 'link'));
      expect(await digestFailure(model)).toBe(
        `Computing digest failed: Cannot use '${model}/link' because it is a symlink. Follow symlinks with --allow-symlinks (CLI) or setAllowSymlinks(true) (library).`,
      );
      const allowed = await runCli(['digest', '--allow-symlinks', model]);
      expect(allowed.code).toBe(0);
    });

    it('a symlink leaving the model, followed with --allow-symlinks (decision 9)', async () => {
      const model = path.join(dir, 'escape-model');
      mkdirSync(model);
      writeFileSync(path.join(dir, 'outside'), 'secret');
      symlinkSync(path.join(dir, 'outside'), path.join(model, 'link'));
      expect(await digestFailure(model)).toMatch(/link.*because it is a symlink/);
      expect((await runCli(['digest', '--allow-symlinks', model])).code).toBe(0);
    });

    it('a symlink cycle, even with --allow-symlinks', async () => {
      const model = path.join(dir, 'cycle-model');
      mkdirSync(model);
      symlinkSync('b', path.join(model, 'a'));
      symlinkSync('a', path.join(model, 'b'));
      expect(await digestFailure(model, '--allow-symlinks')).toMatch(
        /Computing digest failed: .*'.*cycle-model\/a'/,
      );
    });
  });

  it('rejects a non-positive shard size as a usage error', async () => {
    const result = await runCli(['digest', '--serialization', 'shards', '--shard-size', '0', '.']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--shard-size/);
  });
});

describe('global behaviour', () => {
  it('prints the version', async () => {
    const result = await runCli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^model-signing, version \d+\.\d+\.\d+/);
  });

  it('prints help and exits 2 with no command, 0 with --help', async () => {
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Usage: model-signing/);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/digest/);
  });

  it('treats unknown options and bad log levels as usage errors', async () => {
    expect((await runCli(['digest', '--bogus', '.'])).code).toBe(2);
    const level = await runCli(['--log-level', 'loud', 'digest', '.']);
    expect(level.code).toBe(2);
    expect(level.stderr).toMatch(/'loud' is not one of/);
    const env = await runCli(['digest', '.'], { env: { MODEL_SIGNING_LOG_LEVEL: 'loud' } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/MODEL_SIGNING_LOG_LEVEL/);
  });
});
