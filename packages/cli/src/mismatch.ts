/**
 * The human report of a model that does not match its signature. A model with 200,000 unsigned files must not
 * print megabytes: each category shows its first few names and counts the rest, and `--json` lists all (the
 * one-line message, already a summary, is the library's).
 * @module
 */
import type { MismatchDetails } from '@model-signing/verifying';

/** Names shown per category (extra, missing, changed) before the rest is counted. */
export const SHOWN_PER_CATEGORY = 5;

function more(count: number, what: string): string[] {
  return count > 0 ? [`... and ${count} more ${what} (--json lists all)`] : [];
}

/** One line per extra, missing and changed file, up to {@link SHOWN_PER_CATEGORY} of each. */
export function mismatchLines(details: MismatchDetails): string[] {
  const n = SHOWN_PER_CATEGORY;
  return [
    ...details.extra.slice(0, n).map((name) => `Extra file: ${name}`),
    ...more(details.extra.length - n, 'extra files'),
    ...details.missing.slice(0, n).map((name) => `Missing file: ${name}`),
    ...more(details.missing.length - n, 'missing files'),
    ...details.mismatched
      .slice(0, n)
      .map(
        (m) =>
          `Hash mismatch: ${m.name}: expected ${m.expected.algorithm}:${m.expected.digest}, actual ${m.actual.algorithm}:${m.actual.digest}`,
      ),
    ...more(details.mismatched.length - n, 'changed files'),
  ];
}
