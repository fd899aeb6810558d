#!/usr/bin/env node
// Launcher of the model-signing CLI: a JavaScript file, so that npm's links, npm's shims on Windows and npx all
// run it with the Node they find. On a supported Node it loads the CLI in this process. Otherwise (or when
// $MODEL_SIGNING_NODE names another Node) it re-runs the CLI with $MODEL_SIGNING_NODE or, in a checkout of the
// project, with the Node the project's set-up placed in .tools/; with neither, it prints one line saying what
// is needed. It runs under old Nodes too, so it stays plain: no syntax or API newer than Node 14's.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { unsupportedNodeMessage } from '../dist/node-version.js';

// The real file, whatever link or shim led here: the CLI lies beside it.
const here = path.dirname(realpathSync(fileURLToPath(import.meta.url)));
const entry = path.join(here, '..', 'dist', 'main.bundle.js');

function realpathOr(file) {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/** The project's own Node, in a .tools/ folder above this file (a checkout of the project). */
function projectNode() {
  for (let dir = here; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.tools', 'node', 'node_modules', '.bin', 'node');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The Node to re-run the CLI with, or undefined to run it here. */
function otherNode(unsupported) {
  const named = process.env.MODEL_SIGNING_NODE;
  if (named && realpathOr(named) !== process.execPath) return named;
  return unsupported ? projectNode() : undefined;
}

const unsupported = unsupportedNodeMessage(process.versions.node);
const node = otherNode(unsupported);
if (node !== undefined) {
  const child = spawn(node, [entry, ...process.argv.slice(2)], { stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the whole process group; a signal sent to this process alone is passed on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`model-signing: cannot run ${node}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exitCode = code === null ? 1 : code;
  });
} else if (unsupported) {
  process.stderr.write(`${unsupported}\n`);
  process.exitCode = 1;
} else {
  await import(pathToFileURL(entry).href);
}
