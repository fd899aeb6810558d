/**
 * Option definitions and small helpers the command modules share. Only light modules may be imported here:
 * every command registration loads this file, so `--help`, `--version` and `digest` pay for whatever it pulls in.
 * @module
 */
import path from 'node:path';
import { type Command, Option } from 'commander';

/** Collects a repeatable option's values into a list. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** The options every command that hashes a local model shares. */
export interface ModelOptions {
  /** `--ignore-paths`, repeatable; relative to the current directory. */
  ignorePaths: string[];
  /** `--ignore-git-paths` / `--no-ignore-git-paths`. */
  ignoreGitPaths: boolean;
  /** `--allow-symlinks`. */
  allowSymlinks: boolean;
  /** `--json`: print a machine-readable result on stdout. */
  json: boolean;
}

/** Adds `--ignore-paths`, `--ignore-git-paths/--no-ignore-git-paths`, `--allow-symlinks` and `--json`. */
export function addModelOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--ignore-paths <path>',
        'file or directory to leave out (repeatable); relative to the current directory',
      )
        .argParser(collect)
        .default([]),
    )
    .option('--ignore-git-paths', 'leave out .git, .gitattributes, .github and .gitignore (default)', true)
    .option('--no-ignore-git-paths', 'include the git files')
    .option('--allow-symlinks', 'follow symbolic links, wherever they point', false)
    .option('--json', 'print the result as JSON on stdout', false);
}

/** Adds `--signature`: with a default (signing) or required (verification). */
export function addSignatureOption(command: Command, mode: 'sign' | 'verify'): Command {
  const option = new Option('--signature <path>', 'the signature (Sigstore bundle) file');
  if (mode === 'sign') option.default('model.sig');
  else option.makeOptionMandatory();
  return command.addOption(option);
}

/** An absolute form of a path given on the command line, for messages and JSON output. */
export function absolute(p: string): string {
  return path.resolve(p);
}
