/**
 * Test helpers for OCI: which Debian tools exist, and the skip rule of the project (a missing tool may skip a
 * test only when not on CI).
 */
import { execFileSync, spawnSync } from 'node:child_process';

/** True when `command` is on PATH. */
export function hasTool(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The registry tools the OCI tests need, or why they cannot run. */
export function registryToolsMissing(): string | undefined {
  const missing = ['docker-registry', 'skopeo', 'openssl', 'htpasswd', 'tar'].filter(
    (tool) => !hasTool(tool),
  );
  if (missing.length === 0) return undefined;
  const reason = `missing Debian tools: ${missing.join(', ')} (apt-get install docker-registry skopeo openssl apache2-utils)`;
  if (process.env.CI === 'true') throw new Error(`On CI the OCI tests must run, but ${reason}`);
  return reason;
}

/** Runs a command and returns stdout; throws with stderr on failure. */
export function run(command: string, args: string[], options: { cwd?: string; input?: string } = {}): string {
  try {
    return execFileSync(command, args, {
      cwd: options.cwd,
      input: options.input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}
