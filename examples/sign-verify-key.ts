/**
 * Sign a model directory with an EC private key and verify it with the public key.
 *
 *   pnpm build && npx tsx examples/sign-verify-key.ts [MODEL_DIR]
 *
 * Without MODEL_DIR a small model is written to a temporary directory first. The key pair is generated here;
 * in real use it comes from your key management (`openssl ecparam -name prime256v1 -genkey`, a KMS, …).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { VerificationError, Config as VerifyingConfig } from '@model-signing/verifying';

const work = mkdtempSync(path.join(tmpdir(), 'model-signing-example-'));
try {
  const model = process.argv[2] ?? path.join(work, 'model');
  if (!process.argv[2]) {
    mkdirSync(model);
    writeFileSync(path.join(model, 'weights.bin'), Buffer.alloc(1024, 7));
    writeFileSync(path.join(model, 'config.json'), '{"layers": 2}');
  }
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' });

  // Keys may be given as file paths or as PEM bytes.
  const signature = path.join(work, 'model.sig');
  const signed = await new SigningConfig()
    .useEllipticKeySigner({ privateKey: Buffer.from(privatePem) })
    .sign(model, signature);
  console.log(`signed ${signed.manifest.size} files of '${signed.manifest.modelName}' → ${signature}`);

  const result = await new VerifyingConfig()
    .useEllipticKeyVerifier({ publicKey: Buffer.from(publicPem) })
    .verify(model, signature);
  console.log(`verified: ${result.files.join(', ')}`);

  // Any change to the model is reported file by file (shown on the generated model only).
  if (!process.argv[2]) {
    writeFileSync(path.join(model, 'extra.txt'), 'not signed');
    try {
      await new VerifyingConfig()
        .useEllipticKeyVerifier({ publicKey: Buffer.from(publicPem) })
        .verify(model, signature);
    } catch (error) {
      if (!(error instanceof VerificationError)) throw error;
      console.log(`after adding a file: ${error.code}: ${error.detailLines().join('; ')}`);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
