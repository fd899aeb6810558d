import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { registryToolsMissing } from '../../test-support/oci/tools.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.join(here, '../../node_modules/.bin/tsx');

describe.skipIf(registryToolsMissing())('examples/oci (run with tsx against the built packages)', () => {
  it('sign-verify-image.ts signs and verifies an image in its own registry and refuses a re-pushed tag', async () => {
    const { stdout } = await promisify(execFile)(tsx, [path.join(here, 'sign-verify-image.ts')], {
      timeout: 120_000,
    });
    expect(stdout).toMatch(
      /^signed 127\.0\.0\.1:\d+\/models\/tiny-llm:v1 \(sha256:[0-9a-f]{64}\) as sha256-[0-9a-f]{64}\.sig$/m,
    );
    expect(stdout).toMatch(/^verified from the tag: config\.json, model\.safetensors, tokenizer\.json$/m);
    expect(stdout).toMatch(/^after re-pushing the tag: MODEL_MISMATCH: .*model\.safetensors/m);
  });
});
