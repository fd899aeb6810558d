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
  const { run } = await import('./program.js');
  process.exitCode = await run(process.argv.slice(2));
}
