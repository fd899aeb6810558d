// Without the optional @model-signing/oci package, local models verify and image verification says what to install.
import path from 'node:path';
import { Config, VerificationError } from '@model-signing/verifying';
import { describe, expect, it, vi } from 'vitest';
import { PUBLIC_KEY, SIGNATURES } from './fixtures.js';

vi.mock('@model-signing/oci', () => {
  const error = new Error(
    "Cannot find package '@model-signing/oci' imported from verifying/dist/index.bundle.js",
  );
  Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
  throw error;
});

describe('verifying without @model-signing/oci', () => {
  const config = () => new Config().useEllipticKeyVerifier({ publicKey: PUBLIC_KEY });

  it('verifies a local model (a Python key golden)', async () => {
    const model = path.join(SIGNATURES, 'v1.1.0-elliptic-key');
    const result = await config().verify(model, path.join(model, 'model.sig'));
    expect(result.method).toBe('key');
  });

  it('verifyImage fails with one line naming the package to install', async () => {
    const error = await config()
      .verifyImage('127.0.0.1:5000/models/m:v1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).code).toBe('NOT_AVAILABLE');
    expect((error as VerificationError).message).toBe(
      'Verifying an OCI image needs the optional package @model-signing/oci; install it with: npm install @model-signing/oci',
    );
  });
});
