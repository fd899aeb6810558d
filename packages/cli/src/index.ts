/**
 * The `model-signing` command-line tool, usable as a library too: {@link run} takes the arguments and
 * returns the exit status.
 *
 * @packageDocumentation
 */

export type { CommandGroups, RegisterCommands } from './commands/types.js';
export { UsageError } from './errors.js';
export { CommandError } from './output.js';
export { buildProgram, EXIT, run } from './program.js';
