// Mirrors tests/_serialization/file_test.py and file_shard_test.py (behaviour, not goldens).
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, HashingError } from '@model-signing/hashing';
import { diffManifests, type Manifest } from '@model-signing/manifest';
import { afterAll, describe, expect, it } from 'vitest';
import { makeModel, TempDirs } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

type Mode = 'files' | 'shards';

function config(mode: Mode, extra: { maxWorkers?: number } = {}): Config {
  const config = new Config().setIgnoredPaths({ paths: [], ignoreGitPaths: false });
  return mode === 'files'
    ? config.useFileSerialization(extra)
    : config.useShardSerialization({ shardSize: 8, ...extra });
}

// Digests without the names, in manifest order.
const digests = (manifest: Manifest) => manifest.resourceDescriptors().map((d) => d.digest);
const names = (manifest: Manifest) => manifest.names();

describe.each(['files', 'shards'] as const)('%s serialization', (mode) => {
  it('test_file_manifest_unchanged_when_model_moved', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    const before = await config(mode).hash(model);
    const moved = path.join(temp.make(), 'elsewhere');
    renameSync(model, moved);
    const after = await config(mode).hash(moved);
    expect(diffManifests(before, after).equal).toBe(true);
  });

  it('test_file_manifest_changes_if_content_changes', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    const before = await config(mode).hash(model);
    writeFileSync(model, 'This is a different model');
    const after = await config(mode).hash(model);
    expect(diffManifests(before, after).equal).toBe(false);
  });

  it('test_directory_model_with_only_known_file', async () => {
    const fileModel = makeModel(temp.make(), 'sample_model_file');
    const dir = path.join(temp.make(), 'dir_model');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'file_model'), 'This is a simple model');
    const asFile = await config(mode).hash(fileModel);
    const asDir = await config(mode).hash(dir);
    expect(digests(asDir)).toEqual(digests(asFile));
    expect(names(asFile).every((n) => n.startsWith('.'))).toBe(true);
    expect(names(asDir).every((n) => n.startsWith('file_model'))).toBe(true);
  });

  it('test_folder_model_hash_is_same_if_model_is_moved', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    const moved = path.join(temp.make(), 'moved_model');
    renameSync(model, moved);
    const after = await config(mode).hash(moved);
    expect(diffManifests(before, after).equal).toBe(true);
    expect(after.rootDigestHex()).toBe(before.rootDigestHex());
  });

  it('test_folder_model_empty_folder_not_included', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    mkdirSync(path.join(model, 'empty_dir'));
    mkdirSync(path.join(model, 'd0', 'nested_empty', 'deeper'), { recursive: true });
    const after = await config(mode).hash(model);
    expect(diffManifests(before, after).equal).toBe(true);
  });

  it(
    mode === 'files'
      ? 'test_folder_model_empty_file_gets_included'
      : 'test_folder_model_empty_file_not_included',
    async () => {
      const model = makeModel(temp.make(), 'sample_model_folder');
      const before = await config(mode).hash(model);
      writeFileSync(path.join(model, 'empty_file'), '');
      const after = await config(mode).hash(model);
      if (mode === 'files') {
        expect(diffManifests(before, after).extra).toEqual(['empty_file']);
        expect(after.get('empty_file')?.digest.algorithm).toBe('sha256');
      } else {
        expect(diffManifests(before, after).equal).toBe(true);
      }
    },
  );

  it('test_folder_model_rename_file_only_changes_path_part', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    renameSync(path.join(model, 'd0', 'f00'), path.join(model, 'd0', 'g00'));
    const after = await config(mode).hash(model);
    const diff = diffManifests(before, after);
    expect(diff.mismatched).toEqual([]);
    expect(diff.missing.every((n) => n.startsWith('d0/f00'))).toBe(true);
    expect(diff.extra.every((n) => n.startsWith('d0/g00'))).toBe(true);
    expect([...digests(after)].sort()).toEqual([...digests(before)].sort());
  });

  it('test_folder_model_rename_dir_only_changes_path_part', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    renameSync(path.join(model, 'd0'), path.join(model, 'e0'));
    const after = await config(mode).hash(model);
    const diff = diffManifests(before, after);
    expect(diff.mismatched).toEqual([]);
    expect(diff.missing.length).toBeGreaterThan(0);
    expect(diff.missing.every((n) => n.startsWith('d0/'))).toBe(true);
    expect(diff.extra.every((n) => n.startsWith('e0/'))).toBe(true);
    expect([...digests(after)].sort()).toEqual([...digests(before)].sort());
  });

  it('test_folder_model_replace_file_empty_folder', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    rmSync(path.join(model, 'f0'));
    mkdirSync(path.join(model, 'f0'));
    const after = await config(mode).hash(model);
    const diff = diffManifests(before, after);
    expect(diff.missing.every((n) => n === 'f0' || n.startsWith('f0:'))).toBe(true);
    expect(diff.missing.length).toBeGreaterThan(0);
    expect(diff.extra).toEqual([]);
  });

  it('test_folder_model_change_file', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const before = await config(mode).hash(model);
    writeFileSync(path.join(model, 'd1', 'f12'), 'This is file f12 in d2.');
    const after = await config(mode).hash(model);
    const diff = diffManifests(before, after);
    expect(diff.mismatched.map((m) => m.name)).toEqual(mode === 'files' ? ['d1/f12'] : ['d1/f12:16:23']);
  });

  it('test_max_workers_does_not_change_digest', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const one = await config(mode, { maxWorkers: 1 }).hash(model);
    const two = await config(mode, { maxWorkers: 2 }).hash(model);
    const many = await config(mode, { maxWorkers: 7 }).hash(model);
    expect(two.resourceDescriptors()).toEqual(one.resourceDescriptors());
    expect(many.resourceDescriptors()).toEqual(one.resourceDescriptors());
  });

  it('test_symlinks_disallowed_by_default', async () => {
    const model = makeModel(temp.make(), 'symlink_model_folder');
    const error = await config(mode)
      .hash(model)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HashingError);
    expect((error as HashingError).code).toBe('SYMLINK');
    expect((error as HashingError).message).toBe(
      // Python's message, naming this project's opt-in instead of Python's parameter.
      `Cannot use '${path.join(model, 'symlink_file')}' because it is a symlink. Follow symlinks with --allow-symlinks (CLI) or setAllowSymlinks(true) (library).`,
    );
  });

  it('test_set_allow_symlinks_updates_manifest', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    writeFileSync(path.join(model, 'target'), 'linked content');
    symlinkSync(path.join(model, 'target'), path.join(model, 'link'));
    await expect(config(mode).hash(model)).rejects.toMatchObject({ code: 'SYMLINK' });
    const manifest = await config(mode).setAllowSymlinks(true).hash(model);
    const linkNames = names(manifest).filter((n) => n === 'link' || n.startsWith('link:'));
    const targetNames = names(manifest).filter((n) => n === 'target' || n.startsWith('target:'));
    expect(linkNames.length).toBeGreaterThan(0);
    // The link is hashed with its target's content under its own name.
    expect(linkNames.map((n) => manifest.get(n)?.digest.value)).toEqual(
      targetNames.map((n) => manifest.get(n)?.digest.value),
    );
    expect(manifest.serialization.allowSymlinks).toBe(true);
  });

  it('test_ignore_list_respects_directories', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const manifest = await config(mode)
      .setIgnoredPaths({ paths: ['d0'] })
      .hash(model);
    expect(names(manifest).some((n) => n.startsWith('d0/'))).toBe(false);
    expect(names(manifest).some((n) => n.startsWith('d1/'))).toBe(true);
    expect(manifest.serialization.ignorePaths).toEqual([
      '.git',
      '.gitattributes',
      '.github',
      '.gitignore',
      'd0',
    ]);
  });

  it('test_ignored_symlinks_dont_raise_error', async () => {
    const model = makeModel(temp.make(), 'symlink_model_folder');
    const manifest = await config(mode)
      .setIgnoredPaths({ paths: ['symlink_file'] })
      .hash(model);
    expect(manifest.size).toBe(0);
  });

  it('ignored special files do not raise', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(model, 'pipe')]);
    const manifest = await config(mode)
      .setIgnoredPaths({ paths: ['pipe'] })
      .hash(model);
    expect(manifest.size).toBeGreaterThan(0);
  });
});

describe('shards', () => {
  it('test_shard_to_string and shard ranges', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    const manifest = await config('shards').hash(model);
    expect(manifest.names()).toEqual(['.:0:8', '.:8:16', '.:16:22']);
    expect(manifest.items[0]?.digest.algorithm).toBe('sha256-sharded-8');
  });

  it('shard offsets sort numerically (f:8:16 before f:16:24)', async () => {
    const dir = path.join(temp.make(), 'm');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'f'), 'x'.repeat(100));
    const manifest = await config('shards').hash(dir);
    expect(manifest.names().slice(0, 3)).toEqual(['f:0:8', 'f:8:16', 'f:16:24']);
    expect(manifest.names().at(-1)).toBe('f:96:100');
  });
});
