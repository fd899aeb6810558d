import { SigningError } from '@model-signing/core';
import type { BundleJson, ModelSigner } from './signer.js';

/**
 * Signs statement bytes with `signer`; a failure that is not already a {@link SigningError} becomes one with
 * code `SIGN_ERROR` naming the method, so that every signer fails the same way.
 */
export async function signStatement(signer: ModelSigner, statement: Uint8Array): Promise<BundleJson> {
  try {
    return await signer.sign(statement);
  } catch (error) {
    if (error instanceof SigningError) throw error;
    throw new SigningError(
      'SIGN_ERROR',
      `Signing with the ${signer.method} method failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
