// Measures what a verify-only user gets: packs the workspace packages @model-signing/verifying needs with
// `pnpm pack`, `npm install`s the tarballs into a scratch project outside the workspace, and reports the number
// of installed packages, their size on disk, the time `import('@model-signing/verifying')` takes and the wall
// time of the installed CLI's `verify key` on an 8 KB model (medians of several runs, with the fastest run and
// the CPU time, which a busy machine disturbs less).
//
// Usage: node scripts/measure-verify-install.mjs [--runs N] [--json] [--keep] [--root DIR]
//   --root DIR  measure another checkout (for a before/after comparison); default this one, which must be built.
//   --keep      leave the scratch projects in place and print where they are.
//
// The counting is exported (countInstalledPackages, diskUsage, installFootprint) for tests that assert the bounds.
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The installed packages under a `node_modules` directory: every directory holding a package.json, scoped ones
 * (`@scope/name`) and nested `node_modules` included, as `npm ls --all --parseable` would list them. Returns the
 * package directories relative to `nodeModules`, sorted.
 */
export function countInstalledPackages(nodeModules) {
  const found = [];
  const visit = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // .bin, .package-lock.json, .cache
      const full = path.join(dir, entry.name);
      if (!entry.isDirectory()) continue;
      if (entry.name.startsWith('@')) {
        visit(full);
        continue;
      }
      if (isFile(path.join(full, 'package.json'))) found.push(path.relative(nodeModules, full));
      visit(path.join(full, 'node_modules'));
    }
  };
  visit(nodeModules);
  return found.sort();
}

function isFile(file) {
  try {
    return lstatSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Size of a directory tree: `bytes` is its apparent size (what `du -sbl` says: the sizes of its files and
 * directories), `diskBytes` the blocks allocated to them (what `du -s` says, which depends on the file system).
 */
export function diskUsage(dir) {
  let bytes = lstatSync(dir).size;
  let diskBytes = lstatSync(dir).blocks * 512;
  const visit = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const stat = lstatSync(full);
      bytes += stat.size;
      diskBytes += stat.blocks * 512;
      if (entry.isDirectory()) visit(full);
    }
  };
  visit(dir);
  return { bytes, diskBytes };
}

/** Package count and size of a project's `node_modules`. */
export function installFootprint(projectDir) {
  const nodeModules = path.join(projectDir, 'node_modules');
  const packages = countInstalledPackages(nodeModules);
  return { packages: packages.length, names: packages, ...diskUsage(nodeModules) };
}

function manifestOf(root, name) {
  return JSON.parse(readFileSync(path.join(root, 'packages', name, 'package.json'), 'utf8'));
}

/**
 * The workspace packages (directory names under packages/) that `names` need when installed: their dependencies
 * and optional dependencies on `@model-signing/*`, transitively. Optional peers are left out, as npm does.
 */
export function workspaceClosure(root, names) {
  const all = new Set();
  const add = (name) => {
    if (all.has(name)) return;
    all.add(name);
    const manifest = manifestOf(root, name);
    for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
      if (dependency.startsWith('@model-signing/')) add(dependency.slice('@model-signing/'.length));
    }
  };
  for (const name of names) add(name);
  return [...all];
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Packs each workspace package with `pnpm pack` (workspace: ranges become versions) into `destination`. */
export function packPackages(root, names, destination) {
  mkdirSync(destination, { recursive: true });
  return names.map((name) => {
    const before = new Set(readdirSync(destination));
    run('pnpm', ['pack', '--pack-destination', destination], { cwd: path.join(root, 'packages', name) });
    const made = readdirSync(destination).filter((file) => !before.has(file) && file.endsWith('.tgz'));
    if (made.length !== 1) throw new Error(`pnpm pack of ${name} made ${made.length} tarballs`);
    return path.join(destination, made[0]);
  });
}

/** A scratch project outside the workspace with `tarballs` installed by npm (from the registry for the rest). */
export function installTarballs(tarballs, projectDir) {
  mkdirSync(projectDir, { recursive: true });
  writeFileSync(
    path.join(projectDir, 'package.json'),
    `${JSON.stringify({ name: 'verify-only-user', version: '1.0.0', private: true, type: 'module' })}\n`,
  );
  const started = process.hrtime.bigint();
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: projectDir });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * What a verify-only user gets: packs `@model-signing/verifying` and the workspace packages it needs from the
 * checkout at `root` and installs them with npm into `projectDir`. Returns the footprint and the packages packed.
 */
export function installVerifyOnly(root, projectDir) {
  const names = workspaceClosure(root, ['verifying']);
  const tarballs = packPackages(
    root,
    names,
    path.join(projectDir, '..', `${path.basename(projectDir)}-tarballs`),
  );
  const installSeconds = installTarballs(tarballs, projectDir);
  return {
    workspacePackages: names.map((name) => `@model-signing/${name}`),
    installSeconds,
    ...installFootprint(projectDir),
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

// Prints the process's CPU time (all threads) at exit: on a busy machine wall time mostly measures the others.
const CPU_REPORTER = `data:text/javascript,process.on('exit', () => { const u = process.cpuUsage(); process.stderr.write('\\ncpu-us=' + (u.user + u.system) + '\\n'); });`;

/**
 * Runs `node args…` `runs` times in `cwd` (after one untimed warm-up run) and returns the median and the
 * fastest wall time, and the median CPU time, in seconds.
 */
function timeNode(args, cwd, runs) {
  const once = () => {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, ['--import', CPU_REPORTER, ...args], {
      cwd,
      encoding: 'utf8',
    });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) {
      throw new Error(`node ${args.join(' ')} failed (${result.status}): ${result.stderr.trim()}`);
    }
    const cpu = Number(/cpu-us=(\d+)/.exec(result.stderr)?.[1] ?? Number.NaN) / 1e6;
    return { wall, cpu };
  };
  once();
  const samples = Array.from({ length: runs }, once);
  const walls = samples.map((sample) => sample.wall);
  return {
    median: median(walls),
    fastest: Math.min(...walls),
    cpu: median(samples.map((sample) => sample.cpu)),
  };
}

function parseArgs(argv) {
  const options = { runs: 7, json: false, keep: false, root: HERE_ROOT };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--runs') options.runs = Number(argv[++i]);
    else if (arg === '--root') options.root = path.resolve(argv[++i]);
    else {
      console.error(`measure-verify-install: unknown option ${arg}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.runs) || options.runs < 1) {
    console.error('measure-verify-install: --runs needs a positive whole number');
    process.exit(2);
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(path.join(tmpdir(), 'model-signing-verify-install-'));
  try {
    const verifyNames = workspaceClosure(options.root, ['verifying']);
    const cliNames = workspaceClosure(options.root, ['cli']);
    const names = [...new Set([...verifyNames, ...cliNames])];
    const packed = packPackages(options.root, names, path.join(scratch, 'tarballs'));
    const tarballOf = (name) => packed[names.indexOf(name)];

    // Node's own start-up under the same conditions, to read the others against on a busy machine.
    const bareTimes = timeNode(['-e', '0'], scratch, options.runs);
    const verifyProject = path.join(scratch, 'verify-only');
    const installSeconds = installTarballs(verifyNames.map(tarballOf), verifyProject);
    const footprint = installFootprint(verifyProject);
    const importTimes = timeNode(
      ['--input-type=module', '-e', "await import('@model-signing/verifying')"],
      verifyProject,
      options.runs,
    );

    // The CLI is installed on its own (it brings signing too), to time `verify key` as a user runs it.
    const cliProject = path.join(scratch, 'cli');
    installTarballs(cliNames.map(tarballOf), cliProject);
    const cli = path.join(cliProject, 'node_modules', '@model-signing', 'cli', 'dist', 'main.bundle.js');
    const model = path.join(scratch, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), randomBytes(8192));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path.join(scratch, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(scratch, 'key.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    const signature = path.join(scratch, 'model.sig');
    run(process.execPath, [cli, 'sign', 'key', '--private-key', 'key.pem', '--signature', signature, model], {
      cwd: scratch,
    });
    const verifyArgs = [cli, 'verify', 'key', '--public-key', 'key.pub.pem', '--signature', signature, model];
    const verifyKeyTimes = timeNode(verifyArgs, scratch, options.runs);

    const result = {
      root: options.root,
      node: process.version,
      runs: options.runs,
      verifyOnlyPackages: verifyNames.map((name) => `@model-signing/${name}`),
      installedPackages: footprint.packages,
      bytes: footprint.bytes,
      diskBytes: footprint.diskBytes,
      installSeconds,
      importSeconds: importTimes.median,
      importFastestSeconds: importTimes.fastest,
      importCpuSeconds: importTimes.cpu,
      verifyKeySeconds: verifyKeyTimes.median,
      verifyKeyFastestSeconds: verifyKeyTimes.fastest,
      verifyKeyCpuSeconds: verifyKeyTimes.cpu,
      bareNodeSeconds: bareTimes.median,
      bareNodeCpuSeconds: bareTimes.cpu,
      loadAverage: loadavg()[0],
    };
    if (options.json) {
      console.log(JSON.stringify({ ...result, names: footprint.names }, null, 2));
    } else {
      const mb = (bytes) => (bytes / 1e6).toFixed(1);
      console.log(`workspace packages installed: ${result.verifyOnlyPackages.join(', ')}`);
      console.log(`installed packages:          ${result.installedPackages}`);
      console.log(
        `size:                        ${mb(result.bytes)} MB (du -sbl; ${mb(result.diskBytes)} MB allocated)`,
      );
      console.log(`npm install:                 ${installSeconds.toFixed(1)} s`);
      const ms = (times) =>
        `${(times.median * 1000).toFixed(0)} ms median, ${(times.fastest * 1000).toFixed(0)} ms fastest, ` +
        `${(times.cpu * 1000).toFixed(0)} ms CPU`;
      console.log(`import verifying:            ${ms(importTimes)}`);
      console.log(`CLI verify key of 8 KB:      ${ms(verifyKeyTimes)}`);
      console.log(`node -e 0 (for comparison):  ${ms(bareTimes)}`);
      console.log(
        `load average:                ${result.loadAverage.toFixed(1)} (${options.runs} runs each)`,
      );
    }
    if (options.keep) console.error(`kept: ${scratch}`);
  } finally {
    if (!options.keep) rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`measure-verify-install: ${error.message}`);
    process.exit(1);
  });
}
