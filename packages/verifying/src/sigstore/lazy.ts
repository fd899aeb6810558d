/**
 * The entry point of Sigstore verification that the package exports: `./index.js` (with `@sigstore/verify`, its
 * trust material and the bundle parser) is imported only when a Sigstore verifier is created, so that importing
 * this package and the key and certificate methods never load it.
 * @module
 */
import type { BundleVerifier } from '../verifier.js';
import type { SigstoreVerifierOptions } from './index.js';

export type { SigstoreVerifierOptions } from './index.js';

/**
 * Creates a Sigstore verifier. Trust precedence: `trustConfig` > `instance` > `useStaging` > production, whose
 * trusted root is the one embedded in `@sigstore/tuf` (no network access).
 */
export async function createSigstoreVerifier(options: SigstoreVerifierOptions): Promise<BundleVerifier> {
  const sigstore = await import('./index.js');
  return sigstore.createSigstoreVerifier(options);
}
