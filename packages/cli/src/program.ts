import { Command, CommanderError } from 'commander';
import { type CommandNames, normalizeArgv } from './argv.js';
import { COMMANDS } from './commands/index.js';
import type { CommandGroups } from './commands/types.js';
import { errorText, UsageError } from './errors.js';
import { logger, parseLogLevel } from './log.js';
import { CommandError } from './output.js';
import { startTelemetry } from './telemetry.js';
import { VERSION } from './version.js';

/** Exit statuses: success, a failed operation, a usage error. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

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

function reportFailure(error: CommandError, json: boolean): void {
  process.stderr.write(`${error.message}\n`);
  for (const line of error.details) process.stderr.write(`${line}\n`);
  if (json) {
    const data = { status: 'failure', error: error.message, code: error.code, details: error.details };
    process.stdout.write(`${JSON.stringify(data)}\n`);
  }
}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit status. Never throws and
 * never prints a stack trace: every error becomes one line on stderr.
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const groups = buildProgram();
  const args = normalizeArgv(argv, commandNames(groups));
  const { program } = groups;
  program.hook('preAction', () => {
    applyLogLevel(program.opts<{ logLevel?: string }>().logLevel, env);
  });
  const telemetry = await startTelemetry(env);
  try {
    const bare = bareGroup(args, groups);
    if (bare) {
      // Like click 8.2: a group without a subcommand prints its help and is a usage error.
      process.stderr.write(bare.helpInformation());
      return EXIT.usage;
    }
    await program.parseAsync(args, { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ['commander.helpDisplayed', 'commander.version', 'commander.help'];
      return benign.includes(error.code) ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`Error: ${error.message}\n(run with --help for usage)\n`);
      return EXIT.usage;
    }
    if (error instanceof CommandError) {
      reportFailure(error, wantsJson(args));
      return EXIT.failure;
    }
    reportFailure(new CommandError(`Error: ${errorText(error)}`), wantsJson(args));
    return EXIT.failure;
  } finally {
    await telemetry?.shutdown().catch(() => undefined);
  }
}
