import { logger } from './log.js';

/** A mistake in how the command was called; the CLI exits with status 2. */
export class UsageError extends Error {
  /** The machine-readable code `--json` reports: `USAGE_ERROR` unless a more precise one applies. */
  readonly code: string;

  /**
   * @param message one line saying what is wrong with the invocation.
   * @param code the code `--json` reports (default `USAGE_ERROR`).
   */
  constructor(message: string, code = 'USAGE_ERROR') {
    super(message);
    this.name = 'UsageError';
    this.code = code;
  }
}

/**
 * The one-line text of any error, for the CLI's stderr: never a stack trace, never an empty string.
 * Error classes of our packages carry a `code`; it is shown only when the message itself is empty.
 */
export function errorText(error: unknown): string {
  logCauses(error);
  if (error instanceof Error) {
    const message = error.message.trim();
    if (message) return message;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} (${code})` : error.name;
  }
  return String(error);
}

/**
 * At `--log-level debug`, one line per cause of `error` (what a dependency said beneath our one-line message),
 * for whoever debugs a failure; nothing at other levels.
 */
export function logCauses(error: unknown): void {
  if (!logger.enabled('debug')) return;
  let cause = error instanceof Error ? error.cause : undefined;
  for (let depth = 0; cause !== undefined && depth < 8; depth++) {
    const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    logger.debug(`Caused by: ${text.split('\n')[0]}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
}

/** The `code` of an error of our packages (or of Node), if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
