import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Config, type ModelSigner, SigningError } from '@model-signing/signing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { CURVES, ecKeyPair, FIXTURES, KEYS, tempDir, writeModel } from './helpers.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function temp() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

const schemaDir = path.join(FIXTURES, 'oms-spec/schemas/v1.0');
function schemaValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  for (const name of ['predicate', 'statement', 'envelope', 'bundle']) {
    ajv.addSchema(JSON.parse(readFileSync(path.join(schemaDir, `${name}.schema.json`), 'utf8')));
  }
  return {
    bundle: ajv.getSchema('https://model_signing/bundle/v1.0/schema'),
    statement: ajv.getSchema('https://model_signing/statement/v1.0/schema'),
  };
}

describe('sign with an EC key', () => {
  for (const { curve, openssl, hash } of CURVES) {
    it(`writes a Python-layout key bundle on ${curve}, verified by openssl and the OMS schema`, async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'hello', 'sub/b.bin': 'world' });
      const keys = ecKeyPair(openssl);
      writeFileSync(path.join(dir, 'key.pem'), keys.privatePem);
      writeFileSync(path.join(dir, 'pub.pem'), keys.publicPem);
      const signature = path.join(dir, 'model.sig');
      const result = await new Config()
        .useEllipticKeySigner({ privateKey: path.join(dir, 'key.pem') })
        .sign(model, signature);
      expect(result.method).toBe('key');

      const text = readFileSync(signature, 'utf8');
      expect(text.endsWith('}')).toBe(true);
      const bundle = JSON.parse(text);
      expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
      expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(bundle.verificationMaterial.tlogEntries).toEqual([]);
      expect(Object.keys(bundle.dsseEnvelope)).toEqual(['payload', 'payloadType', 'signatures']);
      expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
      expect(bundle.dsseEnvelope.signatures[0].keyid).toBe('');

      // The hint is SHA-256 of the public key PEM, computed here with openssl, independently of our code.
      if (opensslAvailable()) {
        const pem = execFileSync('openssl', ['pkey', '-pubin', '-in', path.join(dir, 'pub.pem'), '-pubout']);
        const hint = execFileSync('sha256sum', { input: pem }).toString().split(' ')[0];
        expect(bundle.verificationMaterial.publicKey).toEqual({ hint });

        // openssl checks the DSSE signature over an independently built PAE with the curve's hash.
        const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
        const pae = Buffer.concat([
          Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${payload.length} `),
          payload,
        ]);
        writeFileSync(path.join(dir, 'pae.bin'), pae);
        writeFileSync(
          path.join(dir, 'sig.der'),
          Buffer.from(bundle.dsseEnvelope.signatures[0].sig, 'base64'),
        );
        const out = execFileSync('openssl', [
          'dgst',
          `-${hash}`,
          '-verify',
          path.join(dir, 'pub.pem'),
          '-signature',
          path.join(dir, 'sig.der'),
          path.join(dir, 'pae.bin'),
        ]).toString();
        expect(out.trim()).toBe('Verified OK');
      } else if (process.env.CI === 'true') {
        throw new Error('openssl is required on CI');
      }

      const { bundle: validateBundle, statement: validateStatement } = schemaValidator();
      expect(validateBundle?.(bundle), JSON.stringify(validateBundle?.errors)).toBe(true);
      const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
      expect(validateStatement?.(statement), JSON.stringify(validateStatement?.errors)).toBe(true);
      expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual([
        'a.bin',
        'sub/b.bin',
      ]);
    });
  }

  it('computes the hint of the Python test key (golden e8450dec…)', async () => {
    const dir = temp();
    const model = writeModel(dir, { f: 'x' });
    const bundle = await new Config()
      .useEllipticKeySigner({ privateKey: path.join(KEYS, 'signing-key.pem') })
      .signToBundle(model);
    expect(bundle.verificationMaterial).toEqual({
      publicKey: { hint: 'e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e' },
      tlogEntries: [],
    });
  });

  it('accepts the key as PEM bytes', async () => {
    const dir = temp();
    const model = writeModel(dir, { f: 'x' });
    const bundle = await new Config()
      .useEllipticKeySigner({ privateKey: readFileSync(path.join(KEYS, 'signing-key.pem')) })
      .signToBundle(model);
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  it('records the signature file as ignored when it lies inside the model', async () => {
    const dir = temp();
    const model = writeModel(dir, { f: 'x' });
    const keys = ecKeyPair('prime256v1');
    await new Config()
      .useEllipticKeySigner({ privateKey: Buffer.from(keys.privatePem) })
      .sign(model, path.join(model, 'model.sig'));
    const bundle = JSON.parse(readFileSync(path.join(model, 'model.sig'), 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString());
    expect(statement.predicate.serialization.ignore_paths).toContain('model.sig');
    expect(statement.predicate.resources.map((r: { name: string }) => r.name)).toEqual(['f']);
  });
});

describe('private keys', () => {
  const keys = ecKeyPair('secp384r1');
  const encryptedPkcs8 = keys.privateKey
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret pass' })
    .toString();
  const encryptedSec1 = keys.privateKey
    .export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'secret pass' })
    .toString();
  const sec1 = keys.privateKey.export({ type: 'sec1', format: 'pem' }).toString();

  for (const [name, pem] of [
    ['encrypted PKCS#8', encryptedPkcs8],
    ['legacy encrypted SEC1', encryptedSec1],
  ] as const) {
    it(`loads ${name} with its password`, () => {
      expect(() =>
        new Config().useEllipticKeySigner({ privateKey: Buffer.from(pem), password: 'secret pass' }),
      ).not.toThrow();
    });
    it(`refuses ${name} with a wrong or missing password, without echoing it`, () => {
      for (const password of ['hunter2-xyz', undefined]) {
        let error: unknown;
        try {
          new Config().useEllipticKeySigner({
            privateKey: Buffer.from(pem),
            ...(password ? { password } : {}),
          });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(SigningError);
        expect((error as SigningError).code).toBe('BAD_PASSWORD');
        expect((error as Error).message).not.toContain('hunter2-xyz');
      }
    });
  }

  it('loads SEC1 with text before the PEM block', () => {
    expect(() =>
      new Config().useEllipticKeySigner({
        privateKey: Buffer.from(`Some certtool dump\nmore text\n${sec1}`),
      }),
    ).not.toThrow();
  });

  it('refuses RSA, Ed25519 and secp256k1 keys as an unsupported key type', () => {
    const pems = [
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      }),
    ];
    for (const pem of pems) {
      expect(() => new Config().useEllipticKeySigner({ privateKey: Buffer.from(pem) })).toThrow(
        /^Unsupported key type/,
      );
    }
  });

  it('names an unreadable key file', () => {
    expect(() => new Config().useEllipticKeySigner({ privateKey: '/nonexistent/key.pem' })).toThrow(
      /Cannot read the private key \/nonexistent\/key.pem: no such file or directory/,
    );
  });

  it('refuses a file without a key', () => {
    let error: unknown;
    try {
      new Config().useEllipticKeySigner({ privateKey: Buffer.from('not a key') });
    } catch (e) {
      error = e;
    }
    expect((error as SigningError).code).toBe('INVALID_KEY');
  });
});

describe('writing the signature', () => {
  const signer = (log: string[]): ModelSigner => ({
    method: 'key',
    async sign() {
      log.push('sign');
      return { mediaType: 'x' };
    },
    async close() {
      log.push('close');
    },
  });

  it('checks the destination before signing and leaves no file behind', async () => {
    const dir = temp();
    const model = writeModel(dir, { f: 'x' });
    const log: string[] = [];
    const missingDir = path.join(dir, 'missing', 'model.sig');
    await expect(new Config().useSigner(signer(log)).sign(model, missingDir)).rejects.toMatchObject({
      code: 'WRITE_ERROR',
    });
    expect(log).toEqual([]);
    await expect(new Config().useSigner(signer(log)).sign(model, model)).rejects.toMatchObject({
      code: 'WRITE_ERROR',
    });
    if (process.getuid?.() !== 0) {
      const ro = path.join(dir, 'ro');
      writeModel(dir, {}, 'ro');
      chmodSync(ro, 0o500);
      await expect(new Config().useSigner(signer(log)).sign(model, path.join(ro, 's'))).rejects.toMatchObject(
        {
          code: 'WRITE_ERROR',
        },
      );
    }
    expect(log).toEqual([]);
  });

  it('closes the signer after success and after failure, and writes nothing on failure', async () => {
    const dir = temp();
    const model = writeModel(dir, { f: 'x' });
    const log: string[] = [];
    await new Config().useSigner(signer(log)).sign(model, path.join(dir, 'ok.sig'));
    expect(log).toEqual(['sign', 'close']);

    const failing: ModelSigner = {
      method: 'key',
      sign: async () => {
        throw new Error('token unplugged');
      },
      close: async () => {
        log.push('closed after failure');
      },
    };
    await expect(
      new Config().useSigner(async () => failing).sign(model, path.join(dir, 'bad.sig')),
    ).rejects.toThrow(/Signing with the key method failed: token unplugged/);
    expect(log).toContain('closed after failure');
    expect(existsSync(path.join(dir, 'bad.sig'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses an empty model unless allowed (decision 7)', async () => {
    const dir = temp();
    const model = writeModel(dir, { '.gitignore': 'x' });
    const keys = ecKeyPair('prime256v1');
    const config = new Config().useEllipticKeySigner({ privateKey: Buffer.from(keys.privatePem) });
    await expect(config.signToBundle(model)).rejects.toMatchObject({ code: 'EMPTY_MODEL' });
    const bundle = await config.setAllowEmptyModel(true).signToBundle(model);
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  });
});

describe('sign with a certificate', () => {
  it('writes leaf then chain, validates against the OMS schema, and openssl accepts the signature', async () => {
    const dir = temp();
    const model = writeModel(dir, { 'w.bin': 'weights' });
    const bundle = await new Config()
      .useCertificateSigner({
        privateKey: path.join(KEYS, 'signing-key.pem'),
        signingCertificate: path.join(KEYS, 'signing-key-cert.pem'),
        certificateChain: [path.join(KEYS, 'int-ca-cert.pem'), path.join(KEYS, 'ca-cert.pem')],
      })
      .signToBundle(model);
    const material = bundle.verificationMaterial as {
      x509CertificateChain: { certificates: { rawBytes: string }[] };
    };
    expect(Object.keys(material)).toEqual(['x509CertificateChain', 'tlogEntries']);
    // The same DER openssl reads from the PEM files, in command-line order.
    const der = (file: string) =>
      opensslAvailable()
        ? execFileSync('openssl', ['x509', '-in', path.join(KEYS, file), '-outform', 'DER']).toString(
            'base64',
          )
        : undefined;
    const certificates = material.x509CertificateChain.certificates.map((c) => c.rawBytes);
    expect(certificates).toHaveLength(3);
    if (opensslAvailable()) {
      expect(certificates).toEqual([der('signing-key-cert.pem'), der('int-ca-cert.pem'), der('ca-cert.pem')]);
    }
    const { bundle: validateBundle } = schemaValidator();
    expect(validateBundle?.(bundle), JSON.stringify(validateBundle?.errors)).toBe(true);

    if (opensslAvailable()) {
      const envelope = bundle.dsseEnvelope as { payload: string; signatures: { sig: string }[] };
      const payload = Buffer.from(envelope.payload, 'base64');
      writeFileSync(
        path.join(dir, 'pae.bin'),
        Buffer.concat([Buffer.from(`DSSEv1 28 application/vnd.in-toto+json ${payload.length} `), payload]),
      );
      writeFileSync(path.join(dir, 'sig.der'), Buffer.from(envelope.signatures[0]?.sig ?? '', 'base64'));
      const pub = execFileSync('openssl', [
        'x509',
        '-in',
        path.join(KEYS, 'signing-key-cert.pem'),
        '-pubkey',
        '-noout',
      ]);
      writeFileSync(path.join(dir, 'leaf.pub'), pub);
      const out = execFileSync('openssl', [
        'dgst',
        '-sha384',
        '-verify',
        path.join(dir, 'leaf.pub'),
        '-signature',
        path.join(dir, 'sig.der'),
        path.join(dir, 'pae.bin'),
      ]).toString();
      expect(out.trim()).toBe('Verified OK');
    }
  });

  it('refuses a signing certificate file with several certificates and a chain file without any', () => {
    const dir = temp();
    const two = path.join(dir, 'two.pem');
    writeFileSync(
      two,
      readFileSync(path.join(KEYS, 'signing-key-cert.pem'), 'utf8') +
        readFileSync(path.join(KEYS, 'int-ca-cert.pem'), 'utf8'),
    );
    expect(() =>
      new Config().useCertificateSigner({
        privateKey: path.join(KEYS, 'signing-key.pem'),
        signingCertificate: two,
      }),
    ).toThrow(/must hold exactly one certificate, found 2/);
    expect(() =>
      new Config().useCertificateSigner({
        privateKey: path.join(KEYS, 'signing-key.pem'),
        signingCertificate: path.join(KEYS, 'signing-key-cert.pem'),
        certificateChain: [path.join(KEYS, 'signing-key.pem')],
      }),
    ).toThrow(/holds no PEM certificate/);
  });
});

// About one wrong password in 256 decrypts a legacy (AES-CBC) PEM to garbage with valid padding, which then fails
// to parse: still a wrong password, not an invalid key. Many wrong passwords make that case certain to occur.
describe('wrong passwords on a legacy encrypted key', () => {
  it('are all reported as a wrong password', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'right' })
      .toString();
    const codes = new Set<string>();
    for (let i = 0; i < 1500; i++) {
      try {
        new Config().useEllipticKeySigner({ privateKey: Buffer.from(pem), password: `wrong-${i}` });
        codes.add('LOADED');
      } catch (error) {
        codes.add((error as SigningError).code);
      }
    }
    expect([...codes]).toEqual(['BAD_PASSWORD']);
  });
});

describe('sign with RFC 3161 timestamps', () => {
  it('writes key and certificate bundles with timestamps that validate against the OMS schema', async () => {
    const { makeTsaPki, startTsa } = await import('../../../test-support/tsa/index.js');
    const dir = temp();
    const tsa = await startTsa(await makeTsaPki(dir, 'schema'));
    try {
      const model = writeModel(dir, { 'a.bin': 'hello' });
      const keyBundle = await new Config()
        .useEllipticKeySigner({ privateKey: path.join(KEYS, 'signing-key.pem'), timestampServers: [tsa.url] })
        .signToBundle(model);
      const certificateBundle = await new Config()
        .useCertificateSigner({
          privateKey: path.join(KEYS, 'signing-key.pem'),
          signingCertificate: path.join(KEYS, 'signing-key-cert.pem'),
          certificateChain: [path.join(KEYS, 'int-ca-cert.pem')],
          timestampServers: [tsa.url, tsa.url],
        })
        .signToBundle(model);
      const { bundle: validateBundle } = schemaValidator();
      for (const [bundle, count] of [
        [keyBundle, 1],
        [certificateBundle, 2],
      ] as const) {
        const material = bundle.verificationMaterial as Record<string, unknown>;
        // Sigstore's layout: the timestamps follow tlogEntries.
        expect(Object.keys(material).slice(1)).toEqual(['tlogEntries', 'timestampVerificationData']);
        expect(
          (material.timestampVerificationData as { rfc3161Timestamps: unknown[] }).rfc3161Timestamps,
        ).toHaveLength(count);
        expect(validateBundle?.(bundle), JSON.stringify(validateBundle?.errors)).toBe(true);
      }
    } finally {
      await tsa.close();
    }
  });
});
