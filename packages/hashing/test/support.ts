// Regenerates the Python tool's test models (format spec §10.1) byte for byte, and other test helpers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The shared fixtures (read-only). */
export const fixturesDir = path.resolve(repoRoot, '../shared/fixtures');
/** Python's golden files. */
export const upstreamDir = path.join(fixturesDir, 'python-upstream');

export {
  ANOTHER_MODEL_TEXT,
  KNOWN_MODEL_TEXT,
  makeUpstreamModel as makeModel,
  UPSTREAM_MODELS as MODEL_FIXTURES,
  type UpstreamModel as ModelFixture,
} from '../../../test-support/upstream-models.js';

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
