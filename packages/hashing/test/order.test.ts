// Canonical order (format spec §3.5, decision 3): per path component, by code point; checked end to end
// through the root digest, with per-file digests from sha256sum.
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import { afterAll, describe, expect, it } from 'vitest';
import { requireTool, TempDirs, toolDigest } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

// The expected order, written out by hand.
const ORDERED = [
  'A',
  'a/b',
  'a b',
  'a-b/c',
  'a.txt',
  'b',
  'model/config.json',
  'model.safetensors',
  'z/y/x',
  'z/y-',
  '\uFF01',
  '\u{1F600}',
];

describe('canonical order', () => {
  it('sorts by path components and code points, and the root digest follows that order', async () => {
    const model = path.join(temp.make(), 'order');
    // Create in a scrambled order so that directory order cannot accidentally match.
    for (const name of [...ORDERED].reverse()) {
      mkdirSync(path.dirname(path.join(model, name)), { recursive: true });
      writeFileSync(path.join(model, name), `content of ${name}`);
    }
    for (const mode of ['files', 'shards'] as const) {
      const config = new Config();
      if (mode === 'shards') config.useShardSerialization({ shardSize: 1000 });
      const manifest = await config.hash(model);
      const names = manifest.names().map((n) => (mode === 'shards' ? n.replace(/:\d+:\d+$/, '') : n));
      expect(names).toEqual(ORDERED);
      if (!requireTool('sha256sum')) continue;
      const root = createHash('sha256');
      for (const name of ORDERED)
        root.update(Buffer.from(toolDigest('sha256sum', path.join(model, name)), 'hex'));
      expect(manifest.rootDigestHex()).toBe(root.digest('hex'));
    }
  });

  it('is case-sensitive and numeric for shard offsets', async () => {
    const model = path.join(temp.make(), 'case');
    mkdirSync(model);
    writeFileSync(path.join(model, 'b'), 'x'.repeat(30));
    writeFileSync(path.join(model, 'B'), 'y');
    const manifest = await new Config().useShardSerialization({ shardSize: 5 }).hash(model);
    expect(manifest.names()).toEqual([
      'B:0:1',
      'b:0:5',
      'b:5:10',
      'b:10:15',
      'b:15:20',
      'b:20:25',
      'b:25:30',
    ]);
  });
});
