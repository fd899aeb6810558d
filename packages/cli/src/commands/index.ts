import { registerDigest } from './digest.js';
import type { RegisterCommands } from './types.js';

/**
 * Every command module, in help order. A new command adds one line here.
 */
export const COMMANDS: readonly RegisterCommands[] = [registerDigest];
