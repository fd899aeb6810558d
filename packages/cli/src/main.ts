#!/usr/bin/env node
/**
 * The `model-signing` executable.
 * @module
 */

const MIN_NODE_MAJOR = 22;
const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) {
  // Checked before anything else loads, so an old Node gets this line instead of a syntax or engine error.
  process.stderr.write(
    `model-signing: Node.js >= ${MIN_NODE_MAJOR} is required (this is ${process.version}); ` +
      'set MODEL_SIGNING_NODE to a newer node\n',
  );
  process.exitCode = 1;
} else {
  const { run } = await import('./program.js');
  process.exitCode = await run(process.argv.slice(2));
}
