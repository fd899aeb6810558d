import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config, DEFAULT_MAX_SIGNATURE_BYTES, readBundle, VerificationError } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelImage } from '../../../test-support/oci/layout.js';
import { type Standin, startStandin, storeImage } from '../../../test-support/oci/standin.js';
import { failure, temp, writeModel } from './helpers.js';

const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const privateKey = Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
const publicKey = Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' }));
const verifier = () => new Config().useEllipticKeyVerifier({ publicKey });

const SECRET = 'sk_live_S3CR3T_0123456789abcdef';

async function signedModel(): Promise<{ dir: string; model: string; signature: string }> {
  const dir = temp();
  const model = writeModel(dir, { 'weights.bin': 'w', 'sub/config.json': '{}' });
  const signature = path.join(dir, 'model.sig');
  await new SigningConfig().useEllipticKeySigner({ privateKey }).sign(model, signature);
  return { dir, model, signature };
}

// Runs a verification that must fail within the test's time (a FIFO would block it for ever).
async function refusal(signature: string, model: string, config = verifier()): Promise<VerificationError> {
  const error = await failure(config.verify(model, signature));
  expect(error.message.split('\n')).toHaveLength(1);
  return error;
}

describe('the signature file must be a regular file of bounded size', () => {
  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const { dir, model } = await signedModel();
    const fifo = path.join(dir, 'fifo.sig');
    execFileSync('mkfifo', [fifo]);
    const error = await refusal(fifo, model);
    expect(error.code).toBe('READ_ERROR');
    expect(error.message).toBe(
      `Cannot read the signature file ${fifo}: it is a FIFO, not a regular file; give the path of a signature file`,
    );
  });

  it('refuses a device (a symlink to /dev/zero) without reading it', async () => {
    const { dir, model } = await signedModel();
    const link = path.join(dir, 'zero.sig');
    symlinkSync('/dev/zero', link);
    const error = await refusal(link, model);
    expect(error.code).toBe('READ_ERROR');
    expect(error.message).toMatch(/: it is a device, not a regular file;/);
  });

  it('refuses a directory', async () => {
    const { dir, model } = await signedModel();
    const error = await refusal(dir, model);
    expect(error.message).toMatch(/: it is a directory, not a regular file;/);
  });

  it('refuses a file over the limit and takes one at the limit', async () => {
    const { model, signature } = await signedModel();
    const size = statSync(signature).size;
    const over = await refusal(signature, model, verifier().setMaxSignatureBytes(size - 1));
    expect(over.code).toBe('READ_ERROR');
    expect(over.message).toContain(`it is larger than the limit of ${size - 1} bytes`);
    expect(over.message).toContain('raise the limit (setMaxSignatureBytes)');
    const result = await verifier().setMaxSignatureBytes(size).verify(model, signature);
    expect(result.files).toEqual(['sub/config.json', 'weights.bin']);
  });

  it('refuses a sparse file over the default limit without reading it', async () => {
    const { dir, model } = await signedModel();
    const huge = path.join(dir, 'huge.sig');
    writeFileSync(huge, '{');
    truncateSync(huge, DEFAULT_MAX_SIGNATURE_BYTES + 1);
    const error = await refusal(huge, model);
    expect(error.message).toContain(`larger than the limit of ${DEFAULT_MAX_SIGNATURE_BYTES} bytes`);
    expect(DEFAULT_MAX_SIGNATURE_BYTES).toBe(256 * 1024 * 1024);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => verifier().setMaxSignatureBytes(0)).toThrow(VerificationError);
    expect(() => verifier().setMaxSignatureBytes(1.5)).toThrow(/positive integer/);
  });
});

describe('messages never quote the signature file', () => {
  it('a symlink to a secret file: the error gives the JSON position only', async () => {
    const { dir, model } = await signedModel();
    const secret = path.join(dir, 'secret.env');
    writeFileSync(secret, `${SECRET}\nAWS_SECRET=abc\n`);
    const link = path.join(dir, 'link.sig');
    symlinkSync(secret, link);
    const error = await refusal(link, model);
    expect(error.code).toBe('INVALID_BUNDLE');
    expect(error.message).toBe(
      'Invalid bundle: the signature file is not JSON: invalid symbol at line 1, column 1 (offset 0)',
    );
    expect(`${error.message}${String(error.cause ?? '')}`).not.toContain('sk_');
  });

  it.each([
    ['truncated', (json: string) => json.slice(0, json.length / 2)],
    ['trailing text', (json: string) => `${json}${SECRET}`],
    ['a bad value', (json: string) => json.replace('"mediaType":', `"mediaType": ${SECRET},"x":`)],
  ])('%s JSON: position only', async (_name, spoil) => {
    const { model, signature } = await signedModel();
    writeFileSync(signature, spoil(readFileSync(signature, 'utf8')));
    const error = await refusal(signature, model);
    expect(error.message).toMatch(
      /^Invalid bundle: the signature file is not JSON: [a-z ]+ at line \d+, column \d+ \(offset \d+\)$/,
    );
    expect(error.message).not.toContain('sk_');
    expect(error.message).not.toContain('mediaType');
  });

  it('a JSON file that is not a bundle: values never shown, names only when they look like names', async () => {
    const { dir, model } = await signedModel();
    const cases: [string, string][] = [
      [JSON.stringify({ mediaType: SECRET }), 'Invalid bundle: unknown media type (not shown)'],
      [JSON.stringify({ [SECRET]: 1 }), 'Invalid bundle: unknown field (not shown) in the bundle'],
      [JSON.stringify({ private_key: SECRET }), 'Invalid bundle: unknown field (not shown) in the bundle'],
      [JSON.stringify({ extraField: SECRET }), "Invalid bundle: unknown field 'extraField' in the bundle"],
    ];
    for (const [content, message] of cases) {
      const file = path.join(dir, 'other.json');
      writeFileSync(file, content);
      const error = await refusal(file, model);
      expect(error.message).toBe(message);
    }
  });

  it('refuses a UTF-8 byte order mark before the bundle', async () => {
    const { model, signature } = await signedModel();
    writeFileSync(signature, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(signature)]));
    const error = await refusal(signature, model);
    expect(error.message).toBe(
      'Invalid bundle: the signature file is not JSON: it starts with a byte order mark (U+FEFF), which JSON does not allow',
    );
    expect(() => readBundle(readFileSync(signature))).toThrow(/byte order mark/);
  });

  it('refuses a byte order mark before the signed statement', async () => {
    const { model, signature } = await signedModel();
    const bundle = JSON.parse(readFileSync(signature, 'utf8'));
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), payload]);
    // Signed again over the changed payload, so that only the statement check can refuse it.
    const { pae } = await import('@model-signing/signing');
    const { sign } = await import('node:crypto');
    bundle.dsseEnvelope.payload = withBom.toString('base64');
    bundle.dsseEnvelope.signatures[0].sig = sign(
      'sha256',
      pae('application/vnd.in-toto+json', withBom),
      keys.privateKey,
    ).toString('base64');
    writeFileSync(signature, JSON.stringify(bundle));
    const error = await refusal(signature, model);
    expect(error.code).toBe('INVALID_PAYLOAD');
    expect(error.message).toMatch(/not valid JSON: it starts with a byte order mark/);
  });
});

describe('OCI: the --signature file follows the same rules', () => {
  let standin: Standin;
  beforeAll(async () => {
    standin = await startStandin();
  });
  afterAll(async () => {
    await standin?.stop();
  });

  it('refuses a FIFO and does not quote a non-JSON file', async () => {
    storeImage(standin, 'acme/hostile', 'v1', modelImage({ 'model.bin': 'm' }));
    const ref = `${standin.host}/acme/hostile:v1`;
    const dir = temp();
    const fifo = path.join(dir, 'fifo.sig');
    execFileSync('mkfifo', [fifo]);
    await expect(verifier().verifyImage(ref, { plainHttp: true, signature: fifo })).rejects.toThrow(
      `Cannot read the signature file ${fifo}: it is a FIFO, not a regular file`,
    );
    const secret = path.join(dir, 'secret.sig');
    writeFileSync(secret, SECRET);
    const error = await verifier()
      .verifyImage(ref, { plainHttp: true, signature: secret })
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(/invalid JSON: invalid symbol at line 1, column 1 \(offset 0\)/);
    expect((error as Error).message).not.toContain('sk_');
    await expect(
      verifier().setMaxSignatureBytes(4).verifyImage(ref, { plainHttp: true, signature: secret }),
    ).rejects.toThrow('it is larger than the limit of 4 bytes');
  });
});
