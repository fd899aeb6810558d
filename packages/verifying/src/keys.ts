import type { KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadEcPublicKey, type PemInput, SigningError } from '@model-signing/core';
import { VerificationError, type VerificationErrorCode } from './errors.js';

/** Runs a loader of the signing package and turns its errors into {@link VerificationError}s. */
export function asVerificationError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof SigningError) {
      const code: VerificationErrorCode =
        error.code === 'READ_ERROR'
          ? 'READ_ERROR'
          : error.code === 'UNSUPPORTED_KEY'
            ? 'UNSUPPORTED_KEY'
            : 'INVALID_KEY';
      throw new VerificationError(code, error.message, { cause: error });
    }
    throw error;
  }
}

const PRIVATE_PEM = /-----BEGIN (?:ENCRYPTED |EC |RSA )?PRIVATE KEY-----/;

/**
 * Refuses private key PEM given as a public key, as the Python tool does: Node would derive the public key
 * from it (or fail on an encrypted one with an unrelated OpenSSL error), and a private key has no business
 * on a verifying machine.
 */
function refusePrivateKey(input: PemInput): void {
  let text: string;
  try {
    text = (typeof input === 'string' ? readFileSync(input) : Buffer.from(input)).toString('latin1');
  } catch {
    return; // the loader reports the unreadable file
  }
  if (PRIVATE_PEM.test(text)) {
    const source = typeof input === 'string' ? input : 'The key given in memory';
    const file = typeof input === 'string' ? input : 'KEY';
    throw new VerificationError(
      'INVALID_KEY',
      `${source} is a private key; give the public key (openssl ec -in ${file} -pubout -out ${file}.pub)`,
    );
  }
}

/** Loads an EC public key (P-256/384/521) from a PEM path or contents; private keys are refused. */
export function loadPublicKey(input: PemInput): KeyObject {
  refusePrivateKey(input);
  return asVerificationError(() => loadEcPublicKey(input));
}
