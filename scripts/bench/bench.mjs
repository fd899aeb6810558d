// The hashing benchmark (`pnpm bench`): generates models deterministically in a temporary folder, warms the
// page cache, then times, interleaved, several runs of our digest and of reference tools over the same files,
// and prints medians, GB/s, ratios against the references measured in the same run, and peak RSS.
// See docs/performance.md for what the figures mean.
import { execFileSync, spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: pnpm bench [--full] [--runs N] [--only a,b,c,d] [--json] [--keep] [--dir DIR] [--browser]

Models (generated deterministically under a temporary folder, removed afterwards unless --keep):
  a  several large files of similar size (default 4 x 448 + 320 MiB = 2.1 GiB; --full: 4 x 896 + 640 MiB)
  u  large files of very unequal sizes   (default 2 GiB, one file 1 GiB; --full: 4 GiB, one file 2 GiB)
  c  20,000 files of 1-64 KiB in nested folders (about 650 MB)
  d  one large file for shard mode      (default 2 GiB, shards of 100 MB; --full: 4 GiB, default 1 GB shards)

--runs N   timed runs of every case, interleaved (default 3; --full: 5); medians are reported
--json     machine-readable output on stdout (progress goes to stderr)
--browser  also time @model-signing/browser in Debian's chromium against Node (scripts/bench/browser.mjs)

The 'ours:' cases use the default hashing engine (native when built); '(js engine)' rows force the JavaScript one.`;

const { values: options } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    runs: { type: 'string' },
    only: { type: 'string', default: 'a,u,c,d' },
    json: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    dir: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
    browser: { type: 'boolean', default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}

const MiB = 1 << 20;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUNNER = path.join(ROOT, 'scripts/bench/runner.mjs');
const RUNS = Number(options.runs ?? (options.full ? 5 : 3));
const log = (...args) => console.error('[bench]', ...args);

function have(tool) {
  return spawnSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}
const GNU_TIME = have('/usr/bin/time') ? '/usr/bin/time' : null;
// The CLI's `digest` command, when built: the same engine plus the CLI's own start-up.
const CLI = path.join(ROOT, 'packages/cli/dist/main.bundle.js');
const HAVE_CLI = spawnSync(process.execPath, [CLI, 'digest', '--help'], { stdio: 'ignore' }).status === 0;
// Which hashing engine the `ours:` cases get by default (the native one when it is built).
const NATIVE = await (await import('../../packages/hashing/dist/index.bundle.js')).nativeEngine();

// Deterministic content: AES-128-CTR keystream of a fixed key (fast, incompressible, the same on every run).
function writeDeterministic(file, size, seed) {
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(seed >>> 0, 0);
  const cipher = createCipheriv('aes-128-ctr', Buffer.alloc(16, 7), iv);
  const zeros = Buffer.alloc(Math.min(size, 4 * MiB));
  const fd = openSync(file, 'w');
  try {
    for (let left = size; left > 0; ) {
      const n = Math.min(left, zeros.length);
      writeSync(fd, cipher.update(zeros.subarray(0, n)));
      left -= n;
    }
  } finally {
    closeSync(fd);
  }
}

function generate(dir, id) {
  const model = path.join(dir, `model-${id}`);
  mkdirSync(model, { recursive: true });
  const files = [];
  const add = (relative, size, seed) => {
    const file = path.join(model, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeDeterministic(file, size, seed);
    files.push({ file, size });
  };
  if (id === 'a') {
    // As a model's weights are split: equal files and a smaller last one; five on two cores, so that no
    // assignment of whole files to cores is even.
    const sizes = options.full ? [896, 896, 896, 896, 640] : [448, 448, 448, 448, 320];
    for (const [i, mib] of sizes.entries())
      add(`model-0000${i + 1}-of-0000${sizes.length}.safetensors`, mib * MiB, i + 1);
  } else if (id === 'u') {
    const sizes = options.full
      ? [2048, 768, 512, 256, 192, 128, 96, 96]
      : [1024, 384, 256, 128, 96, 64, 48, 48];
    for (const [i, mib] of sizes.entries()) add(`part-${i}.bin`, mib * MiB, 100 + i);
  } else if (id === 'c') {
    let x = 0x9e3779b9;
    for (let i = 0; i < 20_000; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      const size = 1024 + (x % (63 * 1024 + 1));
      add(`d${i % 20}/e${(i >> 5) % 10}/f${i}.bin`, size, 1000 + i);
    }
  } else if (id === 'd') {
    add('model.bin', (options.full ? 4096 : 2048) * MiB, 7);
  }
  const list = path.join(dir, `files-${id}.list`);
  writeFileSync(list, `${files.map((f) => f.file).join('\0')}\0`);
  return { id, model, files, list, bytes: files.reduce((n, f) => n + f.size, 0) };
}

// The cases of each model: ours (through runner.mjs) and references (shell commands over the same files).
function casesFor(m, statement) {
  const ours = (name, args) => ({
    name,
    ours: true,
    argv: [process.execPath, RUNNER, '--model', m.model, ...args],
  });
  const shell = (name, command) => ({ name, ours: false, argv: ['bash', '-c', command] });
  const n = m.files.length;
  const perProcess = n > 100 ? Math.ceil(n / 32) : 1;
  const refs = {
    openssl: shell(
      'openssl dgst -sha256 (1 process)',
      `xargs -0 -a '${m.list}' openssl dgst -sha256 > /dev/null`,
    ),
    xargs: shell(
      'xargs -P2 openssl dgst -sha256',
      `xargs -0 -a '${m.list}' -P2 -n ${perProcess} openssl dgst -sha256 > /dev/null`,
    ),
    blake2: shell('openssl dgst -blake2b512', `xargs -0 -a '${m.list}' openssl dgst -blake2b512 > /dev/null`),
    b3sum: shell('b3sum', `xargs -0 -a '${m.list}' b3sum > /dev/null`),
  };
  const digest = ours('ours: files sha256', []);
  // The JavaScript engine (worker threads), for comparison, when the native one is the default.
  const js = (name, args) =>
    NATIVE.available ? [ours(`${name} (js engine)`, [...args, '--engine', 'javascript'])] : [];
  const verify = ours('ours: verify files sha256', ['--mode', 'verify', '--statement', statement]);
  const b3 = have('b3sum') ? [refs.b3sum] : [];
  // The CLI is timed like the references (GNU time gives its peak RSS and CPU time).
  const cli = (name, args) =>
    HAVE_CLI
      ? [{ name, ours: false, cli: true, argv: [process.execPath, CLI, 'digest', ...args, m.model] }]
      : [];
  const cliFiles = cli('cli: digest files sha256', []);
  switch (m.id) {
    case 'a':
      return [
        digest,
        ours('ours: shards sha256', ['--serialization', 'shards']),
        ours('ours: files blake2b', ['--algorithm', 'blake2b']),
        ours('ours: files blake3', ['--algorithm', 'blake3']),
        verify,
        ...js('ours: files sha256', []),
        ...js('ours: files blake3', ['--algorithm', 'blake3']),
        ...cliFiles,
        ...cli('cli: digest files blake3', ['--hash-algorithm', 'blake3']),
        refs.openssl,
        refs.xargs,
        refs.blake2,
        ...b3,
      ];
    case 'u':
      return [digest, ours('ours: files blake3', ['--algorithm', 'blake3']), refs.openssl, refs.xargs, ...b3];
    case 'c':
      return [
        digest,
        ours('ours: files blake3', ['--algorithm', 'blake3']),
        verify,
        ...js('ours: files sha256', []),
        ...cliFiles,
        refs.openssl,
        refs.xargs,
        ...b3,
      ];
    case 'd': {
      const shardArgs = options.full ? [] : ['--shard-size', '100000000'];
      return [
        ours('ours: shards sha256', ['--serialization', 'shards', ...shardArgs]),
        ours('ours: shards blake2b', ['--serialization', 'shards', '--algorithm', 'blake2b', ...shardArgs]),
        digest,
        ours('ours: files blake3', ['--algorithm', 'blake3']),
        ...js('ours: files blake3', ['--algorithm', 'blake3']),
        ...cli('cli: digest shards sha256', [
          '--serialization',
          'shards',
          ...(options.full ? [] : ['--shard-size', '100000000']),
        ]),
        ...cli('cli: digest files blake3', ['--hash-algorithm', 'blake3']),
        refs.openssl,
        refs.blake2,
        ...b3,
      ];
    }
  }
  return [];
}

function runOnce(c) {
  const argv = GNU_TIME && !c.ours ? [GNU_TIME, '-f', '%M %U %S', ...c.argv] : c.argv;
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 64 * MiB });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${c.name} failed (${result.status}): ${result.stderr.trim()}`);
  let rssBytes = null;
  let cpuSeconds = null;
  let rootDigest = null;
  let blake3 = null;
  if (c.ours) {
    const out = JSON.parse(result.stdout.trim().split('\n').at(-1));
    rssBytes = out.maxRssBytes;
    cpuSeconds = out.cpuSeconds;
    rootDigest = out.rootDigest;
    blake3 = out.blake3;
  } else if (GNU_TIME) {
    // GNU time prints the peak RSS (KiB; with xargs, the largest child's) and the CPU seconds of the command and
    // the processes it waited for, as the last line of stderr.
    const [rss, user, system] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    rssBytes = rss * 1024;
    cpuSeconds = user + system;
  }
  return { seconds, rssBytes, cpuSeconds, rootDigest, blake3 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function benchModel(dir, id) {
  log(`generating model ${id} ...`);
  const m = generate(dir, id);
  const statement = path.join(dir, `statement-${id}.json`);
  const cases = casesFor(m, statement);
  log(`model ${id}: ${m.files.length} files, ${(m.bytes / 1e9).toFixed(2)} GB; warming the page cache`);
  execFileSync('bash', ['-c', `xargs -0 -a '${m.list}' cat > /dev/null`]);
  // The statement the verify case checks against, then one untimed round that warms up every command.
  execFileSync(process.execPath, [RUNNER, '--model', m.model, '--write-statement', statement], {
    stdio: 'ignore',
  });
  for (const c of cases) runOnce(c);
  const samples = new Map(cases.map((c) => [c.name, []]));
  for (let run = 1; run <= RUNS; run++) {
    log(`model ${id}: run ${run}/${RUNS}`);
    for (const c of cases) samples.get(c.name).push(runOnce(c));
  }
  const results = cases.map((c) => {
    const runs = samples.get(c.name);
    const seconds = median(runs.map((r) => r.seconds));
    const rss = runs.map((r) => r.rssBytes).filter((x) => x !== null);
    const cpu = runs.map((r) => r.cpuSeconds).filter((x) => x !== null);
    return {
      model: id,
      case: c.name,
      ours: c.ours,
      cli: Boolean(c.cli),
      medianSeconds: seconds,
      gbPerSecond: m.bytes / seconds / 1e9,
      peakRssMB: rss.length ? Math.max(...rss) / 1e6 : null,
      medianCpuSeconds: cpu.length ? median(cpu) : null,
      runsSeconds: runs.map((r) => r.seconds),
      rootDigest: runs[0].rootDigest,
      blake3: runs[0].blake3,
    };
  });
  if (!options.keep) rmSync(m.model, { recursive: true, force: true });
  return { id, files: m.files.length, bytes: m.bytes, results };
}

function find(models, id, name) {
  return models.find((m) => m.id === id)?.results.find((r) => r.case === name);
}

// The median over the rounds of a's time / b's time within each round. Every round runs each case once, back to
// back, so a change of the machine's load between rounds (this machine is shared) cancels out of the ratio,
// where a ratio of two medians could pair one case's quiet round with the other's busy one.
function pairedMedian(a, b) {
  return median(a.runsSeconds.map((seconds, round) => seconds / b.runsSeconds[round]));
}

// The issue's targets: ratio = reference time / our time (higher is better) unless stated; each one the median
// of the ratios within a round (pairedMedian).
function targets(models) {
  const out = [];
  const speedup = (label, id, ours, ref, threshold) => {
    const o = find(models, id, ours);
    const r = find(models, id, ref);
    if (o && r) {
      const value = pairedMedian(r, o);
      out.push({ target: label, value, threshold, met: value >= threshold });
    }
  };
  speedup(
    'a: big files, files sha256 vs openssl 1 process (>= 1.8x)',
    'a',
    'ours: files sha256',
    'openssl dgst -sha256 (1 process)',
    1.8,
  );
  speedup(
    'd: one big file, shards sha256 vs openssl 1 process (>= 1.8x)',
    'd',
    'ours: shards sha256',
    'openssl dgst -sha256 (1 process)',
    1.8,
  );
  speedup(
    'c: 20,000 small files vs xargs -P2 openssl (>= 1.0x)',
    'c',
    'ours: files sha256',
    'xargs -P2 openssl dgst -sha256',
    1.0,
  );
  speedup(
    'a (CLI): big files, files sha256 vs openssl 1 process (>= 1.8x)',
    'a',
    'cli: digest files sha256',
    'openssl dgst -sha256 (1 process)',
    1.8,
  );
  speedup(
    'd (CLI): one big file, shards sha256 vs openssl 1 process (>= 1.8x)',
    'd',
    'cli: digest shards sha256',
    'openssl dgst -sha256 (1 process)',
    1.8,
  );
  speedup(
    'c (CLI): 20,000 small files vs xargs -P2 openssl (>= 1.0x)',
    'c',
    'cli: digest files sha256',
    'xargs -P2 openssl dgst -sha256',
    1.0,
  );
  speedup('a: big files, blake3 vs b3sum (>= 0.8x)', 'a', 'ours: files blake3', 'b3sum', 0.8);
  speedup('u: unequal files, blake3 vs b3sum (>= 0.8x)', 'u', 'ours: files blake3', 'b3sum', 0.8);
  speedup('c: small files, blake3 vs b3sum (>= 0.8x)', 'c', 'ours: files blake3', 'b3sum', 0.8);
  speedup('d: one big file, blake3 vs b3sum (>= 0.8x)', 'd', 'ours: files blake3', 'b3sum', 0.8);
  speedup('a (CLI): big files, blake3 vs b3sum (>= 0.8x)', 'a', 'cli: digest files blake3', 'b3sum', 0.8);
  speedup('d (CLI): one big file, blake3 vs b3sum (>= 0.8x)', 'd', 'cli: digest files blake3', 'b3sum', 0.8);
  for (const id of ['a', 'c']) {
    const d = find(models, id, 'ours: files sha256');
    const v = find(models, id, 'ours: verify files sha256');
    if (d && v) {
      const cost = pairedMedian(v, d) - 1;
      out.push({
        target: `${id}: verify costs <= 5% more than digest`,
        value: cost,
        threshold: 0.05,
        met: cost <= 0.05,
      });
    }
  }
  const rss = models.flatMap((m) =>
    m.results.filter((r) => (r.ours || r.cli) && r.peakRssMB !== null).map((r) => r.peakRssMB),
  );
  if (rss.length)
    out.push({
      target: 'peak RSS of ours and the CLI <= 200 MB',
      value: Math.max(...rss),
      threshold: 200,
      met: Math.max(...rss) <= 200,
    });
  return out;
}

function printTable(report) {
  const lines = [];
  lines.push(
    `machine: ${report.machine.cpuModel}, ${report.machine.parallelism} CPUs, ${report.machine.memoryGB} GB RAM; node ${report.machine.node}; ${report.runs} runs, medians`,
  );
  const engine = report.machine.engine;
  lines.push(
    engine.available
      ? `engine: native (BLAKE3 ${engine.blake3 ? 'native, tree-parallel' : 'through @napi-rs/blake-hash'}); "(js engine)" rows use worker threads`
      : `engine: javascript (worker threads): ${engine.reason}`,
  );
  lines.push(
    `load average (1 min) before: ${report.loadBefore.toFixed(2)}, after: ${report.loadAfter.toFixed(2)} (other work on the machine skews the ratios)`,
  );
  for (const m of report.models) {
    lines.push('', `model ${m.id}: ${m.files} files, ${(m.bytes / 1e9).toFixed(2)} GB`);
    const ref = m.results.find((r) => r.case === 'openssl dgst -sha256 (1 process)');
    lines.push(
      `  ${'case'.padEnd(36)} ${'median s'.padStart(9)} ${'GB/s'.padStart(7)} ${'vs openssl 1p'.padStart(14)} ${'CPU s'.padStart(7)} ${'peak RSS MB'.padStart(12)}`,
    );
    for (const r of m.results) {
      const ratio = ref ? `${(ref.medianSeconds / r.medianSeconds).toFixed(2)}x` : '';
      const rss = r.peakRssMB === null ? '-' : r.peakRssMB.toFixed(0);
      const cpu = r.medianCpuSeconds === null ? '-' : r.medianCpuSeconds.toFixed(2);
      lines.push(
        `  ${r.case.padEnd(36)} ${r.medianSeconds.toFixed(3).padStart(9)} ${r.gbPerSecond.toFixed(2).padStart(7)} ${ratio.padStart(14)} ${cpu.padStart(7)} ${rss.padStart(12)}`,
      );
    }
  }
  lines.push('', 'targets (reference time / our time, the median of the ratios within a round):');
  for (const t of report.targets) {
    const value = t.target.includes('RSS')
      ? `${t.value.toFixed(0)} MB`
      : t.target.includes('verify')
        ? `${(t.value * 100).toFixed(1)}%`
        : `${t.value.toFixed(2)}x`;
    lines.push(`  [${t.met ? 'met' : 'NOT met'}] ${t.target}: ${value}`);
  }
  console.log(lines.join('\n'));
}

const loadBefore = loadavg()[0];
const parent = options.dir ?? tmpdir();
if (!existsSync(parent)) {
  console.error(`error: --dir ${parent} does not exist`);
  process.exit(2);
}
const dir = mkdtempSync(path.join(parent, 'model-signing-bench-'));
try {
  const models = [];
  for (const id of options.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!['a', 'u', 'c', 'd'].includes(id)) throw new Error(`unknown model ${id} (a, u, c, d)`);
    models.push(benchModel(dir, id));
  }
  const report = {
    command: `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      parallelism: availableParallelism(),
      memoryGB: Math.round(totalmem() / 1e9),
      node: process.versions.node,
      openssl: have('openssl') ? execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim() : null,
      b3sum: have('b3sum') ? execFileSync('b3sum', ['--version'], { encoding: 'utf8' }).trim() : null,
      engine: NATIVE,
    },
    loadBefore,
    loadAfter: loadavg()[0],
    full: options.full,
    runs: RUNS,
    models,
    targets: targets(models),
  };
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printTable(report);
  if (options.browser) {
    const browserArgs = ['--runs', String(RUNS), ...(options.json ? ['--json'] : [])];
    spawnSync(process.execPath, [path.join(ROOT, 'scripts/bench/browser.mjs'), ...browserArgs], {
      stdio: 'inherit',
    });
  }
} finally {
  if (!options.keep) rmSync(dir, { recursive: true, force: true });
}
