/**
 * Sign a model right after a training framework saves it, so the signature covers exactly what was written.
 *
 *   pnpm build && npx tsx examples/sign-after-save.ts
 *
 * `saveModel` stands in for the framework's save call (`model.save_pretrained(dir)`, `tf.io` handlers,
 * `torch.save`, …). After it returns, the directory is hashed and signed with the publisher's key (use
 * `useCertificateSigner` for an X.509 chain); the signature goes next to the model as `model.sig` and is left
 * out of the signed files.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hashing from '@model-signing/hashing';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config as VerifyingConfig } from '@model-signing/verifying';

/** A stand-in for a framework's save: a manifest, weights in shards, a tokenizer. */
async function saveModel(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architecture: 'tiny', hidden: 64 }));
  for (let i = 0; i < 3; i++) writeFileSync(path.join(dir, `weights-0000${i}.bin`), Buffer.alloc(65_536, i));
  writeFileSync(path.join(dir, 'tokenizer.json'), '{"vocab": {}}');
}

const work = mkdtempSync(path.join(tmpdir(), 'sign-after-save-'));
try {
  const modelDir = path.join(work, 'checkpoint-100');
  await saveModel(modelDir);

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const keyPem = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const publicPem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
  const signature = path.join(modelDir, 'model.sig');
  // Shards let a verifier pinpoint the changed region of a large file; the verifier reads this choice from
  // the signature, so nothing has to be agreed on out of band.
  const result = await new SigningConfig()
    .setHashingConfig(new hashing.Config().useShardSerialization({ shardSize: 16_384 }))
    .useEllipticKeySigner({ privateKey: keyPem })
    .sign(modelDir, signature);
  console.log(`signed ${result.manifest.size} shards of ${modelDir}`);

  const verified = await new VerifyingConfig()
    .useEllipticKeyVerifier({ publicKey: publicPem })
    .verify(modelDir, signature);
  console.log(`verified with the publisher's public key: ${verified.files.length} shards OK`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
