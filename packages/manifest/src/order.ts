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

// In component-wise order a path that ends, or whose component ends ('/'), sorts before any longer component;
// so a single pass over both strings, with '/' ranked below every character and the end below '/', gives the
// component order without splitting strings (sorting manifests of many files compares paths a lot).
const SLASH = 0x2f;
const SLASH_RANK = -1;
const END_RANK = -2;

/** Compares two POSIX paths component by component, each component by code point; a prefix sorts first. */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = i < a.length ? a.charCodeAt(i) : -1;
    const y = i < b.length ? b.charCodeAt(i) : -1;
    if (x === y) continue;
    const rank = (unit: number) => (unit < 0 ? END_RANK : unit === SLASH ? SLASH_RANK : codePointRank(unit));
    return rank(x) - rank(y);
  }
  return 0;
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
