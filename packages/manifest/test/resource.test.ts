import {
  ManifestError,
  parseShardName,
  resourceName,
  shardResource,
  validateResourcePath,
} from '@model-signing/manifest';
import { describe, expect, it } from 'vitest';

describe('shard names (tests/manifest_test.py)', () => {
  it('round-trips from a shard and from a string', () => {
    const shard = shardResource('d0/f00', 0, 8);
    expect(resourceName(shard)).toBe('d0/f00:0:8');
    expect(parseShardName('d0/f00:0:8')).toEqual(shard);
    expect(resourceName(parseShardName('.:16:22'))).toBe('.:16:22');
  });

  it('takes the offsets after the last two colons so names with colons round-trip', () => {
    expect(parseShardName('a:b:0:8')).toEqual(shardResource('a:b', 0, 8));
  });

  it('rejects too few components', () => {
    expect(() => parseShardName('f:0')).toThrow(/expected 3 components separated by `:`, got f:0/);
    expect(() => parseShardName('f')).toThrow(ManifestError);
  });

  it('rejects non-integer offsets', () => {
    expect(() => parseShardName('f:x:8')).toThrow(/decimal integers/);
    expect(() => parseShardName('f:0:y')).toThrow(/decimal integers/);
    expect(() => parseShardName('f:0:8.5')).toThrow(/decimal integers/);
    expect(() => parseShardName('f:-1:8')).toThrow(/decimal integers/);
  });

  it('rejects empty or inverted ranges', () => {
    expect(() => parseShardName('f:8:8')).toThrow(/invalid shard range/);
    expect(() => parseShardName('f:9:8')).toThrow(/invalid shard range/);
  });
});

describe('resource path validation (decision 4)', () => {
  it.each([
    ['', /empty/],
    ['/etc/passwd', /absolute/],
    ['../x', /'\.\.' segment/],
    ['a/../../x', /'\.\.' segment/],
    ['a/./b', /'\.' segment/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['a//b', /empty segment/],
  ])('rejects %j', (path, message) => {
    expect(() => validateResourcePath(path)).toThrow(message);
  });

  it('accepts ordinary and single-file names', () => {
    for (const path of ['.', 'a', 'd0/d1/f0', '.gitignore', 'a b/c-d.e']) validateResourcePath(path);
  });
});
