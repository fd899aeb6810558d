/** Machine-readable codes of {@link HashingError}. */
export type HashingErrorCode =
  | 'NOT_FOUND'
  | 'SYMLINK'
  | 'SPECIAL_FILE'
  | 'UNREADABLE'
  | 'SYMLINK_CYCLE'
  | 'CHANGED'
  | 'INVALID_ARGUMENT'
  | 'ABORTED'
  | 'WORKER_FAILED';

/** A model that cannot be hashed, or a hashing configuration that is invalid. */
export class HashingError extends Error {
  /** What kind of problem this is. */
  readonly code: HashingErrorCode;

  /** @param code what kind of problem; @param message one line a user can act on. */
  constructor(code: HashingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HashingError';
    this.code = code;
  }
}

/** Python's message for a path that is neither a regular file nor a directory (format spec §3.3). */
export function notFileOrDirectoryMessage(displayPath: string): string {
  return (
    `Cannot use '${displayPath}' as file or directory. It could be a special file, ` +
    'it could be missing, or there might be a permission issue.'
  );
}

/**
 * Python's message for a symlink met while symlinks are not allowed (format spec §3.3), naming this project's
 * opt-in rather than Python's parameter.
 */
export function symlinkMessage(displayPath: string): string {
  return (
    `Cannot use '${displayPath}' because it is a symlink. ` +
    'Follow symlinks with --allow-symlinks (CLI) or setAllowSymlinks(true) (library).'
  );
}

/**
 * The message for a file that is no longer the one the walk found when it is opened to be hashed (swapped for
 * a symlink, or moved through a directory that was): nothing outside the model is read in its place.
 */
export function changedMessage(displayPath: string, action = 'read'): string {
  return `Cannot ${action} '${displayPath}': it changed while it was being hashed (hash the model again once nothing modifies it)`;
}

/**
 * Turns an error of a file-system call on `displayPath` into a {@link HashingError} with a one-line message
 * naming the path and what failed.
 */
export function fromFsError(error: unknown, displayPath: string, action: string): HashingError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new HashingError('NOT_FOUND', notFileOrDirectoryMessage(displayPath), { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new HashingError('UNREADABLE', `Cannot ${action} '${displayPath}': permission denied`, {
        cause: error,
      });
    case 'ELOOP':
      return new HashingError('SYMLINK_CYCLE', `Cannot use '${displayPath}': it is part of a symlink cycle`, {
        cause: error,
      });
    default: {
      const why = error instanceof Error ? error.message : String(error);
      return new HashingError('UNREADABLE', `Cannot ${action} '${displayPath}': ${why}`, { cause: error });
    }
  }
}
