const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * Why a file could not be read, in words a user can act on (`no such file or directory` rather than
 * `ENOENT`). Every package that reads a user's file (keys, certificates, bundles, trust configs) says it the
 * same way.
 */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code && REASONS[code]) return REASONS[code];
  return error instanceof Error ? error.message : String(error);
}
