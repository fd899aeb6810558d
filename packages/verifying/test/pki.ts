import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);
const subtle = webcrypto.subtle;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type EcKeyAlgorithm = webcrypto.EcKeyAlgorithm;

const HASH = { 'P-256': 'SHA-256', 'P-384': 'SHA-384', 'P-521': 'SHA-512' } as const;

/** A certificate with its key pair. */
export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly pem: string;
  /** PKCS#8 PEM of the private key. */
  readonly keyPem: string;
}

type Curve = keyof typeof HASH;

async function ecKeys(curve: Curve): Promise<CryptoKeyPair> {
  return (await subtle.generateKey({ name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
}

async function keyPem(keys: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)
    ?.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

/** Options of a test certificate. */
export interface CertOptions {
  readonly name: string;
  readonly ca?: boolean;
  readonly pathLength?: number;
  readonly curve?: Curve;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Key usage flags; default keyCertSign|cRLSign for CAs, digitalSignature for leaves. Null: no extension. */
  readonly keyUsage?: number | null;
  /** Extended key usages; default codeSigning for leaves. Null: no extension. */
  readonly extendedKeyUsage?: string[] | null;
}

const DAY = 86_400_000;
let serial = 1;

/** Issues a certificate signed by `issuer`, or self-signed when `issuer` is undefined. */
export async function issue(options: CertOptions, issuer?: Issued): Promise<Issued> {
  const curve = options.curve ?? 'P-256';
  const keys = await ecKeys(curve);
  const ca = options.ca ?? false;
  const extensions: x509.Extension[] = [];
  if (ca) extensions.push(new x509.BasicConstraintsExtension(true, options.pathLength, true));
  const usage =
    options.keyUsage === undefined
      ? ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature
      : options.keyUsage;
  if (usage !== null) extensions.push(new x509.KeyUsagesExtension(usage, true));
  const eku =
    options.extendedKeyUsage === undefined ? (ca ? null : ['1.3.6.1.5.5.7.3.3']) : options.extendedKeyUsage;
  if (eku !== null) extensions.push(new x509.ExtendedKeyUsageExtension(eku, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  const signer = issuer ?? { keys, cert: undefined };
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.keys.publicKey));
  const signerCurve = ((signer.keys.privateKey.algorithm as EcKeyAlgorithm).namedCurve ?? 'P-256') as Curve;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(2, '0'),
    subject: `CN=${options.name}`,
    issuer: issuer ? issuer.cert.subject : `CN=${options.name}`,
    notBefore: options.notBefore ?? new Date(Date.now() - (ca ? 30 : 1) * DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    signingAlgorithm: { name: 'ECDSA', hash: HASH[signerCurve] },
    publicKey: keys.publicKey,
    signingKey: signer.keys.privateKey,
    extensions,
  });
  return { cert, keys, pem: cert.toString('pem'), keyPem: await keyPem(keys) };
}

/** A root, `depth - 1` intermediates and a leaf on `curve`; `chain` is the intermediates leaf-side first. */
export async function pki(depth: number, curve: Curve = 'P-256', leaf: Partial<CertOptions> = {}) {
  const root = await issue({ name: 'test-root', ca: true });
  let issuer = root;
  const intermediates: Issued[] = [];
  for (let i = 1; i < depth; i++) {
    issuer = await issue({ name: `test-int-${i}`, ca: true }, issuer);
    intermediates.unshift(issuer);
  }
  const signing = await issue({ name: 'test-leaf', curve, ...leaf }, issuer);
  return { root, intermediates, leaf: signing };
}
