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

/** A hashing engine of `HashOptions.engine`. */
export type Engine = 'javascript' | 'native';

/**
 * The engines to run engine-dependent tests on: both when the native addon is built, the JavaScript one alone
 * otherwise. On CI the addon must be built (its absence would silently leave the native engine untested).
 */
export async function enginesToTest(): Promise<Engine[]> {
  const { nativeEngine } = await import('@model-signing/hashing');
  const status = await nativeEngine();
  if (!status.available && process.env.CI === 'true') {
    throw new Error(`the native hashing engine must be built on CI: ${status.reason ?? 'unknown reason'}`);
  }
  return status.available ? ['javascript', 'native'] : ['javascript'];
}

/**
 * Whether a test of `engine` with `algorithm` can run: the native engine covers BLAKE3 only when the addon was
 * built with the BLAKE3 sources (on CI it must be).
 */
export async function engineCovers(engine: Engine, algorithm: string): Promise<boolean> {
  if (engine !== 'native' || algorithm !== 'blake3') return true;
  const { nativeEngine } = await import('@model-signing/hashing');
  const { blake3 } = await nativeEngine();
  if (!blake3 && process.env.CI === 'true') throw new Error('the native engine must cover BLAKE3 on CI');
  return blake3;
}
