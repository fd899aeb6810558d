import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileErrorReason } from '@model-signing/manifest';

// Here, with the package that reads a model's files, rather than in the manifest package: that one also runs
// in browsers, which have no node:fs.

/**
 * The default limit on the size of a signature file: 256 MiB, well above the bundle of a model of a million
 * files (about 240 MB with short names; README "Limits").
 */
export const DEFAULT_MAX_SIGNATURE_BYTES = 256 * 1024 * 1024;

/** Why {@link readRegularFile} refused a file: the reason only, in words a user can act on (never its bytes). */
export class RegularFileError extends Error {
  /** `NOT_REGULAR` (a FIFO, device, socket or directory), `TOO_LARGE`, or `READ` (open or read failed). */
  readonly code: 'NOT_REGULAR' | 'TOO_LARGE' | 'READ';

  /**
   * @param code what kind of refusal.
   * @param message the reason, without the path.
   * @param cause the underlying error.
   */
  constructor(code: RegularFileError['code'], message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RegularFileError';
    this.code = code;
  }
}

// Non-blocking, so that opening a FIFO returns at once (and is then refused) instead of waiting for a writer.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Reads a whole file that must be a regular file of at most `maxBytes` bytes: the opened descriptor is checked
 * (not the path, which may change in between), and at most `maxBytes + 1` bytes are read, so a file that grows
 * or reports a wrong size (`/proc`) is refused as well. Throws a {@link RegularFileError}.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  const handle = await open(path, FLAGS).catch((error: unknown) => {
    throw new RegularFileError('READ', fileErrorReason(error), error);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      const kind = info.isDirectory()
        ? 'a directory'
        : info.isFIFO()
          ? 'a FIFO'
          : info.isSocket()
            ? 'a socket'
            : 'a device';
      throw new RegularFileError('NOT_REGULAR', `it is ${kind}, not a regular file`);
    }
    const tooLarge = () =>
      new RegularFileError('TOO_LARGE', `it is larger than the limit of ${maxBytes} bytes`);
    if (info.size > maxBytes) throw tooLarge();
    let buffer = Buffer.allocUnsafe(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw tooLarge();
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle
        .read(buffer, length, buffer.length - length, null)
        .catch((error: unknown) => {
          throw new RegularFileError('READ', fileErrorReason(error), error);
        });
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw tooLarge();
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
