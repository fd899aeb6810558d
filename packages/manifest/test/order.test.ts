import {
  compareCodePoints,
  comparePaths,
  compareResources,
  fileResource,
  shardResource,
} from '@model-signing/manifest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const sortPaths = (paths: string[]) => [...paths].sort(comparePaths);

describe('canonical order (format-and-behaviour §3.5)', () => {
  it('orders by path component, not by plain string', () => {
    // Plain string order would put 'a b' and 'a.txt' before 'a/b' because ' ' and '.' are below '/'.
    expect(sortPaths(['a.txt', 'a-b/c', 'a b', 'a/b'])).toEqual(['a/b', 'a b', 'a-b/c', 'a.txt']);
    expect(sortPaths(['model.safetensors', 'model/config.json'])).toEqual([
      'model/config.json',
      'model.safetensors',
    ]);
  });

  it('is case-sensitive with upper case first', () => {
    expect(sortPaths(['b', 'a', 'B', 'A'])).toEqual(['A', 'B', 'a', 'b']);
  });

  it('orders astral characters by code point, above U+FFxx', () => {
    expect(compareCodePoints('\u{FF01}', '\u{1F600}')).toBeLessThan(0);
    // UTF-16 comparison gets this wrong: the surrogate 0xD83D is below 0xFF01.
    expect('\u{1F600}' < '\u{FF01}').toBe(true);
    expect(sortPaths(['\u{1F600}', '\u{FF01}', 'z'])).toEqual(['z', '\u{FF01}', '\u{1F600}']);
  });

  it('puts a directory prefix before longer paths', () => {
    expect(sortPaths(['d0/d1/f', 'd0', 'd0/f'])).toEqual(['d0', 'd0/d1/f', 'd0/f']);
  });

  it('orders shards of a file by numeric offsets', () => {
    const shards = [shardResource('f', 16, 24), shardResource('f', 8, 16), shardResource('f', 0, 8)];
    expect(shards.sort(compareResources).map((s) => s.start)).toEqual([0, 8, 16]);
    expect(compareResources(fileResource('a'), fileResource('b'))).toBeLessThan(0);
  });
});

describe('comparePaths agrees with the component-wise definition', () => {
  // The definition of format-and-behaviour §3.5, written the slow way: split, then compare lists.
  function byComponents(a: string, b: string): number {
    const left = a.split('/');
    const right = b.split('/');
    for (let i = 0; i < Math.min(left.length, right.length); i++) {
      const left_ = [...left[i]!].map((c) => c.codePointAt(0)!);
      const right_ = [...right[i]!].map((c) => c.codePointAt(0)!);
      for (let j = 0; j < Math.min(left_.length, right_.length); j++) {
        if (left_[j] !== right_[j]) return left_[j]! - right_[j]!;
      }
      if (left_.length !== right_.length) return left_.length - right_.length;
    }
    return left.length - right.length;
  }

  it('on random paths made of the characters that matter', () => {
    const char = fc.constantFrom('/', ' ', '-', '.', '0', 'A', 'a', 'z', '\u00e9', '\u{FF01}', '\u{1F600}');
    const pathArb = fc.array(char, { maxLength: 8 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(pathArb, pathArb, (a, b) => {
        expect(Math.sign(comparePaths(a, b))).toBe(Math.sign(byComponents(a, b)));
      }),
      { numRuns: 5000 },
    );
  });
});
