import * as path from 'node:path';
import { HashingError } from './errors.js';
import { relativeInside, resolveLoosely } from './paths.js';

/** The model-relative paths ignored by default (`ignoreGitPaths`), at the top level of the model only. */
export const GIT_IGNORE_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/**
 * Expresses one configured ignore entry relative to the model: relative entries are relative to the model
 * (not the CWD) and normalised; absolute ones must lie inside the model. Entries that escape the model are
 * refused rather than silently never matching (Python's behaviour).
 */
export function toModelRelative(entry: string, modelPath: string): string {
  const posix = entry.replaceAll('\\', '/');
  if (posix === '') throw new HashingError('INVALID_ARGUMENT', 'An ignore path must not be empty');
  if (path.isAbsolute(posix)) {
    const inside =
      relativeInside(path.resolve(modelPath), posix) ??
      relativeInside(resolveLoosely(modelPath), resolveLoosely(posix));
    if (inside === null) {
      throw new HashingError(
        'INVALID_ARGUMENT',
        `Ignore path '${entry}' is outside the model '${modelPath}'`,
      );
    }
    return inside;
  }
  const normalized = path.posix.normalize(posix).replace(/\/+$/, '');
  if (normalized === '..' || normalized.startsWith('../')) {
    throw new HashingError('INVALID_ARGUMENT', `Ignore path '${entry}' is outside the model '${modelPath}'`);
  }
  return normalized === '' ? '.' : normalized;
}

/** A set of model-relative ignore paths; a path is ignored when it equals one or lies beneath one. */
export class IgnoreSet {
  readonly #entries: ReadonlySet<string>;

  /** @param entries normalised model-relative paths (`.` ignores the whole model). */
  constructor(entries: Iterable<string>) {
    this.#entries = new Set(entries);
  }

  /** The entries. */
  get entries(): readonly string[] {
    return [...this.#entries];
  }

  /**
   * True when `relative` is ignored, its parent folder being known not to be (a walk checks each folder before
   * listing it): one lookup, where {@link has} checks every ancestor (20,000 files of a model cost 35 ms that
   * way).
   */
  hasChild(relative: string): boolean {
    return this.#entries.has(relative);
  }

  /** True when the model-relative path `relative` (`.` for the model itself) is ignored. */
  has(relative: string): boolean {
    if (this.#entries.size === 0) return false;
    if (this.#entries.has('.')) return true;
    if (relative === '.') return false;
    let end = relative.indexOf('/');
    while (end !== -1) {
      if (this.#entries.has(relative.slice(0, end))) return true;
      end = relative.indexOf('/', end + 1);
    }
    return this.#entries.has(relative);
  }
}

/**
 * The CLI semantics of `--ignore-paths` and of the signature path (format spec §3.7): each path is relative to
 * the current directory, made absolute and symlink-resolved, then expressed relative to the resolved model
 * path. Paths outside the model are dropped. The result feeds `Config.setIgnoredPaths`.
 */
export function resolveCliIgnorePaths(modelPath: string, paths: Iterable<string>): string[] {
  const root = resolveLoosely(modelPath);
  const result: string[] = [];
  for (const entry of paths) {
    const inside = relativeInside(root, resolveLoosely(entry));
    if (inside !== null && !result.includes(inside)) result.push(inside);
  }
  return result;
}

/**
 * Python's `add_ignored_paths`: a relative path is relative to the model directory, an absolute one is
 * expressed relative to the model path lexically; paths outside the model are dropped.
 */
export function modelRelativeEntries(modelPath: string, paths: Iterable<string>): string[] {
  const root = path.resolve(modelPath);
  const result: string[] = [];
  for (const entry of paths) {
    const posix = entry.replaceAll('\\', '/');
    if (posix === '') throw new HashingError('INVALID_ARGUMENT', 'An ignore path must not be empty');
    const inside = relativeInside(root, path.isAbsolute(posix) ? posix : path.join(root, posix));
    if (inside !== null) result.push(inside);
  }
  return result;
}
