import type { Command } from 'commander';

/** The command groups a command module registers itself into. */
export interface CommandGroups {
  /** The top-level program (`model-signing`). */
  readonly program: Command;
  /** `model-signing sign`: one subcommand per signing method. */
  readonly sign: Command;
  /** `model-signing verify`: one subcommand per verification method. */
  readonly verify: Command;
}

/** A module's registration function. */
export type RegisterCommands = (groups: CommandGroups) => void;
