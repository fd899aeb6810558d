import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes a small model (`files` maps model-relative names to contents) at `root/name` and returns its path. */
export function writeModel(root: string, files: Record<string, string | Uint8Array>, name = 'model'): string {
  const model = path.join(root, name);
  mkdirSync(model, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(model, rel)), { recursive: true });
    writeFileSync(path.join(model, rel), content);
  }
  return model;
}
