import { createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import {
  CURVE_HASH,
  curveOf,
  describeInput,
  type PemInput,
  readPem,
  SigningError,
  spkiDer,
} from '@model-signing/core';
import type { EcdsaKeySigner } from './signer.js';

/**
 * Loads an EC private key from PEM (PKCS#8, encrypted PKCS#8, SEC1 or legacy encrypted SEC1; text before the
 * `-----BEGIN` line is tolerated, as certtool writes it) and checks its curve.
 */
export function loadEcPrivateKey(input: PemInput, password?: string | Uint8Array): KeyObject {
  const source = describeInput(input, 'private key');
  const pem = readPem(input, 'private key');
  const encrypted = /ENCRYPTED PRIVATE KEY|Proc-Type: 4,ENCRYPTED/.test(pem.toString('latin1'));
  if (password === undefined && encrypted) {
    throw new SigningError('BAD_PASSWORD', `The ${source} is encrypted: give its password`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(
      password === undefined ? { key: pem } : { key: pem, passphrase: Buffer.from(password) },
    );
  } catch (error) {
    // A wrong password on a legacy encrypted PEM (AES-CBC) passes the padding check about once in 256 tries and
    // then fails as unparsable key material: for an encrypted key, any failure with a password is that password.
    if (encrypted && password !== undefined) {
      throw new SigningError('BAD_PASSWORD', `Cannot decrypt the ${source}: wrong password`, {
        cause: error,
      });
    }
    throw privateKeyError(error, source);
  }
  curveOf(key, `the ${source}`);
  return key;
}

function privateKeyError(error: unknown, source: string): SigningError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const text = (error as Error).message ?? '';
  if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED') {
    return new SigningError('BAD_PASSWORD', `The ${source} is encrypted: give its password`, {
      cause: error,
    });
  }
  if (/bad decrypt|decrypt|maybe wrong password/i.test(text)) {
    return new SigningError('BAD_PASSWORD', `Cannot decrypt the ${source}: wrong password`, { cause: error });
  }
  return new SigningError('INVALID_KEY', `The ${source} is not a PEM private key (${text})`, {
    cause: error,
  });
}

/** An {@link EcdsaKeySigner} over an in-memory private key; signatures are DER with the curve's hash. */
export function createEcdsaKeySigner(privateKey: KeyObject): EcdsaKeySigner {
  const curve = curveOf(privateKey);
  const publicKeySpki = spkiDer(privateKey);
  return {
    curve,
    publicKeySpki,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(cryptoSign(CURVE_HASH[curve], data, { key: privateKey, dsaEncoding: 'der' }));
    },
  };
}
