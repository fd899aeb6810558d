import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SigningError } from '@model-signing/core';

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

/**
 * Writes `data` to `path` atomically: a temporary file in the same directory, then a rename. On failure no
 * partial file is left behind and an existing signature is kept.
 */
export async function writeAtomically(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { flag: 'wx', mode: 0o644 });
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw new SigningError(
      'WRITE_ERROR',
      `Cannot write the signature to ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
