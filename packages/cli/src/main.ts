#!/usr/bin/env node
/**
 * The `model-signing` executable.
 * @module
 */
import { unsupportedNodeMessage } from './node-version.js';

// Checked before the program loads, so an unsupported Node gets this line instead of an error from deep
// inside a dependency.
const unsupported = unsupportedNodeMessage(process.versions.node);
if (unsupported !== null) {
  process.stderr.write(`${unsupported}\n`);
  process.exitCode = 1;
} else {
  const { EXIT, run } = await import('./program.js');
  const status = await run(process.argv.slice(2));
  // After Ctrl-C, work that does not listen to the signal (a browser sign-in) must not keep the process alive.
  if (status === EXIT.interrupted) process.exit(status);
  process.exitCode = status;
}
