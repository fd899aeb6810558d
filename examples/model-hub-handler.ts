/**
 * A model hub's upload handler: accept an uploaded model only when its signature verifies against the
 * publisher's registered key (or certificate roots), and report precisely what is wrong otherwise.
 *
 *   pnpm build && npx tsx examples/model-hub-handler.ts
 *
 * The handler is a plain async function so it fits any HTTP framework: call it with the directory the upload
 * was unpacked into and the path of the uploaded `model.sig`, and turn the result into a response.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { VerificationError, Config as VerifyingConfig } from '@model-signing/verifying';

/** What the hub answers to an upload. */
export interface UploadResponse {
  readonly status: 200 | 400 | 422;
  readonly body: Record<string, unknown>;
}

/**
 * Verifies an uploaded model. `publisherKey` is the PEM public key the publisher registered with the hub.
 * The signature file may sit inside the upload; it is left out of the comparison automatically.
 */
export async function handleUpload(
  modelDir: string,
  signaturePath: string,
  publisherKey: Uint8Array,
): Promise<UploadResponse> {
  try {
    const result = await new VerifyingConfig()
      .useEllipticKeyVerifier({ publicKey: publisherKey })
      .verify(modelDir, signaturePath);
    return { status: 200, body: { accepted: true, model: result.signedModelName, files: result.files } };
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    // A model that does not match its signature is the uploader's problem (422); a bad or foreign signature
    // file is a bad request (400). Both get the exact reason.
    const status = error.code === 'MODEL_MISMATCH' ? 422 : 400;
    return {
      status,
      body: { accepted: false, code: error.code, reason: error.message, files: error.details ?? null },
    };
  }
}

// A demonstration run: a publisher signs, the hub receives a good and a tampered upload.
const work = mkdtempSync(path.join(tmpdir(), 'model-hub-'));
try {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const publisherKey = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
  const upload = path.join(work, 'upload');
  mkdirSync(upload);
  writeFileSync(path.join(upload, 'model.safetensors'), Buffer.alloc(4096, 1));
  writeFileSync(path.join(upload, 'tokenizer.json'), '{}');
  await new SigningConfig()
    .useEllipticKeySigner({ privateKey: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })) })
    .sign(upload, path.join(upload, 'model.sig'));

  console.log(
    'good upload:',
    JSON.stringify(await handleUpload(upload, path.join(upload, 'model.sig'), publisherKey)),
  );
  writeFileSync(path.join(upload, 'tokenizer.json'), '{"evil": true}');
  console.log(
    'tampered upload:',
    JSON.stringify(await handleUpload(upload, path.join(upload, 'model.sig'), publisherKey)),
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
