import { errorText, UsageError } from './errors.js';

/** A command's failure as the CLI reports it: one line, then optional detail lines; exit status 1. */
export class CommandError extends Error {
  /** Extra lines printed after the message (for instance one per mismatched file). */
  readonly details: readonly string[];
  /** The machine-readable code of the underlying error, if it had one. */
  readonly code: string | undefined;
  /** Structured data for `--json` output. */
  readonly data: unknown;

  /**
   * @param message the one-line message, with its prefix (`Verification failed with error: …`).
   * @param options details, code and structured data.
   */
  constructor(message: string, options: { details?: readonly string[]; code?: string; data?: unknown } = {}) {
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
    const code = (error as DetailedError | null)?.code;
    throw new CommandError(`${prefix}${errorText(error)}`, {
      details: detailLines(error),
      code: typeof code === 'string' ? code : undefined,
    });
  }
}

/** Prints a result: JSON on stdout with `--json`, otherwise the human lines. */
export function emit(json: boolean, lines: readonly string[], data: Record<string, unknown>): void {
  if (json) process.stdout.write(`${JSON.stringify(data)}\n`);
  else for (const line of lines) process.stdout.write(`${line}\n`);
}
