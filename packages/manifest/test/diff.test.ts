// diffManifests against a direct definition (lookups by name), and the strict hex decoding of digests.
import {
  type Digest,
  diffManifests,
  fileResource,
  fromHex,
  Manifest,
  type ManifestItem,
  resourceName,
  type Serialization,
  shardResource,
} from '@model-signing/manifest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const files: Serialization = {
  method: 'files',
  hashType: 'sha256',
  allowSymlinks: false,
  ignorePaths: [],
};
const shards: Serialization = {
  method: 'shards',
  hashType: 'sha256',
  shardSize: 10,
  allowSymlinks: false,
  ignorePaths: [],
};

// The definition: every local item looked up by name among the signed ones, and the other way round.
function byDefinition(expected: ManifestItem[], actual: ManifestItem[]) {
  const signed = new Map(expected.map((item) => [resourceName(item.resource), item.digest]));
  const local = new Map(actual.map((item) => [resourceName(item.resource), item.digest]));
  const same = (a: Digest, b: Digest) =>
    a.algorithm === b.algorithm && Buffer.from(a.value).equals(Buffer.from(b.value));
  const sorted = (names: string[]) => names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    extra: sorted([...local.keys()].filter((name) => !signed.has(name))),
    missing: sorted([...signed.keys()].filter((name) => !local.has(name))),
    mismatched: sorted(
      [...local].filter(([name, d]) => signed.has(name) && !same(signed.get(name)!, d)).map(([name]) => name),
    ),
  };
}

const segment = fc.constantFrom('a', 'b', 'a b', 'é', '\u{1F600}', 'z', 'A', '0', 'x-1');
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const digest = fc.record({
  algorithm: fc.constantFrom('sha256', 'blake2b'),
  value: fc.uint8Array({ minLength: 1, maxLength: 2 }),
});

describe('diffManifests', () => {
  it('equals the definition by name for files manifests', () => {
    const side = fc.uniqueArray(fc.tuple(path, digest), { selector: ([p]) => p, maxLength: 12 });
    fc.assert(
      fc.property(side, side, (left, right) => {
        const expected = left.map(([p, d]) => ({ resource: fileResource(p), digest: d }));
        const actual = right.map(([p, d]) => ({ resource: fileResource(p), digest: d }));
        const diff = diffManifests(new Manifest('m', expected, files), new Manifest('m', actual, files));
        const want = byDefinition(expected, actual);
        expect(diff.extra).toEqual(want.extra);
        expect(diff.missing).toEqual(want.missing);
        expect(diff.mismatched.map((m) => m.name)).toEqual(want.mismatched);
        expect(diff.equal).toBe(want.extra.length + want.missing.length + want.mismatched.length === 0);
      }),
    );
  });

  it('equals the definition by name for shard manifests, and for a files manifest against a shards one', () => {
    const shard = fc.tuple(path, fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 2 }));
    const side = fc.uniqueArray(fc.tuple(shard, digest), {
      selector: ([[p, s, l]]) => `${p}:${s * 10}:${s * 10 + l}`,
      maxLength: 12,
    });
    fc.assert(
      fc.property(side, side, fc.boolean(), (left, right, mixed) => {
        const expected = left.map(([[p, s, l], d]) => ({
          resource: shardResource(p, s * 10, s * 10 + l),
          digest: d,
        }));
        const actual = right.map(([[p, s, l], d]) =>
          mixed
            ? { resource: fileResource(`${p}:${s * 10}:${s * 10 + l}`), digest: d }
            : { resource: shardResource(p, s * 10, s * 10 + l), digest: d },
        );
        const diff = diffManifests(
          new Manifest('m', expected, shards),
          new Manifest('m', actual, mixed ? files : shards),
        );
        const want = byDefinition(expected, actual);
        expect(diff.extra).toEqual(want.extra);
        expect(diff.missing).toEqual(want.missing);
        expect(diff.mismatched.map((m) => m.name)).toEqual(want.mismatched);
      }),
    );
  });
});

describe('fromHex', () => {
  it('decodes upper and lower case', () => {
    expect([...fromHex('00ffAb', 'x')]).toEqual([0, 255, 0xab]);
    expect(fromHex('', 'x')).toEqual(new Uint8Array(0));
  });

  it.each(['a', 'abc', 'zz', '0g', 'ab cd', ' ab', 'ab\n', '0x00', 'abzz00'])('rejects %j', (hex) => {
    expect(() => fromHex(hex, 'The digest of f')).toThrow(/The digest of f is not a hex string/);
  });
});

describe('Manifest names are unique', () => {
  const item = (resource: ManifestItem['resource']): ManifestItem => ({
    resource,
    digest: { algorithm: 'sha256', value: new Uint8Array(1) },
  });

  it.each([
    [
      'the same file twice, apart',
      [item(fileResource('b')), item(fileResource('a')), item(fileResource('b'))],
      files,
    ],
    ['the same shard twice', [item(shardResource('a', 0, 5)), item(shardResource('a', 0, 5))], shards],
    [
      'a file named like a shard of another',
      [item(fileResource('a:0:5')), item(shardResource('a', 0, 5))],
      shards,
    ],
  ] as const)('%s is refused', (_, items, serialization) => {
    expect(() => new Manifest('m', items, serialization)).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_RESOURCE' }),
    );
  });

  it('distinct names are kept, and found by name', () => {
    const manifest = new Manifest(
      'm',
      [item(fileResource('b')), item(fileResource('a/b')), item(fileResource('a'))],
      files,
    );
    expect(manifest.names()).toEqual(['a', 'a/b', 'b']);
    expect(manifest.get('a/b')?.resource.path).toBe('a/b');
    expect(manifest.get('c')).toBeUndefined();
  });
});
