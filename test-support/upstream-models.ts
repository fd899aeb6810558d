import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `KNOWN_MODEL_TEXT` of the Python tests. */
export const KNOWN_MODEL_TEXT = 'This is a simple model';

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

/** Creates one of the Python tool's test models byte for byte in a new temporary directory. */
export function createUpstreamModel(name: UpstreamModel): GeneratedModel {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ms-model-'));
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  const at = (...parts: string[]) => path.join(root, ...parts);
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  let modelPath: string;
  switch (name) {
    case 'sample_model_file':
      modelPath = at('file_model');
      write(modelPath, KNOWN_MODEL_TEXT);
      break;
    case 'empty_model_file':
      modelPath = at('empty_file_model');
      write(modelPath, '');
      break;
    case 'sample_model_folder':
      modelPath = at('sample_model');
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++)
          write(path.join(modelPath, `d${i}`, `f${i}${j}`), `This is file f${i}${j} in d${i}.`);
      }
      for (let i = 0; i < 4; i++) write(path.join(modelPath, `f${i}`), `This is file f${i} in root.`);
      break;
    case 'empty_model_folder':
      modelPath = at('empty_folder_model');
      mkdirSync(modelPath);
      break;
    case 'model_folder_with_empty_file':
      modelPath = at('empty_file_inside_model');
      write(path.join(modelPath, 'empty_file'), '');
      break;
    case 'deep_model_folder':
      modelPath = at('deep_model');
      for (let i = 0; i < 4; i++)
        write(path.join(modelPath, 'd0/d1/d2/d3/d4', `f${i}`), `This is file f${i}.`);
      break;
    case 'symlink_model_folder': {
      modelPath = at('symlink_model');
      mkdirSync(modelPath);
      const external = at('external_file');
      write(external, KNOWN_MODEL_TEXT);
      symlinkSync(external, path.join(modelPath, 'symlink_file'));
      break;
    }
  }
  return { path: modelPath, root, cleanup };
}
