import { randomBytes } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { access, lstat, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SigningError } from '@model-signing/core';
import { throwIfAborted } from './abort.js';

/**
 * Checks, before anything is signed, that `path` can be written: its directory exists and is writable, and
 * the path is not a directory or a read-only file. Sigstore signing publishes to a transparency log, so a
 * signature that cannot be saved must be caught first.
 */
export async function checkWritable(path: string): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const fail = (why: string, cause?: unknown): never => {
    throw new SigningError('WRITE_ERROR', `Cannot write the signature to ${path}: ${why}`, { cause });
  };
  const dirStat = await stat(dir).catch((error) => fail(`directory ${dir} does not exist`, error));
  if (!dirStat.isDirectory()) fail(`${dir} is not a directory`);
  await access(dir, constants.W_OK).catch((error) => fail(`directory ${dir} is not writable`, error));
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) fail('it is a directory');
  if (existing)
    await access(target, constants.W_OK).catch((error) => fail('the file is not writable', error));
}

// `.model.sig.<12 hex>.tmp` beside `model.sig`: the temporary file of a write in progress.
const tempName = (target: string): string => `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`;

function isTempNameOf(target: string, name: string): boolean {
  const prefix = `.${basename(target)}.`;
  return (
    name.length === prefix.length + 16 &&
    name.startsWith(prefix) &&
    name.endsWith('.tmp') &&
    /^[0-9a-f]{12}$/.test(name.slice(prefix.length, prefix.length + 12))
  );
}

/**
 * How long a temporary file must have been left unmodified to count as abandoned. Age rather than the writer's
 * pid: the pid says nothing of a writer on another host or in another container sharing the directory, and
 * pids are reused. A writer modifies its file until it renames it, and writes even the largest bundle a
 * verifier accepts (256 MiB) in far less than a minute.
 */
export const STALE_TEMP_AGE_MS = 60_000;

/**
 * Removes the temporary files that writes to `path` left behind when their process was killed between the
 * write and the rename: only names of the exact pattern of `path`'s temporary files, only regular files, only
 * ones unmodified for {@link STALE_TEMP_AGE_MS}. Returns the names removed. Failures are ignored: this is
 * tidying, not part of the write.
 */
export async function removeStaleTempFiles(path: string, now: number = Date.now()): Promise<string[]> {
  const target = resolve(path);
  const dir = dirname(target);
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!isTempNameOf(target, name)) continue;
    const file = join(dir, name);
    if (pending.has(file)) continue;
    const info = await lstat(file).catch(() => undefined);
    if (!info?.isFile() || now - info.mtimeMs < STALE_TEMP_AGE_MS) continue;
    if (
      await unlink(file).then(
        () => true,
        () => false,
      )
    )
      removed.push(name);
  }
  return removed;
}

// The temporary files of the writes of this process that are not finished.
const pending = new Set<string>();

/**
 * Removes, synchronously, the temporary files of this process's unfinished writes (for a SIGINT handler, which
 * cannot wait): the destinations keep what they had. Returns how many were removed.
 */
export function abortPendingWrites(): number {
  let count = 0;
  for (const file of pending) {
    try {
      unlinkSync(file);
      count++;
    } catch {}
    pending.delete(file);
  }
  return count;
}

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, then a rename. On failure no
 * partial file is left behind and an existing signature is kept; so too when `signal` fires before the rename
 * (the call then rejects with code `ABORTED`). Temporary files of earlier writes to `path` that were killed
 * midway are removed first ({@link removeStaleTempFiles}).
 */
export async function writeAtomically(
  path: string,
  data: string | Uint8Array,
  options: { readonly signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const target = resolve(path);
  throwIfAborted(options.signal);
  await removeStaleTempFiles(target);
  const temp = join(dirname(target), tempName(target));
  pending.add(temp);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: 0o644, signal: options.signal });
    throwIfAborted(options.signal);
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (options.signal?.aborted) throwIfAborted(options.signal);
    throw new SigningError(
      'WRITE_ERROR',
      `Cannot write the signature to ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  } finally {
    pending.delete(temp);
  }
}
