import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const DAY = 86_400_000;
let serial = 0x4000;

/** A fresh P-256 key pair. */
export async function p256(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

/** Options of {@link certificate}. */
export interface RawCertOptions {
  readonly subject: string;
  readonly subjectKeys: CryptoKeyPair;
  readonly issuer: string;
  readonly issuerKeys: CryptoKeyPair;
  readonly ca: boolean;
}

/** A certificate with any subject, issuer and keys: honest or not, it is what the caller asks for. */
export async function certificate(options: RawCertOptions): Promise<x509.X509Certificate> {
  const extensions: x509.Extension[] = [
    await x509.SubjectKeyIdentifierExtension.create(options.subjectKeys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(options.issuerKeys.publicKey),
  ];
  if (options.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, undefined, true));
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true));
  } else {
    extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true));
  }
  return x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16),
    subject: options.subject,
    issuer: options.issuer,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 30 * DAY),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    publicKey: options.subjectKeys.publicKey,
    signingKey: options.issuerKeys.privateKey,
    extensions,
  });
}

/** PKCS#8 PEM of a private key. */
export async function privatePem(keys: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/**
 * The hostile chain: `n` self-signed CA certificates that share one name and one key (so each one verifies
 * as the issuer of every other), and a leaf they all issued.
 */
export async function hostileChain(n: number) {
  const caKeys = await p256();
  const leafKeys = await p256();
  const name = 'CN=hostile CA';
  const cas: x509.X509Certificate[] = [];
  for (let i = 0; i < n; i++) {
    cas.push(
      await certificate({ subject: name, subjectKeys: caKeys, issuer: name, issuerKeys: caKeys, ca: true }),
    );
  }
  const leaf = await certificate({
    subject: 'CN=hostile leaf',
    subjectKeys: leafKeys,
    issuer: name,
    issuerKeys: caKeys,
    ca: false,
  });
  return { cas, leaf, leafKeyPem: await privatePem(leafKeys) };
}
