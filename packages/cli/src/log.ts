import { UsageError } from './errors.js';

/** Log levels, from the most to the least verbose (Python's names). */
export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Parses a level name case-insensitively; `source` names where it came from in the error. */
export function parseLogLevel(value: string, source: string): LogLevel {
  const level = value.toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new UsageError(
    `Invalid value for ${source}: '${value}' is not one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}.`,
  );
}

/** The CLI's one logger: plain messages on stderr, filtered by level (decision 28: flag > env > info). */
export class Logger {
  #threshold: number;

  /** @param level the least severe level that is printed. */
  constructor(level: LogLevel = 'info') {
    this.#threshold = LOG_LEVELS.indexOf(level);
  }

  /** Changes the level. */
  setLevel(level: LogLevel): void {
    this.#threshold = LOG_LEVELS.indexOf(level);
  }

  /** True when messages of `level` are printed. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.#threshold;
  }

  /** Called before a message is printed: a progress bar erases itself there, and is redrawn below it. */
  beforeWrite: (() => void) | undefined;

  /** Prints a message at `level` if the level allows it. */
  log(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    this.beforeWrite?.();
    process.stderr.write(`${message}\n`);
  }

  /** A debugging detail. */
  debug(message: string): void {
    this.log('debug', message);
  }

  /** Progress or context a user may want. */
  info(message: string): void {
    this.log('info', message);
  }

  /** Something that works but deserves attention. */
  warn(message: string): void {
    this.log('warning', message);
  }

  /** A failure. */
  error(message: string): void {
    this.log('error', message);
  }
}

/** The logger of this process. */
export const logger = new Logger();
