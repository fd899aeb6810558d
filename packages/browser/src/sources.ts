import { ManifestError, validateResourcePath } from '@model-signing/manifest';
import { fail } from './errors.js';

/**
 * One file of a model: its bytes as a `Blob` (a `File`), a `Response`, a URL to fetch (a string or `URL`,
 * relative to the page), or a function giving a `Blob` or `Response` when the file is about to be hashed (so
 * that a web app downloads each file only then). Responses are read as streams.
 */
export type FileSource = Blob | Response | string | URL | (() => Promise<Blob | Response>);

/**
 * A model: the `FileList` of an `<input type="file" webkitdirectory>` (or its files), a
 * `FileSystemDirectoryHandle` from `showDirectoryPicker()`, one `Blob` (a single-file model), the model's
 * files by model-relative name (`dir/file`, `/`-separated), or the `URL` of a model on a web server: a folder
 * (ending in `/`) whose files are the ones the signature names, fetched from below it, or a single file.
 */
export type ModelInput =
  | URL
  | FileList
  | readonly File[]
  | FileSystemDirectoryHandle
  | Blob
  | ReadonlyMap<string, FileSource>
  | Readonly<Record<string, FileSource>>;

/** A model's files, listed. */
export interface ModelFiles {
  /** The model name: the folder's name, the file's name, or the one given. */
  readonly modelName: string;
  /** A single-file model: its one resource is named `.` and ignore paths do not apply. */
  readonly single: boolean;
  /** The files, by model-relative name. */
  readonly files: ReadonlyMap<string, FileSource>;
  /** The files were named by the signature (a model on a web server): one the server lacks is missing. */
  readonly absentIfNotFound?: boolean;
}

function checkedName(name: string): string {
  try {
    validateResourcePath(name);
  } catch (error) {
    if (error instanceof ManifestError)
      fail('HASHING_ERROR', `Cannot hash the model: ${error.message}`, error);
    throw error;
  }
  return name;
}

function isDirectoryHandle(input: unknown): input is FileSystemDirectoryHandle {
  return typeof FileSystemDirectoryHandle !== 'undefined' && input instanceof FileSystemDirectoryHandle;
}

async function walkHandle(dir: FileSystemDirectoryHandle, prefix: string, out: Map<string, FileSource>) {
  for await (const handle of dir.values()) {
    const name = `${prefix}${handle.name}`;
    if (handle.kind === 'directory') await walkHandle(handle as FileSystemDirectoryHandle, `${name}/`, out);
    else {
      const file = handle as FileSystemFileHandle;
      out.set(checkedName(name), () => file.getFile());
    }
  }
}

// Files picked with webkitdirectory are named `<folder>/<path>`: the folder is the model.
function fromFiles(files: readonly File[], modelName: string | undefined): ModelFiles {
  const first = files[0];
  if (files.length === 1 && first && !first.webkitRelativePath) {
    return { modelName: modelName ?? first.name, single: true, files: new Map([['.', first]]) };
  }
  const map = new Map<string, FileSource>();
  let folder: string | undefined;
  for (const file of files) {
    const relative = file.webkitRelativePath;
    if (!relative) {
      map.set(checkedName(file.name), file);
      continue;
    }
    const slash = relative.indexOf('/');
    const top = relative.slice(0, slash);
    if (folder !== undefined && top !== folder) {
      fail(
        'CONFIG_ERROR',
        `The files come from two folders, '${folder}' and '${top}': pick one model folder`,
      );
    }
    folder = top;
    map.set(checkedName(relative.slice(slash + 1)), file);
  }
  return { modelName: modelName ?? folder ?? 'model', single: false, files: map };
}

// A folder on a web server cannot be listed: its files are the ones the signature names, below the URL.
function fromUrl(url: URL, signedPaths: readonly string[], modelName: string | undefined): ModelFiles {
  const segments = url.pathname.split('/').filter(Boolean);
  const name = modelName ?? decodeURIComponent(segments.at(-1) ?? url.hostname);
  if (!url.pathname.endsWith('/')) {
    return { modelName: name, single: true, files: new Map([['.', url]]), absentIfNotFound: true };
  }
  const files = new Map<string, FileSource>(
    signedPaths
      .filter((path) => path !== '.')
      .map((path) => [checkedName(path), new URL(path.split('/').map(encodeURIComponent).join('/'), url)]),
  );
  return { modelName: name, single: false, files, absentIfNotFound: true };
}

/**
 * Lists a model's files (a directory handle is walked here; nothing is read). `signedPaths` are the files the
 * signature names: the files of a model given by URL.
 */
export async function listModel(
  input: ModelInput,
  modelName: string | undefined,
  signedPaths: readonly string[],
): Promise<ModelFiles> {
  if (input instanceof URL) return fromUrl(input, signedPaths, modelName);
  if (typeof FileList !== 'undefined' && input instanceof FileList) return fromFiles([...input], modelName);
  if (Array.isArray(input)) return fromFiles(input as readonly File[], modelName);
  if (input instanceof Blob) {
    const name = modelName ?? (input instanceof File ? input.name : 'model');
    return { modelName: name, single: true, files: new Map([['.', input]]) };
  }
  if (isDirectoryHandle(input)) {
    const files = new Map<string, FileSource>();
    await walkHandle(input, '', files);
    return { modelName: modelName ?? input.name, single: false, files };
  }
  const entries = input instanceof Map ? [...input] : Object.entries(input as Record<string, FileSource>);
  const files = new Map(entries.map(([name, source]) => [checkedName(name), source] as const));
  const single = files.size === 1 && files.has('.');
  return { modelName: modelName ?? 'model', single, files };
}
