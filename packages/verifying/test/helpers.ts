import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A fresh temporary directory, removed after the test. */
export function temp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ms-verifying-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a model directory with `files` (relative name → contents) and returns its path. */
export function writeModel(root: string, files: Record<string, string | Uint8Array>, name = 'model'): string {
  const model = path.join(root, name);
  mkdirSync(model, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(model, rel)), { recursive: true });
    writeFileSync(path.join(model, rel), content);
  }
  return model;
}

/** Copies a directory into a fresh temporary directory and returns the copy's path. */
export function copyDir(source: string): string {
  const target = path.join(temp(), path.basename(source));
  cpSync(source, target, { recursive: true });
  return target;
}

/** Writes text to a new file in a temporary directory and returns its path. */
export function tempFile(name: string, content: string | Uint8Array): string {
  const file = path.join(temp(), name);
  writeFileSync(file, content);
  return file;
}
