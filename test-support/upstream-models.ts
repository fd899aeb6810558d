import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `KNOWN_MODEL_TEXT` of the Python tests. */
export const KNOWN_MODEL_TEXT = 'This is a simple model';

/** `ANOTHER_MODEL_TEXT` of the Python tests. */
export const ANOTHER_MODEL_TEXT = 'This is another simple model';

/** The seven test models of the Python tool (format-and-behaviour §10.1), by fixture name. */
export const UPSTREAM_MODELS = [
  'sample_model_file',
  'empty_model_file',
  'sample_model_folder',
  'empty_model_folder',
  'model_folder_with_empty_file',
  'deep_model_folder',
  'symlink_model_folder',
] as const;

/** One of {@link UPSTREAM_MODELS}. */
export type UpstreamModel = (typeof UPSTREAM_MODELS)[number];

/** A generated model and how to remove it. */
export interface GeneratedModel {
  /** The model path (its final component is the model name). */
  path: string;
  /** The temporary directory holding it. */
  root: string;
  /** Removes everything. */
  cleanup(): void;
}

function write(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/**
 * Creates one of the Python tool's test models byte for byte under `dir` and returns its model path.
 * `symlinkTarget` places the external file of `symlink_model_folder`: `outside` the model (as upstream) or
 * `inside` an ignored `.git` of the model, which the symlink policy of this project allows.
 */
export function makeUpstreamModel(
  dir: string,
  name: UpstreamModel,
  symlinkTarget: 'outside' | 'inside' = 'outside',
): string {
  switch (name) {
    case 'sample_model_file': {
      const model = path.join(dir, 'file_model');
      write(model, KNOWN_MODEL_TEXT);
      return model;
    }
    case 'empty_model_file': {
      const model = path.join(dir, 'empty_file_model');
      write(model, '');
      return model;
    }
    case 'sample_model_folder': {
      const model = path.join(dir, 'sample_model');
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++)
          write(path.join(model, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
      }
      for (let i = 0; i < 4; i++) write(path.join(model, `f${i}`), `This is file f${i} in root.`);
      return model;
    }
    case 'empty_model_folder': {
      const model = path.join(dir, 'empty_folder_model');
      mkdirSync(model, { recursive: true });
      return model;
    }
    case 'model_folder_with_empty_file': {
      const model = path.join(dir, 'empty_file_inside_model');
      write(path.join(model, 'empty_file'), '');
      return model;
    }
    case 'deep_model_folder': {
      const model = path.join(dir, 'deep_model');
      for (let i = 0; i < 4; i++) write(path.join(model, 'd0/d1/d2/d3/d4', `f${i}`), `This is file f${i}.`);
      return model;
    }
    case 'symlink_model_folder': {
      const model = path.join(dir, 'symlink_model');
      mkdirSync(model, { recursive: true });
      const target =
        symlinkTarget === 'outside'
          ? path.join(dir, 'external_file')
          : path.join(model, '.git', 'external_file');
      write(target, KNOWN_MODEL_TEXT);
      symlinkSync(target, path.join(model, 'symlink_file'));
      return model;
    }
  }
}

/** Creates one of the Python tool's test models in a new temporary directory. */
export function createUpstreamModel(name: UpstreamModel): GeneratedModel {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ms-model-'));
  return {
    path: makeUpstreamModel(root, name),
    root,
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
