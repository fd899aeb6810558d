// Python's serializer and payload goldens (tests/_serialization/*_test.py::test_known_models*, and
// tests/_signing/signing_test.py::test_known_models_*), matched on regenerated upstream models.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import { buildStatement, type Manifest } from '@model-signing/manifest';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_FIXTURES, type ModelFixture, makeModel, TempDirs, upstreamDir } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

type Mode = 'files' | 'shards' | 'small_shards';

// The goldens were made with symlinks allowed and no ignore list. Every model is built as upstream builds it,
// symlink_model_folder included: its link leads outside the model, which the symlink policy follows with the
// opt-in (decision 9, revised for the Hugging Face cache).
function config(mode: Mode, ignoreGitPaths: boolean): Config {
  const config = new Config().setAllowSymlinks(true).setIgnoredPaths({ paths: [], ignoreGitPaths });
  if (mode === 'shards') config.useShardSerialization();
  if (mode === 'small_shards') config.useShardSerialization({ shardSize: 8 });
  return config;
}

async function hashFixture(fixture: ModelFixture, mode: Mode, ignoreGitPaths = true): Promise<Manifest> {
  return config(mode, ignoreGitPaths).hash(makeModel(temp.make(), fixture, 'outside'));
}

function serializerGolden(fixture: ModelFixture, mode: Mode): string[] {
  const file =
    mode === 'files'
      ? path.join(upstreamDir, 'serialization/file/TestSerializer', fixture)
      : path.join(
          upstreamDir,
          'serialization/file_shard/TestSerializer',
          mode === 'shards' ? fixture : `${fixture}_small_shards`,
        );
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '');
}

describe.each(['files', 'shards', 'small_shards'] as const)('serializer goldens (%s)', (mode) => {
  it.each(MODEL_FIXTURES)('test_known_models: %s', async (fixture) => {
    const manifest = await hashFixture(fixture, mode);
    const lines = manifest.resourceDescriptors().map(({ name, digest }) => `${name}:${digest}`);
    expect(lines).toEqual(serializerGolden(fixture, mode));
  });
});

function payloadGolden(fixture: ModelFixture, mode: Mode): Record<string, unknown> {
  const suffix = mode === 'files' ? '' : mode === 'shards' ? '_shard' : '_small_shards';
  return JSON.parse(
    readFileSync(path.join(upstreamDir, 'payload/TestPayload', `${fixture}${suffix}`), 'utf8'),
  );
}

// Compared as parsed JSON: key order is irrelevant and numbers compare by value (1000000000.0 == 1000000000).
describe.each(['files', 'shards', 'small_shards'] as const)('payload goldens (%s)', (mode) => {
  it.each(MODEL_FIXTURES)('test_known_models: %s', async (fixture) => {
    const golden = payloadGolden(fixture, mode) as unknown as ReturnType<typeof buildStatement>;
    // Without the git defaults the statement is exactly the golden (no ignore_paths recorded).
    const statement = JSON.parse(JSON.stringify(buildStatement(await hashFixture(fixture, mode, false))));
    expect(statement).toEqual(golden);
  });
});

describe('worked root digests (format spec §2.4)', () => {
  it('sample_model_file', async () => {
    const manifest = await hashFixture('sample_model_file', 'files');
    expect(manifest.rootDigestHex()).toBe('002d162f867c5eee944e5080d25829b6625be0e3f081f6fbafc7dd655ca2e178');
  });

  it('a single empty file', async () => {
    const manifest = await hashFixture('empty_model_file', 'files');
    expect(manifest.rootDigestHex()).toBe('5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456');
  });

  it('scripts/tests/v1.1.0-elliptic-key (the shared signature fixture, read in place)', async () => {
    const model = path.join(upstreamDir, 'signatures/v1.1.0-elliptic-key');
    const manifest = await new Config().setIgnoredPaths({ paths: ['ignore-me', 'model.sig'] }).hash(model);
    expect(manifest.names()).toEqual(['signme-1', 'signme-2']);
    expect(manifest.rootDigestHex()).toBe('92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4');
  });

  it('an empty model', async () => {
    const manifest = await hashFixture('empty_model_folder', 'files');
    expect(manifest.rootDigestHex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
