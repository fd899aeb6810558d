// PKCS #11 signing through the signing API on a real SoftHSM2 token: key and certificate bundles that the
// key and certificate verifiers accept, with the public key exported independently by gnutls' p11tool.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openModuleCount } from '@model-signing/pkcs11';
import { Config, SigningError } from '@model-signing/signing';
import { Config as VerifyConfig } from '@model-signing/verifying';
import * as x509 from '@peculiar/x509';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CURVES,
  createSoftHsmToken,
  type SoftHsmToken,
  softHsmSkipReason,
} from '../../pkcs11/test/softhsm.js';
import { tempDir, writeModel } from './helpers.js';

x509.cryptoProvider.set(webcrypto as never);
const skipReason = softHsmSkipReason();
const IDS = { 'P-256': '01', 'P-384': '02', 'P-521': '03' } as const;
const HASH = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' } as const;
const DAY = 86_400_000;

type Curve = keyof typeof HASH;

async function caKeys(curve: Curve): Promise<webcrypto.CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

/** root CA → intermediate CA → leaf holding `leafPublicPem` (the token's key). */
async function makeChain(leafPublicPem: string, leafCurve: Curve) {
  const rootKeys = await caKeys('P-256');
  const interKeys = await caKeys('P-384');
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 30 * DAY);
  const caExtensions = async (keys: webcrypto.CryptoKeyPair, issuer: webcrypto.CryptoKeyPair) => [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey),
  ];
  const root = await x509.X509CertificateGenerator.create({
    serialNumber: '01',
    subject: 'CN=PKCS11 Test Root',
    issuer: 'CN=PKCS11 Test Root',
    notBefore,
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: rootKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: await caExtensions(rootKeys, rootKeys),
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: 'CN=PKCS11 Test Intermediate',
    issuer: root.subject,
    notBefore,
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: interKeys.publicKey,
    signingKey: rootKeys.privateKey,
    extensions: await caExtensions(interKeys, rootKeys),
  });
  const der = Buffer.from(leafPublicPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const leafKey = await webcrypto.subtle.importKey(
    'spki',
    der,
    { name: 'ECDSA', namedCurve: leafCurve },
    true,
    ['verify'],
  );
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '03',
    subject: 'CN=PKCS11 Test Signer',
    issuer: intermediate.subject,
    notBefore,
    notAfter,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
    publicKey: leafKey,
    signingKey: interKeys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.3'], false),
      await x509.SubjectKeyIdentifierExtension.create(leafKey),
      await x509.AuthorityKeyIdentifierExtension.create(interKeys.publicKey),
    ],
  });
  return { root, intermediate, leaf };
}

describe.skipIf(skipReason !== undefined)(
  `PKCS #11 signing API${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let token: SoftHsmToken;
    let cleanups: (() => void)[] = [];
    const temp = () => {
      const t = tempDir('ms-pkcs11-sign-');
      cleanups.push(t.cleanup);
      return t.dir;
    };

    beforeAll(async () => {
      token = await createSoftHsmToken();
      for (const { keyType, curve } of CURVES) token.generateKey(keyType, IDS[curve], `key-${curve}`);
    });
    afterAll(async () => {
      await token?.cleanup();
    });
    afterEach(() => {
      for (const c of cleanups) c();
      cleanups = [];
      expect(openModuleCount()).toBe(0);
    });

    for (const { curve } of CURVES) {
      it(`usePkcs11Signer on ${curve}: a key bundle the key verifier accepts with p11tool's public key`, async () => {
        const dir = temp();
        const model = writeModel(dir, { 'weights.bin': `weights for ${curve}`, 'config/model.json': '{}' });
        const pem = token.exportPublicKeyWithP11tool(IDS[curve]);
        const pubFile = path.join(dir, 'pub.pem');
        writeFileSync(pubFile, pem);
        const signature = path.join(dir, 'model.sig');

        const result = await new Config()
          .usePkcs11Signer({ uri: token.uri(`object=key-${curve}`) })
          .sign(model, signature);
        expect(result.method).toBe('pkcs11-key');
        const bundle = JSON.parse(readFileSync(signature, 'utf8'));
        expect(Object.keys(bundle)).toEqual(['mediaType', 'verificationMaterial', 'dsseEnvelope']);
        expect(bundle.verificationMaterial).toEqual({
          publicKey: { hint: createHash('sha256').update(pem).digest('hex') },
          tlogEntries: [],
        });

        const verified = await new VerifyConfig()
          .useEllipticKeyVerifier({ publicKey: pubFile })
          .verify(model, signature);
        expect(verified.files).toEqual(['config/model.json', 'weights.bin']);

        // The check can fail: a changed file is refused.
        writeFileSync(path.join(model, 'weights.bin'), 'tampered');
        await expect(
          new VerifyConfig().useEllipticKeyVerifier({ publicKey: pubFile }).verify(model, signature),
        ).rejects.toThrow();
      });
    }

    it('TestPkcs11SoftHSMSigning.test_softhsm: the URI p11tool lists, module-name=softhsm2, upstream directories', async () => {
      const modulePaths = ['/usr/lib64/pkcs11/', '/usr/lib/pkcs11/', path.dirname(token.module) + '/'];
      const uri = `${token.keyUriFromP11tool('key-P-384')}?pin-value=${token.pin}&module-name=softhsm2`;
      expect(uri).toMatch(
        /^pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=.*;type=public\?/,
      );
      const dir = temp();
      const model = writeModel(dir, { 'signme-1': 'a', 'signme-2': 'b' });
      const pubFile = path.join(dir, 'pubkey.pem');
      writeFileSync(pubFile, token.exportPublicKeyWithP11tool(IDS['P-384']));
      const signature = path.join(model, 'model.sig');
      await new Config().usePkcs11Signer({ uri, modulePaths }).sign(model, signature);
      const verified = await new VerifyConfig()
        .useEllipticKeyVerifier({ publicKey: pubFile })
        .verify(model, signature);
      expect(verified.files).toEqual(['signme-1', 'signme-2']);
    });

    it('usePkcs11CertificateSigner: leaf + chain bundle that chains to a root made in the test', async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'a', 'b.bin': 'b' });
      const { root, intermediate, leaf } = await makeChain(
        token.exportPublicKeyWithP11tool(IDS['P-384']),
        'P-384',
      );
      const files = {
        root: path.join(dir, 'root.pem'),
        inter: path.join(dir, 'inter.pem'),
        leaf: path.join(dir, 'leaf.pem'),
      };
      writeFileSync(files.root, root.toString('pem'));
      writeFileSync(files.inter, intermediate.toString('pem'));
      writeFileSync(files.leaf, leaf.toString('pem'));
      const signature = path.join(dir, 'model.sig');

      const result = await new Config()
        .usePkcs11CertificateSigner({
          uri: token.uri('id=%02'),
          signingCertificate: files.leaf,
          certificateChain: [readFileSync(files.inter)],
        })
        .sign(model, signature);
      expect(result.method).toBe('pkcs11-certificate');
      const bundle = JSON.parse(readFileSync(signature, 'utf8'));
      expect(bundle.verificationMaterial.x509CertificateChain.certificates).toEqual([
        { rawBytes: Buffer.from(leaf.rawData).toString('base64') },
        { rawBytes: Buffer.from(intermediate.rawData).toString('base64') },
      ]);
      expect(bundle.verificationMaterial.tlogEntries).toEqual([]);

      await new VerifyConfig()
        .useCertificateVerifier({ certificateChain: [files.root] })
        .verify(model, signature);
      // Trusting an unrelated root must fail.
      const other = await makeChain(token.exportPublicKeyWithP11tool(IDS['P-256']), 'P-256');
      writeFileSync(path.join(dir, 'other-root.pem'), other.root.toString('pem'));
      await expect(
        new VerifyConfig()
          .useCertificateVerifier({ certificateChain: [path.join(dir, 'other-root.pem')] })
          .verify(model, signature),
      ).rejects.toThrow();
    });

    it('a leaf for another key is refused with the Python message and the token is closed again', async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'a' });
      const { leaf } = await makeChain(token.exportPublicKeyWithP11tool(IDS['P-256']), 'P-256');
      writeFileSync(path.join(dir, 'leaf.pem'), leaf.toString('pem'));
      const signature = path.join(dir, 'model.sig');
      const error = await new Config()
        .usePkcs11CertificateSigner({
          uri: token.uri('id=%03'),
          signingCertificate: path.join(dir, 'leaf.pem'),
        })
        .sign(model, signature)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SigningError);
      expect((error as SigningError).code).toBe('KEY_CERTIFICATE_MISMATCH');
      expect((error as SigningError).message).toBe(
        'The public key from the certificate does not match the public key paired with the private key',
      );
      expect(existsSync(signature)).toBe(false);
    });

    it('token errors become SigningErrors with the same line, no PIN, and no signature file', async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'a' });
      const signature = path.join(dir, 'model.sig');
      const cases = [
        {
          uri: `pkcs11:token=${token.label};object=key-P-256?pin-value=24680&module-path=${token.module}`,
          code: 'SIGN_ERROR',
          message: `Login to PKCS #11 token '${token.label}' failed: the PIN is incorrect`,
        },
        {
          uri: `pkcs11:token=${token.label};object=key-P-256?pin-value=24680&module-path=/nonexistent/lib.so`,
          code: 'CONFIG_ERROR',
          message: 'PKCS #11 module not found: /nonexistent/lib.so',
        },
        { uri: 'pkcs12:object=x?pin-value=24680', code: 'CONFIG_ERROR', message: /missing 'pkcs11:' prefix/ },
      ];
      for (const c of cases) {
        const error = await new Config()
          .usePkcs11Signer({ uri: c.uri })
          .sign(model, signature)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SigningError);
        expect((error as SigningError).code).toBe(c.code);
        if (typeof c.message === 'string') expect((error as SigningError).message).toBe(c.message);
        else expect((error as SigningError).message).toMatch(c.message);
        expect((error as SigningError).message).not.toContain('24680');
        expect(existsSync(signature)).toBe(false);
      }
    });

    it('module-name with modulePaths finds the module', async () => {
      const dir = temp();
      const model = writeModel(dir, { 'a.bin': 'a' });
      const signature = path.join(dir, 'model.sig');
      const pubFile = path.join(dir, 'pub.pem');
      writeFileSync(pubFile, token.exportPublicKeyWithP11tool(IDS['P-521']));
      await new Config()
        .usePkcs11Signer({
          uri: `pkcs11:token=${token.label};id=%03?pin-value=${token.pin}&module-name=softhsm2`,
          modulePaths: [`${path.dirname(token.module)}/`],
        })
        .sign(model, signature);
      await new VerifyConfig().useEllipticKeyVerifier({ publicKey: pubFile }).verify(model, signature);
    });
  },
);
