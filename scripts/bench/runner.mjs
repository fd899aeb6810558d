// One timed operation of the benchmark, in its own process (so that its peak RSS is its own): hashes a model
// like `model-signing digest`, or verifies it against a statement like `model-signing verify` does after the
// signature check. Prints one JSON line: { rootDigest, maxRssBytes, equal? }.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    mode: { type: 'string', default: 'digest' },
    serialization: { type: 'string', default: 'files' },
    algorithm: { type: 'string', default: 'sha256' },
    'shard-size': { type: 'string' },
    'write-statement': { type: 'string' },
    statement: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
  },
});

const hashing = await import('../../packages/hashing/dist/index.bundle.js');
const manifestLib = await import('../../packages/manifest/dist/index.bundle.js');

let result;
if (values.mode === 'verify') {
  // What verification adds to hashing, as @model-signing/verifying does it after the signature check: read the
  // statement's serialization, hash the model with the config it records (decision 8), check the resources once
  // the walk is over (while files are still hashed), then compare (in one pass when they are equal).
  const statement = manifestLib.readStatement(readFileSync(values.statement), {
    readResourceColumns: hashing.readResourceColumns,
  });
  let walked;
  const walkOver = new Promise((resolve) => {
    walked = resolve;
  });
  const hashed = hashing.Config.fromSerialization(statement.serialization).hash(values.model, {
    engine: values.engine,
    onWalked: () => walked(),
  });
  await Promise.race([walkOver, hashed]);
  statement.check();
  const actual = await hashed;
  if (!statement.matching(actual)) {
    const diff = manifestLib.diffManifests(statement.manifest(), actual);
    if (!diff.equal) throw new Error('verification failed: manifests differ');
  }
  result = { rootDigest: actual.rootDigestHex(), equal: true };
} else {
  const config = new hashing.Config();
  if (values.serialization === 'shards') {
    const shardSize = values['shard-size'] ? Number(values['shard-size']) : undefined;
    config.useShardSerialization({ hashingAlgorithm: values.algorithm, shardSize });
  } else {
    config.useFileSerialization({ hashingAlgorithm: values.algorithm });
  }
  const manifest = await config.hash(values.model, { engine: values.engine });
  if (values['write-statement'])
    writeFileSync(values['write-statement'], manifestLib.statementBytes(manifest));
  result = { rootDigest: manifest.rootDigestHex() };
}
// The peak resident set of this process's memory, threads included. On Linux, VmHWM: getrusage's maxRSS keeps
// the value of the process before exec, which is the benchmark's own (it holds the generated data) when it
// spawns this runner, so it over-reports.
const usage = process.resourceUsage();
result.maxRssBytes = peakRssBytes() ?? usage.maxRSS * 1024;
result.cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
// Which code hashed; asked only where it matters, since loading the BLAKE3 binding to answer would itself cost
// a few milliseconds of the timed run.
const status = await hashing.nativeEngine();
result.engine = values.engine === 'javascript' || !status.available ? 'javascript' : 'native';
if (values.algorithm === 'blake3') {
  result.blake3 = result.engine === 'native' && status.blake3 ? 'native' : hashing.blake3Implementation();
}
console.log(JSON.stringify(result));

function peakRssBytes() {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}
