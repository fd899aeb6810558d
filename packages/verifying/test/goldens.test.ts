import path from 'node:path';
import { resolveCliIgnorePaths } from '@model-signing/hashing';
import { Config, OLD_KEY_FORMAT_WARNING, VerificationError } from '@model-signing/verifying';
import { afterAll, describe, expect, it } from 'vitest';
import { CA_CERT, GOLDENS, type Golden, PUBLIC_KEY, SIGNATURES } from './fixtures.js';

function configFor(golden: Golden): Config {
  const config = new Config();
  return golden.method === 'key'
    ? config.useEllipticKeyVerifier({ publicKey: PUBLIC_KEY })
    : config.useCertificateVerifier({ certificateChain: [CA_CERT] });
}

describe('Python goldens verify through the API with the §10.3 arguments', () => {
  for (const golden of GOLDENS) {
    it(golden.dir, async () => {
      const model = path.join(SIGNATURES, golden.model);
      const ignore = resolveCliIgnorePaths(
        model,
        golden.ignore.map((p) => path.join(SIGNATURES, p)),
      );
      const result = await configFor(golden)
        .setIgnoredPaths({ paths: ignore })
        .verify(model, path.join(SIGNATURES, golden.dir, 'model.sig'));
      expect(result.method).toBe(golden.method);
      expect(result.files.length).toBeGreaterThan(0);
      expect(result.warnings.includes(OLD_KEY_FORMAT_WARNING)).toBe(golden.oldKeyFormat === true);
    });
  }

  it('v1.0.1-elliptic-key without ignores names the extra file', async () => {
    const model = path.join(SIGNATURES, 'v1.0.1-elliptic-key');
    const error = await configFor(GOLDENS[6] as Golden)
      .verify(model, path.join(model, 'model.sig'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VerificationError);
    expect((error as VerificationError).code).toBe('MODEL_MISMATCH');
    expect((error as VerificationError).details?.extra).toEqual(['ignore-me']);
  });
});

describe('from inside the model directory with "."', () => {
  const cwd = process.cwd();
  afterAll(() => process.chdir(cwd));
  for (const golden of GOLDENS.filter((g) => !g.model.endsWith('signme-1'))) {
    it(golden.dir, async () => {
      process.chdir(path.join(SIGNATURES, golden.dir));
      try {
        const ignore = resolveCliIgnorePaths('.', golden.ignore.length ? ['ignore-me'] : []);
        await configFor(golden).setIgnoredPaths({ paths: ignore }).verify('.', 'model.sig');
      } finally {
        process.chdir(cwd);
      }
    });
  }
});
