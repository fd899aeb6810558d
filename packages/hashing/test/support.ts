// Regenerates the Python tool's test models (format spec §10.1) byte for byte, and other test helpers.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The shared fixtures (read-only). */
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures');
/** Python's golden files. */
export const upstreamDir = path.join(fixturesDir, 'python-upstream');

export const KNOWN_MODEL_TEXT = 'This is a simple model';
export const ANOTHER_MODEL_TEXT = 'This is another simple model';

/** The seven upstream test models. */
export const MODEL_FIXTURES = [
  'sample_model_file',
  'empty_model_file',
  'sample_model_folder',
  'empty_model_folder',
  'model_folder_with_empty_file',
  'deep_model_folder',
  'symlink_model_folder',
] as const;
export type ModelFixture = (typeof MODEL_FIXTURES)[number];

/** A temporary directory removed by {@link TempDirs.cleanup}. */
export class TempDirs {
  readonly #dirs: string[] = [];

  make(prefix = 'hashing-test-'): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  cleanup(): void {
    for (const dir of this.#dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

function write(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/**
 * Creates one upstream model under `dir` and returns its model path. `symlinkTarget` places the external file
 * of `symlink_model_folder`: `outside` (as upstream: outside the model) or `inside` (in an ignored directory
 * of the model, which our symlink policy allows: decision 9).
 */
export function makeModel(
  dir: string,
  fixture: ModelFixture,
  symlinkTarget: 'outside' | 'inside' = 'outside',
): string {
  switch (fixture) {
    case 'sample_model_file': {
      const model = path.join(dir, 'file_model');
      write(model, KNOWN_MODEL_TEXT);
      return model;
    }
    case 'empty_model_file': {
      const model = path.join(dir, 'empty_file_model');
      write(model, '');
      return model;
    }
    case 'sample_model_folder': {
      const model = path.join(dir, 'sample_model');
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++)
          write(path.join(model, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
      }
      for (let i = 0; i < 4; i++) write(path.join(model, `f${i}`), `This is file f${i} in root.`);
      return model;
    }
    case 'empty_model_folder': {
      const model = path.join(dir, 'empty_folder_model');
      mkdirSync(model, { recursive: true });
      return model;
    }
    case 'model_folder_with_empty_file': {
      const model = path.join(dir, 'empty_file_inside_model');
      write(path.join(model, 'empty_file'), '');
      return model;
    }
    case 'deep_model_folder': {
      const model = path.join(dir, 'deep_model');
      for (let i = 0; i < 4; i++) write(path.join(model, 'd0/d1/d2/d3/d4', `f${i}`), `This is file f${i}.`);
      return model;
    }
    case 'symlink_model_folder': {
      const model = path.join(dir, 'symlink_model');
      mkdirSync(model, { recursive: true });
      const target =
        symlinkTarget === 'outside'
          ? path.join(dir, 'external_file')
          : path.join(model, '.git', 'external_file');
      write(target, KNOWN_MODEL_TEXT);
      symlinkSync(target, path.join(model, 'symlink_file'));
      return model;
    }
  }
}

/** True when `tool` runs. */
export function hasTool(tool: string, ...args: string[]): boolean {
  try {
    execFileSync(tool, args.length > 0 ? args : ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Skips a tool-based test only off CI (on CI the tool must be there). */
export function requireTool(tool: string): boolean {
  const present = hasTool(tool);
  if (!present && process.env.CI === 'true') throw new Error(`${tool} is required on CI`);
  return present;
}

/** The hex digest printed by `tool file` (sha256sum, b2sum, b3sum). */
export function toolDigest(tool: string, file: string): string {
  const out = execFileSync(tool, [file], { encoding: 'utf8' });
  return out.split(/\s+/)[0]!;
}

/** A deterministic pseudo-random buffer (xorshift32), for generated trees. */
export function pseudoRandomBytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < size; i++) out[i] = i & 0xff;
  return out;
}
