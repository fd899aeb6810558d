import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSigstoreVerifier, readBundle } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const signatures = resolve(repoRoot, '../shared/fixtures/python-upstream/signatures');
const IDENTITY = 'stefanb@us.ibm.com';
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';
const GOLDENS = ['v0.3.1-sigstore', 'v1.0.0-sigstore', 'v1.0.1-sigstore', 'v1.1.0-sigstore'];

const jsonOf = (dir: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(signatures, dir, 'model.sig'), 'utf8')) as Record<string, unknown>;
const bundleOf = (dir: string) => readBundle(jsonOf(dir));

describe('Sigstore goldens verify offline against the embedded production root', () => {
  for (const dir of GOLDENS) {
    it(`${dir} verifies with the exact identity and issuer`, async () => {
      const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
      const result = await verifier.verify(bundleOf(dir));
      expect(result.payloadType).toBe('application/vnd.in-toto+json');
      const statement = JSON.parse(Buffer.from(result.payload).toString('utf8')) as {
        subject: { name: string }[];
      };
      expect(statement.subject[0]?.name).toBe(dir);
    });
  }

  it('touches neither the network nor a TUF cache for the production root', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const data = await mkdtemp(resolve(tmpdir(), 'ms-sigstore-xdg-'));
    const saved = { xdg: process.env.XDG_DATA_HOME, home: process.env.HOME, fetch: globalThis.fetch };
    process.env.XDG_DATA_HOME = data;
    process.env.HOME = data;
    globalThis.fetch = () => Promise.reject(new Error('network access in an offline test'));
    try {
      const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
      await expect(verifier.verify(bundleOf('v1.1.0-sigstore'))).resolves.toBeDefined();
      expect(await readdir(data)).toEqual([]);
    } finally {
      for (const [name, value] of [
        ['XDG_DATA_HOME', saved.xdg],
        ['HOME', saved.home],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      globalThis.fetch = saved.fetch;
      await rm(data, { recursive: true, force: true });
    }
  });

  it('rejects a wrong identity, including a prefix of the real one', async () => {
    for (const identity of ['alice@example.com', 'stefanb@us.ibm.co', 'stefanb@us', '.*']) {
      const verifier = await createSigstoreVerifier({ identity, oidcIssuer: ISSUER });
      await expect(verifier.verify(bundleOf('v1.1.0-sigstore'))).rejects.toMatchObject({
        code: 'IDENTITY_MISMATCH',
        message: expect.stringMatching(/identity/),
      });
    }
  });

  it('rejects a wrong issuer', async () => {
    const verifier = await createSigstoreVerifier({
      identity: IDENTITY,
      oidcIssuer: 'https://accounts.google.com',
    });
    await expect(verifier.verify(bundleOf('v1.0.1-sigstore'))).rejects.toMatchObject({
      code: 'IDENTITY_MISMATCH',
      message: expect.stringMatching(/issuer/),
    });
  });

  it('rejects a tampered payload', async () => {
    const json = jsonOf('v1.1.0-sigstore');
    const envelope = json.dsseEnvelope as { payload: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      subject: { name: string }[];
    };
    statement.subject[0]!.name = 'evil';
    envelope.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    const bundle = readBundle(json);
    const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
    await expect(verifier.verify(bundle)).rejects.toMatchObject({ code: 'TRANSPARENCY_LOG' });
    await expect(verifier.verify(bundle)).rejects.toThrow(/TLOG_BODY_ERROR/);
  });

  it('rejects a tampered signature', async () => {
    const json = jsonOf('v1.0.0-sigstore');
    const sig = (json.dsseEnvelope as { signatures: { sig: string }[] }).signatures[0]!;
    const bytes = Buffer.from(sig.sig, 'base64');
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 3) ^ 1, bytes.length - 3);
    sig.sig = bytes.toString('base64');
    const bundle = readBundle(json);
    const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
    await expect(verifier.verify(bundle)).rejects.toThrow(/Sigstore verification failed/);
  });

  it('refuses key and certificate bundles, naming the method they need', async () => {
    const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
    await expect(verifier.verify(bundleOf('v1.1.0-elliptic-key'))).rejects.toMatchObject({
      code: 'WRONG_METHOD',
      message: expect.stringMatching(/verify key/),
    });
    await expect(verifier.verify(bundleOf('v1.1.0-certificate'))).rejects.toMatchObject({
      code: 'WRONG_METHOD',
      message: expect.stringMatching(/verify certificate/),
    });
  });

  it('fails when the trusted root does not hold the Fulcio CA', async () => {
    // The same public-good root once whole (snake_case key, as Python's fixture spells it) and once without CAs.
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const root = JSON.parse(
      readFileSync(resolve(repoRoot, '../shared/fixtures/trusted_root.public-good.json'), 'utf8'),
    ) as Record<string, unknown>;
    const dir = await mkdtemp(resolve(tmpdir(), 'ms-sigstore-'));
    try {
      const withCa = resolve(dir, 'with-ca.json');
      const withoutCa = resolve(dir, 'without-ca.json');
      await writeFile(
        withCa,
        JSON.stringify({
          mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
          trusted_root: root,
        }),
      );
      await writeFile(withoutCa, JSON.stringify({ trustedRoot: { ...root, certificateAuthorities: [] } }));
      const good = await createSigstoreVerifier({
        identity: IDENTITY,
        oidcIssuer: ISSUER,
        trustConfig: withCa,
      });
      await expect(good.verify(bundleOf('v1.1.0-sigstore'))).resolves.toBeDefined();
      const bad = await createSigstoreVerifier({
        identity: IDENTITY,
        oidcIssuer: ISSUER,
        trustConfig: withoutCa,
      });
      await expect(bad.verify(bundleOf('v1.1.0-sigstore'))).rejects.toThrow(/CERTIFICATE_ERROR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
