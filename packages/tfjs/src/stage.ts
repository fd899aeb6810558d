import { mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { TfjsModelError } from './errors.js';

/** How `signedSave` treats an existing target directory. */
export interface AtomicDirectoryOptions {
  /**
   * Replace an existing directory. It is moved aside only once the new one is complete, then removed; between
   * the two renames nothing is at the path for an instant. Default false.
   */
  readonly overwrite?: boolean;
}

/** Writes `bytes` to a new `file` and flushes it to the disk, so that a completed model survives a crash. */
export async function writeDurably(file: string, bytes: Uint8Array | string): Promise<void> {
  try {
    const handle = await open(file, 'wx', 0o644);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw writeFailed(`Cannot write ${path.basename(file)} of the model`, error);
  }
}

function writeFailed(what: string, error: unknown): TfjsModelError {
  return new TfjsModelError('WRITE_FAILED', `${what}: ${(error as Error).message}`, { cause: error });
}

/**
 * Creates the directory `target` with everything `fill` writes into it, or nothing at all. `fill` gets a
 * staging directory of the same base name (so a signature made there records the model's real name), inside
 * a temporary directory beside `target` on the same file system; the staging directory is renamed into place
 * only after `fill` succeeds, and removed whatever happens.
 */
export async function writeDirectoryAtomically<T>(
  target: string,
  fill: (staging: string) => Promise<T>,
  options: AtomicDirectoryOptions = {},
): Promise<T> {
  const resolved = path.resolve(target);
  const parent = path.dirname(resolved);
  const name = path.basename(resolved);
  if (!options.overwrite && (await exists(resolved))) {
    throw new TfjsModelError(
      'TARGET_EXISTS',
      `${target} already exists; remove it, save elsewhere or pass overwrite: true`,
    );
  }
  let temporary: string;
  try {
    await mkdir(parent, { recursive: true });
    temporary = await mkdtemp(path.join(parent, `.${name}.saving-`));
  } catch (error) {
    throw writeFailed(`Cannot create a staging directory beside ${target}`, error);
  }
  try {
    const staging = path.join(temporary, name);
    await mkdir(staging).catch((error: unknown) => {
      throw writeFailed(`Cannot create a staging directory beside ${target}`, error);
    });
    const value = await fill(staging);
    await moveIntoPlace(staging, resolved, path.join(temporary, 'previous'), options.overwrite ?? false);
    return value;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

async function moveIntoPlace(
  staging: string,
  target: string,
  aside: string,
  overwrite: boolean,
): Promise<void> {
  let movedAside = false;
  try {
    if (overwrite && (await exists(target))) {
      await rename(target, aside);
      movedAside = true;
    }
    await rename(staging, target);
  } catch (error) {
    // The previous model goes back where it was: a failed save must leave the target as it found it.
    if (movedAside) await rename(aside, target).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new TfjsModelError(
        'TARGET_EXISTS',
        `${target} appeared while the model was being saved; remove it or pass overwrite: true`,
        { cause: error },
      );
    }
    throw writeFailed(`Cannot move the saved model into ${target}`, error);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    // A parent that is a file is reported by the mkdir that follows, with the path.
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    throw error;
  }
}
