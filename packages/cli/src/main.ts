#!/usr/bin/env node
/**
 * The `model-signing` executable.
 * @module
 */
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
