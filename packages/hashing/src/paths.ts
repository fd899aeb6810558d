import { realpathSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Like `realpath`, but for paths that do not (fully) exist: resolves the longest existing prefix and appends
 * the rest, as Python's non-strict `Path.resolve()` does.
 */
export function resolveLoosely(target: string): string {
  const absolute = path.resolve(target);
  try {
    return realpathSync.native(absolute);
  } catch {
    const parent = path.dirname(absolute);
    if (parent === absolute) return absolute;
    return path.join(resolveLoosely(parent), path.basename(absolute));
  }
}

/** `child` relative to `parent` in POSIX form (`.` for the same path), or null when it is outside. */
export function relativeInside(parent: string, child: string): string | null {
  const relative = path.relative(parent, child);
  if (relative === '') return '.';
  if (path.isAbsolute(relative) || relative === '..' || relative.startsWith(`..${path.sep}`)) return null;
  return relative.split(path.sep).join('/');
}
