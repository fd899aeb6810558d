/**
 * How a model that does not match its signature is reported: the per-file details every verifier gives (Node.js
 * and the browser alike), and a one-line summary of them.
 * @module
 */
import { toHex } from './hex.js';
import type { ManifestDiff } from './manifest.js';

/** A digest as reported in mismatch details. */
export interface ReportedDigest {
  /** The algorithm name (`sha256`, `sha256-sharded-8`, …). */
  readonly algorithm: string;
  /** Lower-case hex. */
  readonly digest: string;
}

/** The per-file details of a verification failure with code `MODEL_MISMATCH`. */
export interface MismatchDetails {
  /** The local model name. */
  readonly modelName: string;
  /** Local files (or shards) that are not signed, sorted. */
  readonly extra: readonly string[];
  /** Signed files (or shards) missing locally, sorted. */
  readonly missing: readonly string[];
  /** Files whose digest differs, sorted by name. */
  readonly mismatched: readonly { name: string; expected: ReportedDigest; actual: ReportedDigest }[];
}

/** The details of `diff` for the model named `modelName`, digests in hex. */
export function mismatchDetails(diff: ManifestDiff, modelName: string): MismatchDetails {
  return {
    modelName,
    extra: diff.extra,
    missing: diff.missing,
    mismatched: diff.mismatched.map((m) => ({
      name: m.name,
      expected: { algorithm: m.expected.algorithm, digest: toHex(m.expected.value) },
      actual: { algorithm: m.actual.algorithm, digest: toHex(m.actual.value) },
    })),
  };
}

// How many names of each kind the summary gives; the details have them all. A model with 200,000 extra files
// would otherwise get a 1.8 MB message, printed as one line.
const NAMES_IN_MESSAGE = 5;

function firstFew(names: readonly string[]): string {
  if (names.length <= NAMES_IN_MESSAGE) return names.join(', ');
  const more = names.length - NAMES_IN_MESSAGE;
  return `${names.slice(0, NAMES_IN_MESSAGE).join(', ')} and ${more} more (${names.length} in all)`;
}

/**
 * The one-line message of a mismatch, worded as the Python tool's (`Signature mismatch: Extra files found in
 * model …`): the first five files of each kind, the rest counted.
 */
export function mismatchMessage(details: MismatchDetails): string {
  const { modelName, extra, missing, mismatched } = details;
  const parts: string[] = [];
  if (extra.length) parts.push(`Extra files found in model '${modelName}': ${firstFew(extra)}`);
  if (missing.length) parts.push(`Missing files in model '${modelName}': ${firstFew(missing)}`);
  for (const m of mismatched.slice(0, NAMES_IN_MESSAGE)) parts.push(`Hash mismatch for '${m.name}'`);
  const moreChanged = mismatched.length - NAMES_IN_MESSAGE;
  if (moreChanged > 0) parts.push(`and ${moreChanged} more files with a hash mismatch`);
  return `Signature mismatch: ${parts.join('; ')}`;
}

/** One line per extra, missing and mismatched file, every one of them. */
export function mismatchLines(details: MismatchDetails): string[] {
  return [
    ...details.extra.map((name) => `Extra file: ${name}`),
    ...details.missing.map((name) => `Missing file: ${name}`),
    ...details.mismatched.map(
      (m) =>
        `Hash mismatch: ${m.name}: expected ${m.expected.algorithm}:${m.expected.digest}, actual ${m.actual.algorithm}:${m.actual.digest}`,
    ),
  ];
}
