import { ManifestError } from './errors.js';

/** A whole file of the model, named by its path relative to the model (`.` for a single-file model). */
export interface FileResource {
  /** Discriminant. */
  readonly kind: 'file';
  /** POSIX path relative to the model root, or `.` when the model is one file. */
  readonly path: string;
}

/** The byte range `[start, end)` of a file of the model. */
export interface ShardResource {
  /** Discriminant. */
  readonly kind: 'shard';
  /** POSIX path of the file relative to the model root, or `.` when the model is one file. */
  readonly path: string;
  /** First byte of the shard. */
  readonly start: number;
  /** One past the last byte of the shard. */
  readonly end: number;
}

/** One resource of a manifest: a file or a shard of a file. */
export type Resource = FileResource | ShardResource;

/** A file resource. */
export function fileResource(path: string): FileResource {
  return { kind: 'file', path };
}

/** A shard resource; `start` and `end` must be non-negative integers with `start < end`. */
export function shardResource(path: string, start: number, end: number): ShardResource {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new ManifestError('INVALID_RESOURCE_NAME', `invalid shard range ${start}..${end} for '${path}'`);
  }
  return { kind: 'shard', path, start, end };
}

/** The identifier written into a manifest: `path` for files, `path:start:end` for shards. */
export function resourceName(resource: Resource): string {
  return resource.kind === 'file' ? resource.path : `${resource.path}:${resource.start}:${resource.end}`;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * Parses a shard identifier `path:start:end`. The offsets are taken after the last two colons, so a
 * path that itself contains `:` still round-trips.
 */
export function parseShardName(name: string): ShardResource {
  const last = name.lastIndexOf(':');
  const middle = last > 0 ? name.lastIndexOf(':', last - 1) : -1;
  if (last < 0 || middle < 0) {
    throw new ManifestError(
      'INVALID_RESOURCE_NAME',
      `Invalid resource name: expected 3 components separated by \`:\`, got ${name}`,
    );
  }
  const path = name.slice(0, middle);
  const startText = name.slice(middle + 1, last);
  const endText = name.slice(last + 1);
  if (!DECIMAL.test(startText) || !DECIMAL.test(endText)) {
    throw new ManifestError(
      'INVALID_RESOURCE_NAME',
      `Invalid resource name ${JSON.stringify(name)}: shard offsets must be decimal integers`,
    );
  }
  return shardResource(path, Number(startText), Number(endText));
}

/**
 * Checks that a resource path can never point outside the model: not empty, not absolute, no `.` or `..`
 * segments (except the whole path `.` of a single-file model), no backslash, no NUL.
 */
export function validateResourcePath(path: string): void {
  const bad = (why: string): never => {
    throw new ManifestError('INVALID_RESOURCE_NAME', `Invalid resource name ${JSON.stringify(path)}: ${why}`);
  };
  if (path === '.') return;
  if (path.length === 0) bad('it is empty');
  if (path.startsWith('/')) bad('it is absolute');
  if (path.includes('\\')) bad('it contains a backslash');
  if (path.includes('\0')) bad('it contains a NUL character');
  // The same as checking every segment of path.split('/'), without building anything (manifests of many files):
  // a segment is '..' or '.' when it sits between two slashes or the ends of the path.
  if (path === '..' || path.startsWith('../') || path.endsWith('/..') || path.includes('/../')) {
    bad("it contains a '..' segment");
  }
  if (path.startsWith('./') || path.endsWith('/.') || path.includes('/./')) bad("it contains a '.' segment");
  if (path.endsWith('/') || path.includes('//')) bad('it contains an empty segment');
}
