import type { KeyObject } from 'node:crypto';
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

/** Loads an EC public key (P-256/384/521) from a PEM path or contents. */
export function loadPublicKey(input: PemInput): KeyObject {
  return asVerificationError(() => loadEcPublicKey(input));
}
