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
  const { EXIT, run } = await import('./program.js');
  const status = await run(process.argv.slice(2));
  // After Ctrl-C, work that does not listen to the signal (a browser sign-in) must not keep the process alive.
  if (status === EXIT.interrupted) process.exit(status);
  process.exitCode = status;
}
