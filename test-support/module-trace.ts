import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// A resolve hook that prints every module the process loads. module.registerHooks sees import() and require()
// alike, so a package required lazily through createRequire shows up as well.
const HOOK = `
import { registerHooks } from 'node:module';
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context);
    process.stderr.write('loaded ' + result.url + '\\n');
    return result;
  },
});
`;

/** What a traced Node process did. */
export interface ModuleTrace {
  /** The exit status. */
  readonly status: number | null;
  /** Its standard output. */
  readonly stdout: string;
  /** Its standard error without the trace lines. */
  readonly stderr: string;
  /**
   * The URLs of the modules loaded, split at each line `phase NAME` the process wrote to standard error: the
   * modules before the first marker are under `start`.
   */
  readonly phases: Readonly<Record<string, readonly string[]>>;
}

/** Runs `node args…` with the hook and returns the modules it loaded. */
export function traceModules(args: readonly string[], cwd?: string): ModuleTrace {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ms-module-trace-'));
  try {
    const hook = path.join(dir, 'hook.mjs');
    writeFileSync(hook, HOOK);
    const child = spawnSync(process.execPath, ['--import', hook, ...args], { cwd, encoding: 'utf8' });
    const phases: Record<string, string[]> = { start: [] };
    const other: string[] = [];
    let current = phases.start as string[];
    for (const line of child.stderr.split('\n')) {
      if (line.startsWith('loaded ')) current.push(line.slice('loaded '.length));
      else if (line.startsWith('phase ')) {
        current = [];
        phases[line.slice('phase '.length)] = current;
      } else other.push(line);
    }
    return { status: child.status, stdout: child.stdout, stderr: other.join('\n').trim(), phases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The package a module URL belongs to: an installed package's name, or a workspace package's directory name. */
export function packageOf(url: string): string | undefined {
  const installed = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  return installed ?? /\/packages\/([^/]+)\/(?:dist|src)\//.exec(url)?.[1];
}

/** The sorted, distinct packages of some module URLs. */
export function packagesOf(urls: readonly string[]): string[] {
  return [...new Set(urls.map(packageOf))].filter((name): name is string => name !== undefined).sort();
}
