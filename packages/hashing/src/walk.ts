import {
  closeSync,
  constants,
  type Dirent,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  type Stats,
  statSync,
} from 'node:fs';
import * as path from 'node:path';
import { compareCodePoints, validateResourcePath } from '@model-signing/manifest';
import {
  changedMessage,
  fromFsError,
  HashingError,
  notFileOrDirectoryMessage,
  symlinkMessage,
} from './errors.js';
import { CAN_NAME_DESCRIPTORS, type Confinement, type FileIdentity, type HashTask } from './file-io.js';
import type { IgnoreSet } from './ignore.js';

/** A regular file of the model that will be hashed; as a whole file (bytes 0 to EOF), also the task to do so. */
export interface ModelFile extends HashTask {
  /** The resource path: POSIX, relative to the model, `.` for a single-file model. */
  readonly relative: string;
  /** The absolute path to read (symlinks resolved). */
  readonly path: string;
  /**
   * How the file opened to hash it is checked to be this one: found as a regular file below the model root, or
   * the identity of a symlink's target (of every file where the system cannot name a descriptor's file).
   */
  readonly check: Confinement | FileIdentity;
  /** The path as the user would name it (the model path joined with `relative`), for messages. */
  readonly display: string;
  /** Size in bytes when walked; -1 when the walk did not take it (see {@link WalkOptions.needsSize}). */
  readonly size: number;
  readonly start: 0;
  readonly end: null;
}

// Where the files of one walk are, and how the user names that place.
class ModelPaths {
  readonly #prefix: string;
  readonly #displayPrefix: string;
  /** Shared by every file found here (one object, not one per file). */
  readonly confinement: Confinement;

  constructor(root: string, displayRoot: string) {
    this.confinement = { root };
    this.#prefix = root.endsWith('/') ? root : `${root}/`;
    this.#displayPrefix =
      displayRoot === '.' ? '' : displayRoot.endsWith('/') ? displayRoot : `${displayRoot}/`;
  }

  absolute(relative: string): string {
    return this.#prefix + relative;
  }

  // Plain concatenation onto the normalised model path: path.join per file is a measurable cost on large trees.
  display(relative: string): string {
    return this.#displayPrefix + relative;
  }
}

// A file found where the walk looked, not through a symlink. Its two paths are made when asked (to read it, to
// name it in an error) rather than kept: for a model of many small files, they were much of what the garbage
// collector had to copy while the threads hashed.
class FoundFile implements ModelFile {
  readonly relative: string;
  readonly size: number;
  readonly start = 0;
  readonly end = null;
  readonly #paths: ModelPaths;

  constructor(relative: string, size: number, paths: ModelPaths) {
    this.relative = relative;
    this.size = size;
    this.#paths = paths;
  }

  get path(): string {
    return this.#paths.absolute(this.relative);
  }

  get check(): Confinement {
    return this.#paths.confinement;
  }

  get display(): string {
    return this.#paths.display(this.relative);
  }
}

/** What a listed entry is (the kinds of {@link ListedEntries.kinds}). */
export const LISTED_FILE = 0;
/** A symlink. */
export const LISTED_LINK = 1;
/** Anything else that is not a directory (directories are descended into, not listed). */
export const LISTED_OTHER = 2;

/** Consecutive entries of a directory listing, in canonical order (format spec §3.5). */
export interface ListedEntries {
  /** Paths relative to the listed directory, POSIX. */
  readonly names: readonly string[];
  /** Per entry: {@link LISTED_FILE}, {@link LISTED_LINK} or {@link LISTED_OTHER}. */
  readonly kinds: Uint8Array;
  /** Per entry: the size of a regular file when the listing took it, else -1. */
  readonly sizes: Float64Array;
}

/** Why a listing ended early: a directory that could not be listed, or the listing was stopped. */
export class ListingFailure extends Error {
  /** The errno name: `EACCES`, `ENOENT`..., `ECANCELED` when stopped, `EILSEQ` for a name that is not UTF-8. */
  readonly code: string;
  /** The directory that could not be listed, relative to the listed one (`.` for itself). */
  readonly path: string;

  /** @param code the errno name; @param path the directory; @param message what the system said. */
  constructor(code: string, path: string, message: string) {
    super(message);
    this.name = 'ListingFailure';
    this.code = code;
    this.path = path;
  }
}

/**
 * Lists a model directory outside JavaScript (the native engine), far cheaper than a directory entry object per
 * file. It yields every entry below `root` in canonical order, leaving out the `ignore` paths (and what lies
 * beneath them), with the size of the first `sizedFiles` regular files; after the entries before a directory
 * that cannot be listed, it throws a {@link ListingFailure}, as it does soon after `signal` aborts. Stopping the
 * iteration early stops the listing.
 */
export type DirectoryLister = (
  root: string,
  ignore: readonly string[],
  sizedFiles: number,
  signal?: AbortSignal,
) => AsyncIterable<ListedEntries>;

/** What to walk and how. */
export interface WalkOptions {
  /**
   * Follow symlinks (decision 9): a link to a regular file is hashed with its target's content wherever it
   * points; a link to a directory adds nothing (as in Python); cycles, dangling links and links to anything
   * else fail.
   */
  readonly allowSymlinks: boolean;
  /** Model-relative paths to skip. */
  readonly ignore: IgnoreSet;
  /** Hash only these model-relative files instead of walking; missing ones are left out. */
  readonly filesToHash?: readonly string[] | undefined;
  /** Cancels the walk. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Asked before each regular file found by listing a directory: when it returns false, the file is taken on
   * the word of its directory entry (a regular file, not a link) without an lstat, and its size is -1.
   * Default: sizes are always taken.
   */
  readonly needsSize?: (() => boolean) | undefined;
  /** Told of each file found, with the running count of files and bytes. */
  readonly onFile?: ((file: ModelFile, files: number, bytes: number) => void) | undefined;
  /** Lists the model directory instead of walking it here (same order, same outcome, less work). */
  readonly lister?: DirectoryLister | undefined;
  /** With a lister: how many of the first files it takes the size of (the others are sized when needed). */
  readonly sizedFiles?: number | undefined;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new HashingError('ABORTED', 'Hashing was cancelled');
}

const OPEN_DIRECTORY = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

// The entries of the directory `absolute`, read from a descriptor checked to be that directory (where the
// system names a descriptor's file): a directory on the way swapped for a link since its parent was listed
// would otherwise list another directory's names. Files are checked again when they are opened.
function listDirectory(absolute: string, display: string): Dirent[] {
  if (!CAN_NAME_DESCRIPTORS) return readdirSync(absolute, { withFileTypes: true });
  let fd: number;
  try {
    fd = openSync(absolute, OPEN_DIRECTORY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A link where the walk saw a directory (ELOOP, or ENOTDIR with O_DIRECTORY on a link).
    const link =
      code === 'ELOOP' ||
      (code === 'ENOTDIR' && lstatSync(absolute, { throwIfNoEntry: false })?.isSymbolicLink());
    if (link) throw new HashingError('CHANGED', changedMessage(display, 'list directory'), { cause: error });
    throw error;
  }
  try {
    const where = `/proc/self/fd/${fd}`;
    if (readlinkSync(where) !== absolute) {
      throw new HashingError('CHANGED', changedMessage(display, 'list directory'));
    }
    return readdirSync(where, { withFileTypes: true });
  } finally {
    closeSync(fd);
  }
}

function identity(stats: Stats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

// Hand-written: no library walks a tree with Python's model_signing semantics (no descent into symlinked
// directories, links resolved, errors naming the path as the user gave it).
class Walker {
  readonly #modelPath: string;
  readonly #options: WalkOptions;
  #root = '';
  #paths = new ModelPaths('/', '.');
  readonly files: ModelFile[] = [];
  #bytes = 0;
  #lastBreath = performance.now();
  readonly #displayRoot: string;

  constructor(modelPath: string, options: WalkOptions) {
    this.#modelPath = modelPath;
    this.#displayRoot = path.normalize(modelPath).replace(/(.)\/+$/, '$1');
    this.#options = options;
  }

  #add(file: ModelFile): void {
    this.files.push(file);
    if (file.size > 0) this.#bytes += file.size;
    this.#options.onFile?.(file, this.files.length, this.#bytes);
  }

  #display(relative: string): string {
    return relative === '.' ? this.#modelPath : this.#paths.display(relative);
  }

  // Resolves an allowed symlink, wherever it points (a Hugging Face cache links every file to `../../blobs/`);
  // it must not dangle or loop.
  #followLink(absolute: string, display: string): { real: string; stats: Stats } {
    let real: string;
    try {
      real = realpathSync.native(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') {
        throw new HashingError(
          'SYMLINK_CYCLE',
          `Cannot use '${display}': it is a symlink that forms a cycle`,
        );
      }
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new HashingError('SPECIAL_FILE', notFileOrDirectoryMessage(display));
      }
      throw fromFsError(error, display, 'resolve');
    }
    try {
      return { real, stats: statSync(real) };
    } catch (error) {
      throw fromFsError(error, display, 'read');
    }
  }

  // Python's check (format spec §3.3) plus the confinement of links; returns the file to hash, if any.
  #visit(relative: string, absolute: string, lstats: Stats): 'directory' | 'skip' | undefined {
    const display = this.#display(relative);
    let real = absolute;
    let stats = lstats;
    if (lstats.isSymbolicLink()) {
      if (!this.#options.allowSymlinks) throw new HashingError('SYMLINK', symlinkMessage(display));
      ({ real, stats } = this.#followLink(absolute, display));
      // Symlinked directories are not descended into (Python's recursive glob does not follow them).
      if (stats.isDirectory()) return 'skip';
    }
    if (stats.isFile()) {
      // Where the descriptor of an opened file cannot be named, every file is checked by its identity.
      const found = real === absolute && absolute === this.#paths.absolute(relative);
      this.#add(
        found && CAN_NAME_DESCRIPTORS
          ? new FoundFile(relative, stats.size, this.#paths)
          : { relative, path: real, display, size: stats.size, start: 0, end: null, check: identity(stats) },
      );
      return undefined;
    }
    if (stats.isDirectory()) return 'directory';
    throw new HashingError('SPECIAL_FILE', notFileOrDirectoryMessage(display));
  }

  // Looks at an entry by its lstat, and walks into it when it is a directory.
  async #visitEntry(relative: string, absolute: string): Promise<void> {
    let stats: Stats;
    try {
      stats = lstatSync(absolute);
    } catch (error) {
      throw fromFsError(error, this.#display(relative), 'read');
    }
    if (this.#visit(relative, absolute, stats) === 'directory') await this.#walkDirectory(relative, absolute);
  }

  // The walk gives the event loop a turn every few milliseconds, so that hashing can start on the worker
  // threads (whose replies the event loop delivers) while the walk goes on.
  async #breathe(): Promise<void> {
    const now = performance.now();
    if (now - this.#lastBreath < 4) return;
    await new Promise((resolve) => setImmediate(resolve));
    this.#lastBreath = performance.now();
    checkAborted(this.#options.signal);
  }

  async #walkDirectory(relative: string, absolute: string): Promise<void> {
    checkAborted(this.#options.signal);
    await this.#breathe();
    let entries: Dirent[];
    const display = this.#display(relative);
    try {
      entries = listDirectory(absolute, display);
    } catch (error) {
      if (error instanceof HashingError) throw error;
      throw fromFsError(error, display, 'list directory');
    }
    // Entries in code-point order make the walk's order the manifest's canonical order (format spec §3.5:
    // component by component, a prefix first), so that nothing sorts the 20,000 paths of a model afterwards.
    entries.sort((a, b) => compareCodePoints(a.name, b.name));
    const needsSize = this.#options.needsSize;
    for (const entry of entries) {
      const childRelative = relative === '.' ? entry.name : `${relative}/${entry.name}`;
      // Its folder was checked before being listed.
      if (this.#options.ignore.hasChild(childRelative)) continue;
      const childAbsolute = absolute.endsWith('/') ? absolute + entry.name : `${absolute}/${entry.name}`;
      // One lstat per file is most of the walk's cost on a tree of small files; the directory entry already
      // says "regular file", and the reader opens it without following links.
      if (needsSize && CAN_NAME_DESCRIPTORS && entry.isFile() && !needsSize()) {
        this.#add(new FoundFile(childRelative, -1, this.#paths));
        continue;
      }
      await this.#visitEntry(childRelative, childAbsolute);
    }
  }

  // The same walk from a listing: regular files come with their size or none (taken here when needsSize asks),
  // anything else is looked at here as the walk looks at it.
  async #walkFromListing(lister: DirectoryLister): Promise<void> {
    const needsSize = this.#options.needsSize;
    try {
      for await (const { names, kinds, sizes } of lister(
        this.#root,
        this.#options.ignore.entries,
        this.#options.sizedFiles ?? Number.POSITIVE_INFINITY,
        this.#options.signal,
      )) {
        for (let i = 0; i < names.length; i++) {
          if ((i & 255) === 0) await this.#breathe();
          const relative = names[i]!;
          const size = sizes[i]!;
          if (kinds[i] === LISTED_FILE && (size >= 0 || !needsSize?.())) {
            this.#add(new FoundFile(relative, size, this.#paths));
            continue;
          }
          // A directory now where the listing saw something else is walked here: its entries come next anyway.
          await this.#visitEntry(relative, this.#paths.absolute(relative));
        }
      }
    } catch (error) {
      throw error instanceof ListingFailure ? this.#listingError(error) : error;
    }
  }

  #listingError(failure: ListingFailure): HashingError {
    const display = this.#display(failure.path);
    if (failure.code === 'ECANCELED') return new HashingError('ABORTED', 'Hashing was cancelled');
    // A directory swapped for a symlink (or reached through one) since its parent was listed.
    if (failure.code === 'EXDEV') {
      return new HashingError('CHANGED', changedMessage(display, 'list directory'), { cause: failure });
    }
    if (failure.code === 'EILSEQ') {
      // Node.js would read such a name with replacement characters, which name no file: the walk fails too.
      return new HashingError(
        'UNREADABLE',
        `Cannot list directory '${display}': a name in it is not valid UTF-8`,
        { cause: failure },
      );
    }
    return fromFsError(failure, display, 'list directory');
  }

  async #visitListed(names: readonly string[], single: boolean): Promise<void> {
    for (const name of names) {
      checkAborted(this.#options.signal);
      await this.#breathe();
      if (single) {
        if (name === '.' && !this.#options.ignore.has('.')) this.#visitRoot(true);
        continue;
      }
      try {
        validateResourcePath(name);
      } catch (error) {
        throw new HashingError('INVALID_ARGUMENT', (error as Error).message);
      }
      if (name === '.' || this.#options.ignore.has(name)) continue;
      const absolute = path.join(this.#root, name);
      // A file under a symlinked directory is never reached by a walk, so it is treated as missing; this also
      // keeps every read inside the model.
      const parent = path.dirname(absolute);
      let realParent: string;
      try {
        realParent = realpathSync.native(parent);
      } catch {
        continue;
      }
      if (realParent !== parent) continue;
      let stats: Stats;
      try {
        stats = lstatSync(absolute);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') continue;
        throw fromFsError(error, this.#display(name), 'read');
      }
      this.#visit(name, absolute, stats);
    }
  }

  #visitRoot(single: boolean): void {
    if (single) {
      const stats = statSync(this.#root);
      this.#add({
        relative: '.',
        path: this.#root,
        display: this.#modelPath,
        size: stats.size,
        start: 0,
        end: null,
        check: identity(stats),
      });
    }
  }

  async run(): Promise<ModelFile[]> {
    checkAborted(this.#options.signal);
    const display = this.#modelPath;
    let lstats: Stats;
    try {
      lstats = lstatSync(this.#modelPath);
    } catch (error) {
      throw fromFsError(error, display, 'read');
    }
    let root = path.resolve(this.#modelPath);
    let stats = lstats;
    if (lstats.isSymbolicLink()) {
      if (!this.#options.allowSymlinks) throw new HashingError('SYMLINK', symlinkMessage(display));
      ({ real: root, stats } = this.#followLink(root, display));
    } else {
      try {
        root = realpathSync.native(root);
      } catch (error) {
        throw fromFsError(error, display, 'resolve');
      }
    }
    this.#root = root;
    this.#paths = new ModelPaths(root, this.#displayRoot);
    if (!stats.isFile() && !stats.isDirectory()) {
      throw new HashingError('SPECIAL_FILE', notFileOrDirectoryMessage(display));
    }
    const single = stats.isFile();
    if (this.#options.filesToHash) {
      await this.#visitListed(this.#options.filesToHash, single);
    } else if (!this.#options.ignore.has('.')) {
      if (single) this.#visitRoot(true);
      else if (this.#options.lister) await this.#walkFromListing(this.#options.lister);
      else await this.#walkDirectory('.', root);
    }
    return this.files;
  }
}

/**
 * Lists the regular files of a model the way the Python tool does (format spec §3.1–§3.3), in canonical order
 * unless `filesToHash` is given, applying ignore paths and the symlink policy (decision 9). Fails on special
 * files, unreadable directories, links that dangle, loop or lead to anything but a regular file or directory,
 * and on any symlink when symlinks are not allowed. Each file says how the file opened to hash it is checked
 * to be the one found ({@link ModelFile.check}).
 */
export function walkModel(modelPath: string, options: WalkOptions): Promise<ModelFile[]> {
  return new Walker(modelPath, options).run();
}
