import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectTarget, looksLikePath } from '../src/target.js';

describe('target auto-detection (spec §1.2)', () => {
  let dir: string;
  let cwd: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ms-target-'));
    mkdirSync(path.join(dir, 'models/bert'), { recursive: true });
    writeFileSync(path.join(dir, 'weights.bin'), 'w');
    symlinkSync(path.join(dir, 'missing'), path.join(dir, 'broken'));
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterAll(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  it('an existing file or directory is a local model', () => {
    expect(detectTarget('models/bert')).toEqual({ kind: 'local', path: 'models/bert' });
    expect(detectTarget('weights.bin').kind).toBe('local');
    expect(detectTarget(path.join(dir, 'models')).kind).toBe('local');
  });

  it('a path that does not exist says so instead of an image-reference error', () => {
    expect(() => detectTarget('./my-model')).toThrow('./my-model: no such file or directory');
    expect(() => detectTarget('models/gpt')).toThrow('models/gpt: no such file or directory');
    expect(() => detectTarget('/nonexistent/model')).toThrow('no such file or directory');
    expect(() => detectTarget('~/model')).toThrow('no such file or directory');
    // A broken symlink counts as "does not exist".
    expect(() => detectTarget('broken')).toThrow();
  });

  it('anything else is an image reference; oci:// always is', () => {
    const image = detectTarget('quay.io/user/model:latest');
    expect(image.kind).toBe('image');
    expect(image.kind === 'image' && image.reference.toString()).toBe('quay.io/user/model:latest');
    expect(detectTarget('oci://localhost:5000/models/bert:v1').kind).toBe('image');
    expect(() => detectTarget('ubuntu:latest')).toThrow("Invalid reference 'ubuntu:latest': missing /");
  });

  it('classifies path-looking strings', () => {
    expect(['./x', '/x', '~/x', 'a/b', 'a\\b'].map(looksLikePath)).toEqual([true, true, true, true, true]);
    expect(['a/b:v1', 'h:5000/r@sha256:00', 'model'].map(looksLikePath)).toEqual([false, false, false]);
  });
});
