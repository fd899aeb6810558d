import { bundleMethod, KEY_BUNDLE_MEDIA_TYPE, type ParsedBundle } from './bundle.js';
import { VerificationError } from './errors.js';
import type { VerificationMethod } from './verifier.js';

/** Refuses a bundle made by another method than `expected`, naming the method that would verify it (decision 12). */
export function requireMethod(bundle: ParsedBundle, expected: VerificationMethod): void {
  const actual = bundleMethod(bundle.content);
  if (actual !== expected) {
    throw new VerificationError(
      'WRONG_METHOD',
      `The signature was made with the ${actual} method but is being verified with the ${expected} method; use \`verify ${actual}\``,
    );
  }
}

/** The key and certificate methods accept only the v0.3 media type the Python tool writes (format §6.6). */
export function requireKeyBundleMediaType(bundle: ParsedBundle): void {
  if (bundle.mediaType !== KEY_BUNDLE_MEDIA_TYPE) {
    throw new VerificationError(
      'INVALID_BUNDLE',
      `Invalid sigstore bundle, got media type ${bundle.mediaType} but expected ${KEY_BUNDLE_MEDIA_TYPE}`,
    );
  }
}
