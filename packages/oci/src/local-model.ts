import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { HashProgress } from '@model-signing/hashing';
import { type Manifest, toHex } from '@model-signing/manifest';
import { OciError } from './errors.js';

/** Options of {@link compareLocalModel}. */
export interface LocalModelOptions {
  /** Skip files with a path component starting with `.git` (default true, as the fork). */
  readonly ignoreGitPaths?: boolean;
  /** Paths (relative to the model, or absolute) left out of the extra-file check (decisions 25). */
  readonly ignorePaths?: readonly string[];
  /** The signature file, left out of the extra-file check (decisions 25). */
  readonly signaturePath?: string;
  /** Called as the local files are hashed, with the same counts as `hashing.hash` reports. */
  readonly onProgress?: ((progress: HashProgress) => void) | undefined;
  /** Stops the comparison between reads; it then rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** What a `--local-model` comparison found. */
export interface LocalModelDiff {
  /** Signed files absent locally. */
  readonly missing: string[];
  /** Local files that are not signed. */
  readonly extra: string[];
  /** Files whose SHA-256 differs: name, signed hex, local hex. */
  readonly mismatched: { name: string; expected: string; actual: string }[];
}

/** Names the fork treats as generic (untitled) layers and skips (spec §1.10 step 1). */
function isGenericLayerName(name: string): boolean {
  return name.startsWith('layer_') && name.endsWith('.tar.gz');
}

async function sha256File(
  path: string,
  signal: AbortSignal | undefined,
  onChunk: (bytes: number) => void,
): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, signal ? { signal } : {})) {
    hash.update(chunk as Buffer);
    onChunk((chunk as Buffer).length);
  }
  return hash.digest('hex');
}

async function walk(root: string, dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, full, out);
    else if (entry.isFile()) out.push(full);
    else if (entry.isSymbolicLink()) {
      // As the fork: a link to a file counts, a link to a directory is not descended into.
      const target = await stat(full).catch(() => undefined);
      if (target?.isFile()) out.push(full);
    }
  }
}

/**
 * Compares a local directory with the files of a signed image manifest (spec §1.10): each signed name must
 * exist with the same SHA-256, and no other regular file may exist (git paths, the signature file and
 * ignore paths aside). Names that would leave the directory are refused.
 */
export async function compareLocalModel(
  dir: string,
  expected: Manifest,
  options: LocalModelOptions = {},
): Promise<LocalModelDiff> {
  const root = resolve(dir);
  const names = expected.names().filter((name) => !isGenericLayerName(name));
  if (names.length === 0) {
    throw new OciError(
      'VERIFICATION_FAILED',
      'The signature bundle does not contain file path information; --local-model needs an image whose layers are titled files',
    );
  }
  const missing: string[] = [];
  const mismatched: LocalModelDiff['mismatched'] = [];
  const present: { name: string; path: string; size: number }[] = [];
  for (const name of names) {
    const path = resolve(root, name);
    if (path !== root && !path.startsWith(root + sep)) {
      throw new OciError('VERIFICATION_FAILED', `Signed name ${name} points outside the local model`);
    }
    const info = await stat(path).catch(() => undefined);
    if (!info) missing.push(name);
    else if (info.isFile()) present.push({ name, path, size: info.size });
  }
  // Sizes are known before the first read, so progress has a total from its first report.
  const progress = {
    bytesHashed: 0,
    totalBytes: present.reduce((sum, file) => sum + file.size, 0),
    filesHashed: 0,
    totalFiles: present.length,
  };
  const report = () => options.onProgress?.({ ...progress });
  for (const { name, path } of present) {
    options.signal?.throwIfAborted();
    const item = expected.get(name)!;
    const actual = await sha256File(path, options.signal, (bytes) => {
      progress.bytesHashed += bytes;
      report();
    });
    progress.filesHashed++;
    report();
    const signed = toHex(item.digest.value);
    if (item.digest.algorithm !== 'sha256' || actual !== signed)
      mismatched.push({ name, expected: `${item.digest.algorithm}:${signed}`, actual: `sha256:${actual}` });
  }
  const signed = new Set(expected.names());
  const ignored = new Set((options.ignorePaths ?? []).map((p) => resolve(root, p)));
  if (options.signaturePath) ignored.add(resolve(options.signaturePath));
  const files: string[] = [];
  await walk(root, root, files);
  const extra: string[] = [];
  for (const file of files) {
    const rel = relative(root, file).split(sep).join('/');
    if ((options.ignoreGitPaths ?? true) && rel.split('/').some((part) => part.startsWith('.git'))) continue;
    if ([...ignored].some((p) => file === p || file.startsWith(p + sep))) continue;
    if (!signed.has(rel)) extra.push(rel);
  }
  extra.sort();
  return { missing, extra, mismatched };
}

function section(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  // Every item is listed (decisions 16), not the fork's first five.
  return [`  ${title} (${lines.length}):`, ...lines.map((line) => `    ${line}`)];
}

/**
 * The fork's failure report (spec §1.9 step 9): missing, extra and mismatched sections, each item on its own
 * line with both digests in full.
 */
export function formatDiff(diff: {
  missing: readonly string[];
  extra: readonly string[];
  mismatched: readonly { name: string; expected: string; actual: string }[];
}): string {
  return [
    ...section('Missing files', [...diff.missing]),
    ...section('Extra files', [...diff.extra]),
    ...section(
      'Hash mismatches',
      diff.mismatched.map((m) => `${m.name}: expected ${m.expected}, got ${m.actual}`),
    ),
  ].join('\n');
}
