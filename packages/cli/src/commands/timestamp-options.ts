/**
 * The RFC 3161 timestamp options of `sign key|certificate|pkcs11-key|pkcs11-certificate` and
 * `verify key|certificate`.
 * @module
 */
import { type Command, Option } from 'commander';
import { collect } from '../common.js';
import { UsageError } from '../errors.js';

/** `--timestamp-server`, repeatable. */
export interface TimestampSignCliOptions {
  /** RFC 3161 time-stamp authority URLs. */
  timestampServer: string[];
}

/** `--timestamp-authority` (repeatable) and `--min-timestamps`. */
export interface TimestampVerifyCliOptions {
  /** PEM chain or trusted-root JSON files of trusted time-stamp authorities. */
  timestampAuthority: string[];
  /** How many verified timestamps are required. */
  minTimestamps?: string;
}

/** Adds `--timestamp-server URL` (repeatable) to a signing command. */
export function addTimestampServerOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--timestamp-server <url>',
      'RFC 3161 time-stamp authority that timestamps the signature (repeatable; one token per server)',
    )
      .argParser(collect)
      .default([]),
  );
}

/** Adds `--timestamp-authority FILE` (repeatable) and `--min-timestamps N` to a verification command. */
export function addTimestampVerifyOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--timestamp-authority <path>',
        'trusted time-stamp authority: its PEM chain (with its root) or a trusted-root JSON with timestampAuthorities (repeatable)',
      )
        .argParser(collect)
        .default([]),
    )
    .option(
      '--min-timestamps <n>',
      'verified RFC 3161 timestamps required (default 1 when --timestamp-authority is given)',
    );
}

/** The signer options of `--timestamp-server`. */
export function timestampServers(options: TimestampSignCliOptions): { timestampServers?: string[] } {
  return options.timestampServer.length ? { timestampServers: options.timestampServer } : {};
}

/** The verifier options of `--timestamp-authority` and `--min-timestamps`; usage errors exit 2. */
export function timestampAuthorities(options: TimestampVerifyCliOptions): {
  timestampAuthorities?: string[];
  minTimestamps?: number;
} {
  const result: { timestampAuthorities?: string[]; minTimestamps?: number } = {};
  if (options.timestampAuthority.length) result.timestampAuthorities = options.timestampAuthority;
  if (options.minTimestamps !== undefined) {
    if (!/^\d+$/.test(options.minTimestamps)) {
      throw new UsageError(
        `Invalid value for '--min-timestamps': '${options.minTimestamps}' is not a whole number`,
      );
    }
    const min = Number(options.minTimestamps);
    if (min > 0 && !options.timestampAuthority.length) {
      throw new UsageError(
        "Option '--min-timestamps' needs '--timestamp-authority': give the time-stamp authorities to trust",
      );
    }
    result.minTimestamps = min;
  }
  return result;
}
