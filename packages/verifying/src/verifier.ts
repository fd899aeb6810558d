/**
 * The small interface every verification method implements: it checks a bundle's cryptography and trust and
 * hands back the signed payload; the shared code then checks the payload against the model.
 * @module
 */
import type { ParsedBundle } from './bundle.js';
import type { TimestampReport } from './timestamps.js';

/** The verification methods, named as the CLI names them. */
export type VerificationMethod = 'sigstore' | 'key' | 'certificate';

/** What a bundle verifier yields once the signature and the trust in its key are established. */
export interface VerifiedPayload {
  /** The DSSE `payloadType`. */
  readonly payloadType: string;
  /** The exact payload bytes that were signed. */
  readonly payload: Uint8Array;
  /** Non-fatal findings to show the user (for example an old bundle format). */
  readonly warnings?: readonly string[];
  /** The bundle's RFC 3161 timestamps, verified or only reported. */
  readonly timestamps?: readonly TimestampReport[];
}

/** Checks a parsed signature bundle (signature, key or certificate trust, identity) for one method. */
export interface BundleVerifier {
  /** The method this verifier handles; a bundle of another method is refused with a message naming it. */
  readonly method: VerificationMethod;
  /**
   * Verifies `bundle` (the signature file as read by `readBundle`; its normalised JSON is `bundle.json`) and
   * returns the signed payload.
   */
  verify(bundle: ParsedBundle): Promise<VerifiedPayload>;
}
