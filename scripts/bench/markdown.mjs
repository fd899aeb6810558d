// Turns the report of `pnpm bench --json` into the Markdown tables of docs/performance.md, so that the figures
// recorded there are exactly a run's:  pnpm --silent bench --full --json | node scripts/bench/markdown.mjs
import { readFileSync } from 'node:fs';

const MODELS = {
  a: 'several large files of similar size',
  u: 'large files of very unequal sizes',
  c: '20,000 files of 1–64 KiB',
  d: 'one large file',
};

// pnpm may print its own lines before the report; the report is the JSON object that starts a line.
const input = readFileSync(0, 'utf8');
const report = JSON.parse(input.slice(input.search(/^\{/m)));
const { machine } = report;
const engine = machine.engine.available
  ? `native (BLAKE3 ${machine.engine.blake3 ? 'native' : 'through @napi-rs/blake-hash'})`
  : `javascript (${machine.engine.reason})`;
const lines = [
  `Command: \`${report.command}\` — ${report.date}, ${machine.cpuModel}, ${machine.parallelism} CPUs, ` +
    `${machine.memoryGB} GB RAM, Node ${machine.node}, ${machine.openssl ?? 'no openssl'}, ` +
    `${machine.b3sum ?? 'no b3sum'}; engine: ${engine}; ${report.runs} runs per case; load average ` +
    `before/after ${report.loadBefore.toFixed(2)}/${report.loadAfter.toFixed(2)}.`,
];
for (const model of report.models) {
  lines.push(
    '',
    `**${model.id}: ${MODELS[model.id]}** — ${model.files} files, ${(model.bytes / 1e9).toFixed(2)} GB`,
    '',
    '| case | median s | GB/s | vs `openssl dgst -sha256` | CPU s | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|',
  );
  const reference = model.results.find((r) => r.case === 'openssl dgst -sha256 (1 process)');
  for (const r of model.results) {
    const ratio = reference ? `${(reference.medianSeconds / r.medianSeconds).toFixed(2)}×` : '';
    const cpu = r.medianCpuSeconds === null ? '-' : r.medianCpuSeconds.toFixed(2);
    const rss = r.peakRssMB === null ? '-' : r.peakRssMB.toFixed(0);
    lines.push(
      `| ${r.case} | ${r.medianSeconds.toFixed(3)} | ${r.gbPerSecond.toFixed(2)} | ${ratio} | ${cpu} | ${rss} |`,
    );
  }
}
lines.push('', '| target | measured (median of the ratios within a round) | met? |', '|---|---:|:---:|');
for (const t of report.targets) {
  const value = t.target.includes('RSS')
    ? `${t.value.toFixed(0)} MB`
    : t.target.includes('verify')
      ? `${(t.value * 100).toFixed(1)} %`
      : `${t.value.toFixed(2)}×`;
  lines.push(`| ${t.target} | ${value} | ${t.met ? 'yes' : '**no**'} |`);
}
console.log(lines.join('\n'));
