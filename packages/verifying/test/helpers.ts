import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { VerificationError } from '@model-signing/verifying';
import { afterEach, expect } from 'vitest';

export { writeModel } from '../../../test-support/write-model.js';

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

/** Awaits a verification that must fail and returns its {@link VerificationError}. */
export async function failure(promise: Promise<unknown>): Promise<VerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VerificationError);
  return error as VerificationError;
}
