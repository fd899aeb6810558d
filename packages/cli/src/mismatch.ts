/**
 * The human report of a model that does not match its signature. A model with 200,000 unsigned files must not
 * print a line of megabytes: each category shows its count and its first few names, and `--json` lists all.
 * @module
 */
import type { MismatchDetails } from '@model-signing/verifying';

/** Names shown per category (extra, missing, changed) before the rest is counted. */
export const SHOWN_PER_CATEGORY = 5;

function names(list: readonly string[]): string {
  const shown = list.slice(0, SHOWN_PER_CATEGORY).join(', ');
  const rest = list.length - SHOWN_PER_CATEGORY;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

/** The one-line message, worded as the Python tool's (`Signature mismatch: Extra files found in model …`). */
export function mismatchMessage(details: MismatchDetails): string {
  const model = details.modelName;
  const parts: string[] = [];
  if (details.extra.length) parts.push(`Extra files found in model '${model}': ${names(details.extra)}`);
  if (details.missing.length) parts.push(`Missing files in model '${model}': ${names(details.missing)}`);
  for (const m of details.mismatched.slice(0, SHOWN_PER_CATEGORY))
    parts.push(`Hash mismatch for '${m.name}'`);
  const rest = details.mismatched.length - SHOWN_PER_CATEGORY;
  if (rest > 0) parts.push(`Hash mismatch for ${rest} more files`);
  return `Signature mismatch: ${parts.join('; ')}`;
}

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
