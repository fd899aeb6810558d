import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'vitest';
import { REPO_ROOT } from '../../../test-support/paths.js';

const SCHEMA = JSON.parse(
  readFileSync(path.join(REPO_ROOT, 'packages/cli/schema/output.schema.json'), 'utf8'),
);
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addSchema(SCHEMA);

/** The shapes of `$defs` in the output schema, one per kind of `--json` result. */
export type OutputShape =
  | 'digest'
  | 'sign'
  | 'signImage'
  | 'verify'
  | 'verifyImage'
  | 'pkcs11ExportPublicKey'
  | 'trustInstance'
  | 'failure';

/**
 * Asserts that `stdout` is exactly one JSON object, valid against the whole output schema and against the
 * shape `$defs/<shape>`, and returns it.
 */
export function expectShape(stdout: string, shape: OutputShape): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  const data = JSON.parse(lines[0]!) as Record<string, unknown>;
  for (const ref of [SCHEMA.$id, `${SCHEMA.$id}#/$defs/${shape}`]) {
    const validate = ajv.getSchema(ref)!;
    expect(validate(data), `${ref}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  }
  return data;
}
