import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.join(here, '../node_modules/.bin/tsx');

async function run(file: string): Promise<string> {
  const { stdout } = await promisify(execFile)(tsx, [path.join(here, file)], { timeout: 120_000 });
  return stdout;
}

describe('examples (run with tsx against the built packages)', () => {
  it('sign-verify-key.ts signs, verifies and reports an added file', async () => {
    const out = await run('sign-verify-key.ts');
    expect(out).toMatch(/^signed 2 files of 'model'/m);
    expect(out).toMatch(/^verified: config\.json, weights\.bin$/m);
    expect(out).toMatch(/^after adding a file: MODEL_MISMATCH: Extra file: extra\.txt$/m);
  });

  it('model-hub-handler.ts accepts the good upload and rejects the tampered one with 422', async () => {
    const out = await run('model-hub-handler.ts');
    const [good, bad] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))));
    expect(good).toMatchObject({
      status: 200,
      body: { accepted: true, files: ['model.safetensors', 'tokenizer.json'] },
    });
    expect(bad).toMatchObject({ status: 422, body: { code: 'MODEL_MISMATCH' } });
    expect(bad.body.files.mismatched[0].name).toBe('tokenizer.json');
  });

  it('sign-after-save.ts saves a TF.js model through the signing handler and loads it only while it verifies', async () => {
    const out = await run('sign-after-save.ts');
    // 524 bytes of weights in 256-byte shards, plus model.json's shards; model.sig is not signed.
    expect(out).toMatch(/^signed \d+ shards of .*classifier$/m);
    expect(out).toMatch(/^saved: group1-shard1of1\.bin, model\.json, model\.sig$/m);
    expect(out).toMatch(/^verified and loaded: the prediction matches the saved model's$/m);
    expect(out).toMatch(/^after changing one weight: MODEL_MISMATCH: /m);
    expect(out).toMatch(
      /^Hash mismatch: group1-shard1of1\.bin:256:512: expected sha256-sharded-256:[0-9a-f]{64}, actual /m,
    );
  });
});
