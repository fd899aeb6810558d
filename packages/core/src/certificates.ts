import { X509Certificate } from 'node:crypto';
import { SigningError } from './errors.js';
import { describeInput, type PemInput, readPem } from './material.js';

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;

/**
 * Every certificate of a PEM file, in file order, as DER. Text around the PEM blocks is ignored (certtool
 * writes a human-readable dump first). A file without any certificate is an error.
 */
export function readCertificates(input: PemInput, what = 'certificate'): Uint8Array[] {
  const source = describeInput(input, what);
  const text = readPem(input, what).toString('latin1');
  const ders: Uint8Array[] = [];
  for (const match of text.matchAll(PEM_CERTIFICATE)) {
    const der = new Uint8Array(Buffer.from((match[1] ?? '').replace(/\s+/g, ''), 'base64'));
    try {
      new X509Certificate(der);
    } catch (error) {
      throw new SigningError(
        'INVALID_CERTIFICATE',
        `The ${source} holds a certificate that cannot be parsed (${(error as Error).message})`,
        { cause: error },
      );
    }
    ders.push(der);
  }
  if (ders.length === 0) {
    throw new SigningError('INVALID_CERTIFICATE', `The ${source} holds no PEM certificate`);
  }
  return ders;
}

/** The only certificate of a PEM file (the signing certificate); more than one is an error. */
export function readSingleCertificate(input: PemInput, what = 'signing certificate'): Uint8Array {
  const ders = readCertificates(input, what);
  if (ders.length !== 1) {
    throw new SigningError(
      'INVALID_CERTIFICATE',
      `The ${describeInput(input, what)} must hold exactly one certificate, found ${ders.length}`,
    );
  }
  return ders[0] as Uint8Array;
}
