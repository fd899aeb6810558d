import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, VerificationError } from '@model-signing/verifying';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { temp, tempFile, writeModel } from './helpers.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const privatePem = Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const publicPem = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' }));
const other = Buffer.from(
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'pem' }),
);

// Names without separators, dots-only names or git names; trees of up to three levels.
const segment = fc.stringMatching(/^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,7}$/).filter((s) => !s.startsWith('.git'));
const tree = fc.dictionary(
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
  fc.uint8Array({ maxLength: 64 }),
  { minKeys: 1, maxKeys: 8 },
);

/** Drops paths that are a prefix directory of another path (a name cannot be both file and directory). */
function consistent(files: Record<string, Uint8Array>): Record<string, Uint8Array> {
  const names = Object.keys(files);
  return Object.fromEntries(
    Object.entries(files).filter(([name]) => !names.some((other) => other.startsWith(`${name}/`))),
  );
}

function listFiles(root: string, prefix = ''): string[] {
  return readdirSync(root).flatMap((name) => {
    const full = path.join(root, name);
    return statSync(full).isDirectory() ? listFiles(full, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

async function signed(files: Record<string, Uint8Array>) {
  const dir = temp();
  const model = writeModel(dir, files);
  const signature = path.join(dir, 'model.sig');
  await new SigningConfig().useEllipticKeySigner({ privateKey: privatePem }).sign(model, signature);
  return { model, signature };
}

describe('property tests', () => {
  it('random trees: sign → verify, any single-file mutation → fail, wrong key → fail', async () => {
    await fc.assert(
      fc.asyncProperty(tree.map(consistent), fc.nat(), fc.nat(), async (files, pick, at) => {
        const { model, signature } = await signed(files);
        const verifier = new Config().useEllipticKeyVerifier({ publicKey: publicPem });
        const result = await verifier.verify(model, signature);
        expect([...result.files].sort()).toEqual(Object.keys(files).sort());

        const wrong = await new Config()
          .useEllipticKeyVerifier({ publicKey: other })
          .verify(model, signature)
          .catch((e: unknown) => e);
        expect((wrong as VerificationError).code).toBe('KEY_MISMATCH');

        const names = listFiles(model);
        const victim = names[pick % names.length] as string;
        const content = files[victim] as Uint8Array;
        const mutated = new Uint8Array(content.length === 0 ? [1] : content);
        if (content.length > 0)
          mutated[at % content.length] = ((mutated[at % content.length] as number) + 1) % 256;
        writeFileSync(path.join(model, victim), mutated);
        const error = await verifier.verify(model, signature).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VerificationError);
        expect((error as VerificationError).details?.mismatched.map((m) => m.name)).toEqual([victim]);
      }),
      { numRuns: 25 },
    );
  });

  it('random bytes as a signature file never verify', async () => {
    const { model } = await signed({ f: new Uint8Array([1, 2, 3]) });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const error = await new Config()
          .useEllipticKeyVerifier({ publicKey: publicPem })
          .verify(model, tempFile('model.sig', bytes))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(VerificationError);
      }),
      { numRuns: 50 },
    );
  });
});
