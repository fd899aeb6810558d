import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, createSigstoreSigner, SigstoreError, trustInstance } from '@model-signing/signing';
import * as verifying from '@model-signing/verifying';
import { createSigstoreVerifier, readBundle } from '@model-signing/verifying';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SigstoreStandIn, startSigstoreStandIn } from '../../../test-support/sigstore/index.js';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const STATEMENT = Buffer.from(
  JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'model', digest: { sha256: 'ab'.repeat(32) } }],
  }),
);

/** The OMS v1.0 bundle schema (every bundle we write must validate). */
function omsBundleSchema() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const dir = resolve(repoRoot, '../shared/fixtures/oms-spec/schemas/v1.0');
  for (const name of ['predicate', 'statement', 'envelope', 'bundle']) {
    ajv.addSchema(JSON.parse(readFileSync(join(dir, `${name}.schema.json`), 'utf8')));
  }
  return ajv.getSchema('https://model_signing/bundle/v1.0/schema')!;
}

let sigstore: SigstoreStandIn;
let scratch: string;

beforeAll(async () => {
  sigstore = await startSigstoreStandIn();
  scratch = await mkdtemp(join(tmpdir(), 'ms-sigstore-sign-'));
});
afterAll(async () => {
  await sigstore?.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe('keyless signing against the loopback Sigstore', () => {
  it('signs with a token through --trust-config and the bundle verifies with the exact identity', async () => {
    const signer = await createSigstoreSigner({
      trustConfig: sigstore.trustConfigPath,
      identityToken: sigstore.token(),
    });
    const bundle = await signer.sign(STATEMENT);
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
    const material = bundle.verificationMaterial as Record<string, unknown>;
    expect(Object.keys(material)).toEqual(['certificate', 'tlogEntries', 'timestampVerificationData']);
    const entries = material.tlogEntries as { kindVersion: { kind: string; version: string } }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]?.kindVersion).toEqual({ kind: 'dsse', version: '0.0.1' });
    const envelope = bundle.dsseEnvelope as { payload: string; signatures: Record<string, unknown>[] };
    expect(Buffer.from(envelope.payload, 'base64')).toEqual(STATEMENT);
    expect(Object.keys(envelope.signatures[0]!)).toEqual(['sig']);

    const verifier = await createSigstoreVerifier({
      identity: sigstore.email,
      oidcIssuer: sigstore.issuer,
      trustConfig: sigstore.trustConfigPath,
    });
    const parsed = readBundle(JSON.stringify(bundle));
    const result = await verifier.verify(parsed);
    expect(Buffer.from(result.payload)).toEqual(STATEMENT);

    const stranger = await createSigstoreVerifier({
      identity: 'mallory@example.com',
      oidcIssuer: sigstore.issuer,
      trustConfig: sigstore.trustConfigPath,
    });
    await expect(stranger.verify(parsed)).rejects.toThrow(/identity/);
    // The production root does not trust the stand-in.
    const production = await createSigstoreVerifier({
      identity: sigstore.email,
      oidcIssuer: sigstore.issuer,
    });
    await expect(production.verify(parsed)).rejects.toThrow(/Sigstore verification failed/);
  });

  it('signs a model through signing.Config; the file validates against the OMS schema and verifies', async () => {
    const model = join(scratch, 'model');
    await mkdir(join(model, 'sub'), { recursive: true });
    await writeFile(join(model, 'weights.bin'), 'weights');
    await writeFile(join(model, 'sub', 'tokenizer.json'), '{}');
    const signature = join(model, 'model.sig');
    await new Config()
      .useSigstoreSigner({ trustConfig: sigstore.trustConfigPath, identityToken: sigstore.token() })
      .sign(model, signature);
    const json = JSON.parse(await readFile(signature, 'utf8')) as unknown;
    const validate = omsBundleSchema();
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);

    const result = await new verifying.Config()
      .useSigstoreVerifier({
        identity: sigstore.email,
        oidcIssuer: sigstore.issuer,
        trustConfig: sigstore.trustConfigPath,
      })
      .verify(model, signature);
    expect(result.files).toEqual(['sub/tokenizer.json', 'weights.bin']);
    await writeFile(join(model, 'weights.bin'), 'tampered');
    await expect(
      new verifying.Config()
        .useSigstoreVerifier({
          identity: sigstore.email,
          oidcIssuer: sigstore.issuer,
          trustConfig: sigstore.trustConfigPath,
        })
        .verify(model, signature),
    ).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('signs and verifies through --instance after trust-instance', async () => {
    const cachePath = join(scratch, 'tuf');
    const trust = await trustInstance(`${sigstore.tufUrl}/`, sigstore.tufRootPath, { cachePath });
    expect(trust.signingConfig?.caUrls[0]?.url).toBe(sigstore.url);
    const signer = await createSigstoreSigner({
      instance: sigstore.tufUrl,
      identityToken: sigstore.token(),
      tuf: { cachePath },
    });
    const bundle = await signer.sign(STATEMENT);
    const verifier = await createSigstoreVerifier({
      identity: sigstore.email,
      oidcIssuer: sigstore.issuer,
      instance: sigstore.tufUrl,
      tuf: { cachePath },
    });
    await expect(verifier.verify(readBundle(JSON.stringify(bundle)))).resolves.toBeDefined();
  });

  it('trust precedence: --trust-config > --instance > --use-staging (no public service is contacted)', async () => {
    // With the trust config given, the (unresolvable) instance and staging are never looked at.
    const signer = await createSigstoreSigner({
      trustConfig: sigstore.trustConfigPath,
      instance: 'https://tuf.invalid',
      useStaging: true,
      identityToken: sigstore.token(),
    });
    const bundle = await signer.sign(STATEMENT);
    // A trusted instance wins over staging for verification too.
    const cachePath = join(scratch, 'precedence-tuf');
    await trustInstance(sigstore.tufUrl, sigstore.tufRootPath, { cachePath });
    const verifier = await createSigstoreVerifier({
      identity: sigstore.email,
      oidcIssuer: sigstore.issuer,
      instance: sigstore.tufUrl,
      useStaging: true,
      tuf: { cachePath },
    });
    await expect(verifier.verify(readBundle(JSON.stringify(bundle)))).resolves.toBeDefined();
  });

  it('refuses an instance that was never trusted, naming trust-instance', async () => {
    const cachePath = join(scratch, 'empty-tuf');
    await expect(
      createSigstoreSigner({
        instance: sigstore.tufUrl,
        identityToken: sigstore.token(),
        tuf: { cachePath },
      }),
    ).rejects.toMatchObject({
      code: 'INSTANCE_NOT_TRUSTED',
      message: expect.stringMatching(/trust-instance/),
    });
  });

  it('refuses the TUF root of another instance and keeps the cache clean', async () => {
    const other = await startSigstoreStandIn();
    try {
      const cachePath = join(scratch, 'other-tuf');
      await expect(trustInstance(sigstore.tufUrl, other.tufRootPath, { cachePath })).rejects.toMatchObject({
        code: 'TUF_ERROR',
      });
      await expect(
        createSigstoreSigner({
          instance: sigstore.tufUrl,
          identityToken: sigstore.token(),
          tuf: { cachePath },
        }),
      ).rejects.toMatchObject({ code: 'INSTANCE_NOT_TRUSTED' });
    } finally {
      await other.stop();
    }
  });

  it('rejects a ROOT_JSON that is not a file', async () => {
    await expect(trustInstance(sigstore.tufUrl, scratch, { cachePath: join(scratch, 'x') })).rejects.toThrow(
      /ROOT_JSON must be a file/,
    );
  });

  it('accepts the Python fixture spelling signing_config', async () => {
    const config = JSON.parse(await readFile(sigstore.trustConfigPath, 'utf8')) as Record<string, unknown>;
    const snake = join(scratch, 'snake.json');
    await writeFile(
      snake,
      JSON.stringify({ trustedRoot: config.trustedRoot, signing_config: config.signingConfig }),
    );
    const signer = await createSigstoreSigner({ trustConfig: snake, identityToken: sigstore.token() });
    await expect(signer.sign(STATEMENT)).resolves.toHaveProperty('dsseEnvelope');
  });

  it('refuses a trust config without a signing config or without a CA', async () => {
    const config = JSON.parse(await readFile(sigstore.trustConfigPath, 'utf8')) as {
      trustedRoot: Record<string, unknown>;
      signingConfig: unknown;
    };
    const verifyOnly = join(scratch, 'verify-only.json');
    await writeFile(verifyOnly, JSON.stringify({ trustedRoot: config.trustedRoot }));
    await expect(
      createSigstoreSigner({ trustConfig: verifyOnly, identityToken: sigstore.token() }),
    ).rejects.toThrow(/no signing_config/);
    const noCa = join(scratch, 'no-ca.json');
    await writeFile(
      noCa,
      JSON.stringify({
        trustedRoot: { ...config.trustedRoot, certificateAuthorities: [] },
        signingConfig: config.signingConfig,
      }),
    );
    await expect(
      createSigstoreSigner({ trustConfig: noCa, identityToken: sigstore.token() }),
    ).rejects.toThrow(/no certificate authority/);
    // A CA that did not issue the stand-in's certificates: the signer refuses Fulcio's certificate.
    const golden = JSON.parse(
      await readFile(resolve(repoRoot, '../shared/fixtures/trusted_root.public-good.json'), 'utf8'),
    ) as Record<string, unknown>;
    const wrongCa = join(scratch, 'wrong-ca.json');
    await writeFile(
      wrongCa,
      JSON.stringify({
        trustedRoot: { ...config.trustedRoot, certificateAuthorities: golden.certificateAuthorities },
        signingConfig: config.signingConfig,
      }),
    );
    const signer = await createSigstoreSigner({ trustConfig: wrongCa, identityToken: sigstore.token() });
    await expect(signer.sign(STATEMENT)).rejects.toThrow(
      /not issued by a certificate authority of the trusted root/,
    );
  });

  it('refuses expired and malformed tokens without printing them', async () => {
    const expired = sigstore.token({ exp: Math.floor(Date.now() / 1000) - 60 });
    const error = await createSigstoreSigner({
      trustConfig: sigstore.trustConfigPath,
      identityToken: expired,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigstoreError);
    expect((error as SigstoreError).code).toBe('IDENTITY_TOKEN_ERROR');
    expect((error as Error).message).toMatch(/expired/);
    expect((error as Error).message).not.toContain(expired);
    expect((error as Error).message).not.toContain(expired.split('.')[1]);

    for (const bad of [
      'not-a-token',
      'abc.###.def',
      `${expired.split('.')[0]}.${Buffer.from('[1]').toString('base64url')}.`,
    ]) {
      const e = await createSigstoreSigner({
        trustConfig: sigstore.trustConfigPath,
        identityToken: bad,
      }).catch((x: unknown) => x as Error);
      expect(e).toMatchObject({ code: 'IDENTITY_TOKEN_ERROR', message: expect.stringMatching(/malformed/) });
      expect((e as Error).message).not.toContain(bad);
    }
  });

  it('fails with a clear error after bounded retries when Fulcio is unreachable', async () => {
    const config = JSON.parse(await readFile(sigstore.trustConfigPath, 'utf8')) as {
      trustedRoot: unknown;
      signingConfig: { caUrls: { url: string }[] };
    };
    // Port 9 on loopback (discard) is closed on a test machine: connections are refused at once.
    config.signingConfig.caUrls[0]!.url = 'http://127.0.0.1:9';
    const unreachable = join(scratch, 'unreachable.json');
    await writeFile(unreachable, JSON.stringify(config));
    const token = sigstore.token();
    const signer = await createSigstoreSigner({
      trustConfig: unreachable,
      identityToken: token,
      network: { timeoutMs: 2000, retries: 1 },
    });
    const error = (await signer.sign(STATEMENT).catch((e: unknown) => e)) as SigstoreError;
    expect(error).toBeInstanceOf(SigstoreError);
    expect(error.code).toBe('SERVICE_ERROR');
    expect(error.message).toContain('Fulcio http://127.0.0.1:9');
    expect(error.message).not.toContain(token);
  });
});
