// Mirrors tests/hashing_config_test.py, plus the ignore-path, model-name and config-copy rules of the spec
// (format-and-behaviour §3.6, §3.7, §9.1; decision 8).
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, modelName, resolveCliIgnorePaths } from '@model-signing/hashing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeModel, pseudoRandomBytes, TempDirs } from './support.js';

const temp = new TempDirs();
const cwd = process.cwd();
afterEach(() => process.chdir(cwd));
afterAll(() => temp.cleanup());

// tests/api_test.py::populate_tmpdir
function apiModel(): string {
  const model = path.join(temp.make(), 'api_model');
  mkdirSync(model);
  writeFileSync(path.join(model, 'signme-1'), 'signme-1');
  writeFileSync(path.join(model, 'signme-2'), 'signme-2');
  writeFileSync(path.join(model, '.gitignore'), '.foo');
  return model;
}

describe('hashing_config_test', () => {
  it('test_set_ignored_paths_relative_to_model', async () => {
    const model = apiModel();
    writeFileSync(path.join(model, 'ignored'), 'x');
    const elsewhere = temp.make();
    writeFileSync(path.join(elsewhere, 'ignored'), 'y');
    process.chdir(elsewhere);
    const manifest = await new Config().setIgnoredPaths({ paths: ['ignored'] }).hash(model);
    expect(manifest.names()).toEqual(['signme-1', 'signme-2']);
  });

  it('test_blake3_shard_serialization_equals_file_serialization', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const files = await new Config().useFileSerialization({ hashingAlgorithm: 'blake3' }).hash(model);
    const shards = await new Config().useShardSerialization({ hashingAlgorithm: 'blake3' }).hash(model);
    expect(shards.resourceDescriptors()).toEqual(files.resourceDescriptors());
    expect(shards.serialization).toEqual(files.serialization);
    expect(shards.serialization.method).toBe('files');
    expect(shards.serialization.hashType).toBe('blake3');
  });

  it('test_blake3_shard_serialization_with_different_shard_sizes', async () => {
    const model = makeModel(temp.make(), 'sample_model_folder');
    const a = await new Config()
      .useShardSerialization({ hashingAlgorithm: 'blake3', shardSize: 8 })
      .hash(model);
    const b = await new Config()
      .useShardSerialization({ hashingAlgorithm: 'blake3', shardSize: 1024 })
      .hash(model);
    expect(a.resourceDescriptors()).toEqual(b.resourceDescriptors());
    expect(a.names()).not.toContain(expect.stringContaining(':'));
  });

  it('test_blake3_file_serialization_with_max_workers', async () => {
    const model = path.join(temp.make(), 'b3');
    mkdirSync(model);
    for (let i = 0; i < 6; i++)
      writeFileSync(path.join(model, `f${i}`), pseudoRandomBytes(1_500_000 + i, i + 1));
    const one = await new Config()
      .useFileSerialization({ hashingAlgorithm: 'blake3', maxWorkers: 1 })
      .hash(model);
    const four = await new Config()
      .useFileSerialization({ hashingAlgorithm: 'blake3', maxWorkers: 4 })
      .hash(model);
    expect(four.resourceDescriptors()).toEqual(one.resourceDescriptors());
    expect(one.items[0]?.digest.algorithm).toBe('blake3');
  });
});

describe('argument checks', () => {
  it('rejects shard size <= 0 and negative chunk size with Python messages', () => {
    expect(() => new Config().useShardSerialization({ shardSize: 0 })).toThrow(
      'Shard size must be strictly positive, got 0.',
    );
    expect(() => new Config().useShardSerialization({ shardSize: -5 })).toThrow(
      'Shard size must be strictly positive, got -5.',
    );
    expect(() => new Config().useFileSerialization({ chunkSize: -1 })).toThrow(
      'Chunk size must be non-negative, got -1.',
    );
    expect(() => new Config().useFileSerialization({ maxWorkers: 0 })).toThrow(/max_workers/);
  });

  it('rejects unknown algorithms with Python message', () => {
    expect(() =>
      new Config().useFileSerialization({ hashingAlgorithm: 'md5' as unknown as 'sha256' }),
    ).toThrow('Unsupported hashing method md5');
  });

  it('accepts blake2 and blake2b, recorded as blake2b', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    const a = await new Config().useFileSerialization({ hashingAlgorithm: 'blake2' }).hash(model);
    const b = await new Config()
      .useShardSerialization({ hashingAlgorithm: 'blake2b', shardSize: 8 })
      .hash(model);
    expect(a.serialization.hashType).toBe('blake2b');
    expect(a.items[0]?.digest.algorithm).toBe('blake2b');
    expect(a.items[0]?.digest.value).toHaveLength(64);
    expect(b.items[0]?.digest.algorithm).toBe('blake2b-sharded-8');
  });
});

describe('ignore paths', () => {
  it('git paths are ignored and recorded by default, at the top level only', async () => {
    const model = apiModel();
    mkdirSync(path.join(model, '.git'));
    writeFileSync(path.join(model, '.git', 'HEAD'), 'ref');
    mkdirSync(path.join(model, 'sub', '.git'), { recursive: true });
    writeFileSync(path.join(model, 'sub', '.git', 'HEAD'), 'ref');
    const manifest = await new Config().hash(model);
    expect(manifest.names()).toEqual(['signme-1', 'signme-2', 'sub/.git/HEAD']);
    expect(manifest.serialization.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
  });

  it('api_test: .gitignore is signed when git paths are not ignored', async () => {
    const manifest = await new Config()
      .setIgnoredPaths({ paths: [], ignoreGitPaths: false })
      .hash(apiModel());
    expect(manifest.names()).toEqual(['.gitignore', 'signme-1', 'signme-2']);
    expect(manifest.serialization.ignorePaths).toEqual([]);
  });

  it('records normalised, sorted, model-relative entries, existing or not', async () => {
    const model = apiModel();
    const manifest = await new Config()
      .setIgnoredPaths({ paths: ['./zeta/', 'sub/../ignored', path.join(model, 'signme-2'), 'model.sig'] })
      .hash(model);
    expect(manifest.names()).toEqual(['signme-1']);
    expect(manifest.serialization.ignorePaths).toEqual([
      '.git',
      '.gitattributes',
      '.github',
      '.gitignore',
      'ignored',
      'model.sig',
      'signme-2',
      'zeta',
    ]);
  });

  it('refuses entries outside the model', async () => {
    const model = apiModel();
    await expect(new Config().setIgnoredPaths({ paths: ['../x'] }).hash(model)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(new Config().setIgnoredPaths({ paths: ['/etc/passwd'] }).hash(model)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('ignoring . ignores the whole model', async () => {
    const manifest = await new Config().setIgnoredPaths({ paths: ['.'] }).hash(apiModel());
    expect(manifest.size).toBe(0);
    expect(manifest.serialization.ignorePaths).toContain('.');
  });

  it('a single-file model records the git names too', async () => {
    const manifest = await new Config().hash(makeModel(temp.make(), 'sample_model_file'));
    expect(manifest.serialization.ignorePaths).toEqual(['.git', '.gitattributes', '.github', '.gitignore']);
  });

  it('ignorePaths of useFileSerialization filter and are recorded', async () => {
    const manifest = await new Config().useFileSerialization({ ignorePaths: ['signme-1'] }).hash(apiModel());
    expect(manifest.names()).toEqual(['signme-2']);
    expect(manifest.serialization.ignorePaths).toContain('signme-1');
  });

  // Python's add_ignored_paths (hashing.py): relative paths are joined onto the model path, absolute ones are
  // kept when they lie under it.
  it('addIgnoredPaths: relative to the model (not the CWD), absolute as given, outside dropped, chainable', async () => {
    const model = apiModel();
    const cwd = process.cwd();
    // A CWD holding a same-named file, which must not matter.
    const elsewhere = temp.make();
    writeFileSync(path.join(elsewhere, 'signme-2'), 'not the model');
    process.chdir(elsewhere);
    try {
      const config = new Config()
        .addIgnoredPaths({ modelPath: model, paths: ['signme-1', '../elsewhere/model.sig', 'sub/../x'] })
        .addIgnoredPaths({
          modelPath: model,
          paths: [path.join(model, 'model.sig'), path.join(elsewhere, 'y')],
        });
      const manifest = await config.hash(model);
      expect(manifest.names()).toEqual(['signme-2']);
      expect(manifest.serialization.ignorePaths).toEqual([
        '.git',
        '.gitattributes',
        '.github',
        '.gitignore',
        'model.sig',
        'signme-1',
        'x',
      ]);
      // A relative model path: the entries are still relative to it.
      process.chdir(path.dirname(model));
      const relative = await new Config()
        .addIgnoredPaths({ modelPath: path.basename(model), paths: ['signme-2'] })
        .hash(path.basename(model));
      expect(relative.names()).toEqual(['signme-1']);
      expect(() => new Config().addIgnoredPaths({ modelPath: model, paths: [''] })).toThrow(
        /must not be empty/,
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('resolveCliIgnorePaths: CWD-relative, symlinks resolved, outside dropped', () => {
    const root = temp.make();
    const model = path.join(root, 'model');
    mkdirSync(path.join(model, 'sub'), { recursive: true });
    symlinkSync(model, path.join(root, 'alias'));
    process.chdir(root);
    expect(
      resolveCliIgnorePaths('model', [
        'model/ignore-me',
        'alias/sub',
        'model.sig',
        '/etc',
        './model/x/../y',
        'model',
      ]),
    ).toEqual(['ignore-me', 'sub', 'y', '.']);
    process.chdir(model);
    expect(resolveCliIgnorePaths('.', ['ignore-me', '../model.sig', 'model.sig'])).toEqual([
      'ignore-me',
      'model.sig',
    ]);
  });
});

describe('model name (format spec §3.6)', () => {
  it('uses the last component, or the resolved directory for . and ..', () => {
    const root = temp.make();
    const model = path.join(root, 'model');
    mkdirSync(path.join(model, 'subdir'), { recursive: true });
    expect(modelName('./v1.0.0-sigstore/')).toBe('v1.0.0-sigstore');
    expect(modelName('a/b/file.bin')).toBe('file.bin');
    expect(modelName('a/b/.')).toBe('b');
    process.chdir(model);
    expect(modelName('.')).toBe('model');
    expect(modelName('./')).toBe('model');
    expect(modelName('subdir/..')).toBe('model');
    expect(modelName('..')).toBe(path.basename(realpathSync(root)));
  });

  it('is the manifest model name', async () => {
    const model = makeModel(temp.make(), 'deep_model_folder');
    expect((await new Config().hash(`${model}/`)).modelName).toBe('deep_model');
    process.chdir(model);
    expect((await new Config().hash('.')).modelName).toBe('deep_model');
  });
});

describe('fromSerialization and clone', () => {
  it('reproduces a recorded serialization and manifest', async () => {
    const model = apiModel();
    writeFileSync(path.join(model, 'big'), pseudoRandomBytes(100, 3));
    const signed = await new Config()
      .useShardSerialization({ hashingAlgorithm: 'blake2', shardSize: 16 })
      .setIgnoredPaths({ paths: ['signme-2'] })
      .hash(model);
    const again = await Config.fromSerialization(signed.serialization).hash(model);
    expect(again.serialization).toEqual(signed.serialization);
    expect(again.resourceDescriptors()).toEqual(signed.resourceDescriptors());
  });

  it('honours a recorded allow_symlinks', async () => {
    const model = makeModel(temp.make(), 'symlink_model_folder', 'inside');
    const signed = await new Config().setAllowSymlinks(true).hash(model);
    const config = Config.fromSerialization(signed.serialization);
    expect(config.allowSymlinks).toBe(true);
    expect((await config.hash(model)).resourceDescriptors()).toEqual(signed.resourceDescriptors());
  });

  it('clone is independent of the original', async () => {
    const original = new Config().setIgnoredPaths({ paths: ['a'] });
    const copy = original
      .clone()
      .addIgnoredPaths({ modelPath: '.', paths: ['b'] })
      .setAllowSymlinks(true);
    copy.useShardSerialization({ shardSize: 10 });
    expect(original.ignoredPaths).toEqual(['a']);
    expect(copy.ignoredPaths).toEqual(['a', 'b']);
    expect(original.allowSymlinks).toBe(false);
    expect(original.method).toBe('files');
    expect(copy.method).toBe('shards');
  });
});

describe('ignore paths at any depth', () => {
  it('leave out the folders and files named, and everything beneath them, and nothing else', async () => {
    const model = path.join(temp.make(), 'nested');
    for (const name of ['a/b/c/deep', 'a/b/f', 'a/bb/f', 'a/x', 'd/e', 'dd', 'top']) {
      mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
      writeFileSync(path.join(model, name), name);
    }
    const names = async (paths: string[]) =>
      (await new Config().setIgnoredPaths({ paths }).hash(model)).names();
    expect(await names(['a/b', 'd'])).toEqual(['a/bb/f', 'a/x', 'dd', 'top']);
    expect(await names(['a/b/c', 'a/x', 'top'])).toEqual(['a/b/f', 'a/bb/f', 'd/e', 'dd']);
    expect(await names(['a'])).toEqual(['d/e', 'dd', 'top']);
    expect(await names(['.'])).toEqual([]);
  });
});
