import { errorCode, errorText, UsageError } from './errors.js';

/** A command's failure as the CLI reports it: one line, then optional detail lines; exit status 1. */
export class CommandError extends Error {
  /** Extra lines printed after the message (for instance one per mismatched file). */
  readonly details: readonly string[];
  /** The machine-readable code of the underlying error, if it had one. */
  readonly code: string | undefined;
  /** Structured data for `--json` output (the `details` member of the failure object). */
  readonly data: Record<string, unknown> | undefined;

  /**
   * @param message the one-line message, with its prefix (`Verification failed with error: …`).
   * @param options details, code and structured data.
   */
  constructor(
    message: string,
    options: { details?: readonly string[]; code?: string; data?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'CommandError';
    this.details = options.details ?? [];
    this.code = options.code;
    this.data = options.data;
  }
}

/** What an error may carry beyond its message; our packages' error classes use these fields. */
interface DetailedError {
  code?: unknown;
  details?: unknown;
}

function detailLines(error: unknown): string[] {
  const details = (error as DetailedError | null)?.details;
  if (Array.isArray(details)) return details.filter((line): line is string => typeof line === 'string');
  return [];
}

/**
 * Runs a command body; any failure other than a usage error becomes a {@link CommandError} whose message
 * starts with `prefix` (the Python tool's wording, e.g. `Signing failed with error: `).
 */
export async function failWith<T>(prefix: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError || error instanceof CommandError) throw error;
    const code = errorCode(error);
    throw new CommandError(`${prefix}${errorText(error)}`, {
      details: detailLines(error),
      ...(code ? { code } : {}),
    });
  }
}

/** Prints a result: JSON on stdout with `--json`, otherwise the human lines. */
export function emit(json: boolean, lines: readonly string[], data: Record<string, unknown>): void {
  if (json) process.stdout.write(`${JSON.stringify(data)}\n`);
  else for (const line of lines) process.stdout.write(`${line}\n`);
}

/** Lines of a multi-line message (an image's local-model report) shown before the rest is counted. */
const MESSAGE_LINES = 12;

/** `message` cut to {@link MESSAGE_LINES} lines, so that a report of thousands of files stays readable. */
function shortened(message: string): string {
  const lines = message.split('\n');
  if (lines.length <= MESSAGE_LINES) return message;
  const rest = lines.length - MESSAGE_LINES;
  return [...lines.slice(0, MESSAGE_LINES), `... and ${rest} more lines (--json lists all)`].join('\n');
}

/** The failure object `--json` prints on stdout (docs/json-output.md). */
export interface FailureJson {
  /** Always `failure`. */
  readonly status: 'failure';
  /** The exit status: 1 failure, 2 usage error, 130 interrupted. */
  readonly exitCode: number;
  /** A stable machine-readable code (`MODEL_MISMATCH`, `USAGE_ERROR`, `INTERRUPTED`, …). */
  readonly code: string;
  /** The one-line message printed on stderr. */
  readonly error: string;
  /** Structured data about the failure, when there is any (per-file mismatch lists for `MODEL_MISMATCH`). */
  readonly details?: Record<string, unknown>;
}

/** Prints a failure: the message and detail lines on stderr, and with `json` the failure object on stdout. */
export function reportFailure(
  failure: Omit<FailureJson, 'status'>,
  lines: readonly string[],
  json: boolean,
): void {
  process.stderr.write(`${shortened(failure.error)}\n`);
  for (const line of lines) process.stderr.write(`${line}\n`);
  if (json) {
    const data: FailureJson = {
      status: 'failure',
      ...failure,
      code: jsonCode(failure.code),
      error: jsonMessage(failure.error),
    };
    process.stdout.write(`${JSON.stringify(data)}\n`);
  }
}

/** The message of a failure object: one line, without the `Error: ` marker stderr shows. */
export function jsonMessage(message: string): string {
  return message.replace(/^error: /i, '').replace(/\s*\n\s*/g, ' ');
}

/** A code in the one style of the contract (`UPPER_SNAKE`), whatever the library it came from wrote. */
export function jsonCode(code: string): string {
  const upper = code.toUpperCase().replace(/[^A-Z0-9_]+/g, '_');
  return /^[A-Z]/.test(upper) ? upper : 'ERROR';
}
