import type { Resource } from './resource.js';

// Maps a UTF-16 code unit so that plain numeric comparison of the mapped units orders strings by code point:
// surrogates (astral characters) move above U+E000..U+FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** Compares two strings by Unicode code point (not by UTF-16 unit, which misorders astral characters). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Compares two POSIX paths component by component, each component by code point; a prefix sorts first. */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const left = a.split('/');
  const right = b.split('/');
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const order = compareCodePoints(left[i]!, right[i]!);
    if (order !== 0) return order;
  }
  return left.length - right.length;
}

/**
 * The canonical order of resources, which the root digest depends on: by path components, then (for shards)
 * by start and end offsets as numbers.
 */
export function compareResources(a: Resource, b: Resource): number {
  const byPath = comparePaths(a.path, b.path);
  if (byPath !== 0) return byPath;
  const aStart = a.kind === 'shard' ? a.start : -1;
  const bStart = b.kind === 'shard' ? b.start : -1;
  if (aStart !== bStart) return aStart - bStart;
  const aEnd = a.kind === 'shard' ? a.end : -1;
  const bEnd = b.kind === 'shard' ? b.end : -1;
  return aEnd - bEnd;
}
