/**
 * Sign a TensorFlow.js model as it is saved, so the signature covers exactly what was written, and load it
 * back only once it verifies.
 *
 *   pnpm build && npx tsx examples/sign-after-save.ts
 *
 * `signedSave` is a TF.js `IOHandler`: `model.save` writes `model.json` and the weights into a staging
 * directory, the publisher's key signs them there (`model.sig`, left out of the signed files), and the
 * directory is renamed into place, so a crash or a signing failure never leaves an unsigned model behind.
 * `verifiedLoad` is the `IOHandler` for `tf.loadLayersModel` (or `tf.loadGraphModel`): it verifies the
 * directory and hands TF.js only bytes that hash to their signed digests.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as hashing from '@model-signing/hashing';
import { Config as SigningConfig } from '@model-signing/signing';
import { signedSave, verifiedLoad } from '@model-signing/tfjs';
import { VerificationError, Config as VerifyingConfig } from '@model-signing/verifying';
import * as tf from '@tensorflow/tfjs';

const work = mkdtempSync(path.join(tmpdir(), 'sign-after-save-'));
try {
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 16, inputShape: [4], activation: 'relu' }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const input = tf.tensor2d([
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.1, 4.4, 1.4],
  ]);
  const predict = (m: tf.LayersModel) => (m.predict(input) as tf.Tensor2D).arraySync();

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const keyPem = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const publicPem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
  // Shards let a verifier pinpoint the changed region of a large file; the verifier reads this choice from
  // the signature, so nothing has to be agreed on out of band.
  const signing = new SigningConfig()
    .setHashingConfig(new hashing.Config().useShardSerialization({ shardSize: 256 }))
    .useEllipticKeySigner({ privateKey: keyPem });
  const verifying = new VerifyingConfig().useEllipticKeyVerifier({ publicKey: publicPem });

  const modelDir = path.join(work, 'classifier');
  await model.save(
    signedSave(modelDir, {
      signing,
      onSigned: (result) => console.log(`signed ${result.manifest.size} shards of ${modelDir}`),
    }),
  );
  console.log(`saved: ${readdirSync(modelDir).sort().join(', ')}`);

  const loaded = await tf.loadLayersModel(verifiedLoad(modelDir, { verifying }));
  const same = JSON.stringify(predict(loaded)) === JSON.stringify(predict(model));
  console.log(`verified and loaded: the prediction ${same ? 'matches' : 'differs from'} the saved model's`);

  // One changed weight, and the model no longer loads: the error names the shard that changed.
  const weights = path.join(modelDir, 'group1-shard1of1.bin');
  const bytes = readFileSync(weights);
  bytes[300] = (bytes[300]! + 1) % 256;
  writeFileSync(weights, bytes);
  try {
    await tf.loadLayersModel(verifiedLoad(modelDir, { verifying }));
    console.log('after changing one weight: loaded (unexpected)');
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    console.log(`after changing one weight: ${error.code}: ${error.message}`);
    for (const line of error.detailLines()) console.log(line);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
