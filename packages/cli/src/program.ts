import { Command, CommanderError, type Option } from 'commander';
import { type CommandNames, normalizeArgv } from './argv.js';
import { COMMANDS } from './commands/index.js';
import type { CommandGroups } from './commands/types.js';
import { errorCode, errorText, UsageError } from './errors.js';
import {
  commandSignal,
  EXIT_INTERRUPTED,
  handleInterrupts,
  interrupted,
  runForcedStopCleanups,
} from './interrupt.js';
import { logger, parseLogLevel } from './log.js';
import { CommandError, type FailureJson, jsonMessage, reportFailure } from './output.js';
import { clearActiveBar } from './progress.js';
import { startTelemetry } from './telemetry.js';
import { VERSION } from './version.js';

/** Exit statuses: success, a failed operation, a usage error, interrupted by SIGINT. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: EXIT_INTERRUPTED } as const;

const PROGRAM_NAME = 'model-signing';

/** Builds the command tree: global options, the `sign` and `verify` groups, and every registered command. */
export function buildProgram(): CommandGroups {
  const program = new Command(PROGRAM_NAME)
    .description('Sign and verify machine-learning models (OpenSSF model signing).')
    .version(`${PROGRAM_NAME}, version ${VERSION}`, '--version', 'show the version and exit')
    .helpOption('-h, --help', 'show help and exit')
    .option(
      '--log-level <level>',
      'logging level: debug, info, warning, error, critical (also MODEL_SIGNING_LOG_LEVEL)',
    )
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(text) });
  const sign = program
    .command('sign')
    .description('Sign a model. METHOD defaults to sigstore.')
    .usage('[METHOD] [options] MODEL_PATH');
  const verify = program
    .command('verify')
    .description('Verify a model signature. METHOD defaults to sigstore.')
    .usage('[METHOD] [options] MODEL_PATH');
  const groups: CommandGroups = { program, sign, verify };
  for (const register of COMMANDS) register(groups);
  return groups;
}

function commandNames(groups: CommandGroups): CommandNames {
  const names = (command: Command) => new Set(command.commands.map((c) => c.name()));
  return {
    topLevel: names(groups.program),
    methods: { sign: names(groups.sign), verify: names(groups.verify) },
  };
}

function applyLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv): void {
  if (flag !== undefined) logger.setLevel(parseLogLevel(flag, "'--log-level'"));
  else if (env.MODEL_SIGNING_LOG_LEVEL) {
    logger.setLevel(
      parseLogLevel(env.MODEL_SIGNING_LOG_LEVEL, 'the MODEL_SIGNING_LOG_LEVEL environment variable'),
    );
  }
}

/** The group (program, `sign` or `verify`) named without a subcommand, if that is all the command line says. */
function bareGroup(args: readonly string[], groups: CommandGroups): Command | undefined {
  if (args.some((a) => a === '--version' || a === '-h' || a === '--help')) return undefined;
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) i += args[i] === '--log-level' ? 2 : 1;
  if (i >= args.length) return groups.program;
  const word = args[i];
  if ((word === 'sign' || word === 'verify') && i === args.length - 1) return groups[word];
  return undefined;
}

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

const MANDATORY = new WeakMap<Command, Option[]>();

/**
 * Commander reports a missing mandatory option before an unknown one, so a typo (`--publc-key`) was reported
 * as the option it was meant to be. The mandatory options are checked after parsing instead, once commander
 * has refused unknown options.
 */
function deferMandatoryOptions(command: Command): void {
  const mandatory = command.options.filter((option) => option.mandatory);
  for (const option of mandatory) option.mandatory = false;
  if (mandatory.length > 0) MANDATORY.set(command, mandatory);
  for (const sub of command.commands) deferMandatoryOptions(sub);
}

function checkMandatoryOptions(command: Command): void {
  for (const option of MANDATORY.get(command) ?? []) {
    if (command.getOptionValue(option.attributeName()) === undefined) {
      command.error(`error: required option '${option.flags}' not specified`, {
        code: 'commander.missingMandatoryOptionValue',
      });
    }
  }
}

/**
 * Milliseconds a command gets to stop by itself after SIGINT before the CLI stops waiting for it (a browser
 * sign-in does not listen to the signal).
 */
const INTERRUPT_GRACE_MS = 2_000;

/** Resolves `grace` milliseconds after SIGINT fired; never otherwise. */
function afterInterrupt(signal: AbortSignal, grace: number): Promise<'interrupted'> {
  return new Promise((resolve) => {
    signal.addEventListener('abort', () => setTimeout(() => resolve('interrupted'), grace).unref(), {
      once: true,
    });
  });
}

/** How an error ends the run: its exit status, its report, and the lines after the message. */
function failureOf(error: unknown): {
  exitCode: number;
  code: string;
  error: string;
  lines: readonly string[];
  details?: Record<string, unknown>;
} {
  if (error instanceof UsageError) {
    return {
      exitCode: EXIT.usage,
      code: error.code,
      error: `Error: ${error.message}`,
      lines: ['(run with --help for usage)'],
    };
  }
  if (error instanceof CommandError) {
    return {
      exitCode: EXIT.failure,
      code: error.code ?? 'ERROR',
      error: error.message,
      lines: error.details,
      ...(error.data ? { details: error.data } : {}),
    };
  }
  return {
    exitCode: EXIT.failure,
    code: errorCode(error) ?? 'ERROR',
    error: `Error: ${errorText(error)}`,
    lines: [],
  };
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit status. Never throws and
 * never prints a stack trace: every error becomes one line on stderr. SIGINT stops the command (exit 130).
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const groups = buildProgram();
  const args = normalizeArgv(argv, commandNames(groups));
  const json = wantsJson(args);
  const { program } = groups;
  deferMandatoryOptions(program);
  program.hook('preAction', (_program, command) => {
    checkMandatoryOptions(command);
    applyLogLevel(program.opts<{ logLevel?: string }>().logLevel, env);
  });
  const stopHandling = handleInterrupts(clearActiveBar);
  const telemetry = await startTelemetry(env);
  try {
    const bare = bareGroup(args, groups);
    if (bare) {
      // Like click 8.2: a group without a subcommand prints its help and is a usage error.
      process.stderr.write(bare.helpInformation());
      if (json) reportUsageJson('a command is missing');
      return EXIT.usage;
    }
    const outcome = await Promise.race([
      program.parseAsync(args, { from: 'user' }),
      afterInterrupt(commandSignal(), INTERRUPT_GRACE_MS),
    ]);
    if (outcome === 'interrupted') return reportInterrupted(json);
    return EXIT.ok;
  } catch (error) {
    if (interrupted()) return reportInterrupted(json);
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      if (benign.includes(error.code)) return EXIT.ok;
      // Commander printed its message already; scripts get it as JSON too.
      if (json) reportUsageJson(error.message);
      return EXIT.usage;
    }
    clearActiveBar();
    const failure = failureOf(error);
    const { lines, ...report } = failure;
    reportFailure(report, lines, json);
    return failure.exitCode;
  } finally {
    stopHandling();
    await telemetry?.shutdown().catch(() => undefined);
  }
}

function reportUsageJson(message: string): void {
  const data: FailureJson = {
    status: 'failure',
    exitCode: EXIT.usage,
    code: 'USAGE_ERROR',
    error: jsonMessage(message),
  };
  process.stdout.write(`${JSON.stringify(data)}\n`);
}

function reportInterrupted(json: boolean): number {
  // The command may still be running (it did not stop within the grace time): leave none of its files behind.
  runForcedStopCleanups();
  clearActiveBar();
  reportFailure({ exitCode: EXIT_INTERRUPTED, code: 'INTERRUPTED', error: 'interrupted' }, [], json);
  return EXIT_INTERRUPTED;
}
