/** A mistake in how the command was called; the CLI exits with status 2. */
export class UsageError extends Error {
  /** @param message one line saying what is wrong with the invocation. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The one-line text of any error, for the CLI's stderr: never a stack trace, never an empty string.
 * Error classes of our packages carry a `code`; it is shown only when the message itself is empty.
 */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const message = error.message.trim();
    if (message) return message;
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} (${code})` : error.name;
  }
  return String(error);
}
