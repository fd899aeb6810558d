import * as path from 'node:path';
import { resolveLoosely } from './paths.js';

/**
 * The model name recorded as the statement's subject name (format spec §3.6): the last component of the model
 * path as given (ignoring trailing `/` and `.` components); for `.`, `..` or an empty result, the last component
 * of the absolute, symlink-resolved path. The name is informative only; verification never compares it.
 */
export function modelName(modelPath: string): string {
  const parts = modelPath.split(/[/\\]/).filter((part) => part !== '' && part !== '.');
  const last = parts.at(-1);
  if (last !== undefined && last !== '..') return last;
  return path.basename(resolveLoosely(modelPath));
}
