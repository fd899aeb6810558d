/**
 * Verifying OCI model images: the verifier of a {@link Config} applied to signatures found in the registry (or
 * a file), compared with the model manifest the `oci` package rebuilds from the image.
 * @module
 */

import { withSpan } from '@model-signing/core';
import type { Manifest } from '@model-signing/manifest';
import * as oci from '@model-signing/oci';
import { bundleMethod, readBundle } from './bundle.js';
import { VerificationError } from './errors.js';
import { checkPayloadType, compareManifests, expectedManifest } from './pipeline.js';
import type { BundleVerifier, VerificationMethod } from './verifier.js';

/** Options of `Config.verifyImage`. */
export interface ImageVerifyOptions extends oci.RegistryAccess {
  /** A signature file instead of the registry's attachments. */
  readonly signature?: string;
  /** Look only at `referrers` or only at the `tag`; default both, referrers first. */
  readonly attachmentMode?: oci.AttachmentMode | string;
  /** A local directory that must hold exactly the signed files (spec §1.10). */
  readonly localModel?: string;
  /** Model-relative paths left out of the `localModel` extra-file check. */
  readonly ignorePaths?: readonly string[];
  /** Skip `.git*` paths in the `localModel` extra-file check (default true). */
  readonly ignoreGitPaths?: boolean;
  /** Set false to trust ModelCar layer annotations without pulling the layers (decisions 24). */
  readonly checkLayerContents?: boolean;
}

/** What `Config.verifyImage` established. */
export interface ImageVerificationResult extends oci.VerifyImageResult {
  /** The method that verified the bundle. */
  readonly method: VerificationMethod;
  /** Non-fatal findings of the bundle verifier. */
  readonly warnings: readonly string[];
}

/**
 * Verifies the image `ref` with `verifier` (spec §1.9–§1.10, decisions 17 and 24): the strict bundle reader
 * and the verifier of this package check each candidate signature; candidates of another method are skipped.
 */
export async function verifyImageWith(
  verifier: BundleVerifier | undefined,
  ref: string,
  options: ImageVerifyOptions = {},
): Promise<ImageVerificationResult> {
  if (!verifier)
    throw new VerificationError('NO_VERIFIER', 'Attempting to verify with no configured verifier');
  return withSpan(
    'verify_image',
    { 'model_signing.image': ref, 'model_signing.method': verifier.method },
    async () => {
      const warnings: string[] = [];
      const { ignorePaths, ignoreGitPaths, ...rest } = options;
      const result = await oci.verifyImage(ref, {
        ...rest,
        localModelOptions: { ignorePaths, ignoreGitPaths, signaturePath: options.signature },
        matchesMethod: (json) => {
          try {
            return bundleMethod(readBundle(json).content) === verifier.method;
          } catch {
            return true; // let the verifier report why the bundle is unreadable
          }
        },
        verifyBundle: async (json) => {
          const verified = await verifier.verify(readBundle(json as Record<string, unknown>));
          checkPayloadType(verified);
          warnings.push(...(verified.warnings ?? []));
          return verified;
        },
        expectedManifest: (payload: Uint8Array): Manifest => expectedManifest(payload),
        compareManifests,
      });
      return { ...result, method: verifier.method, warnings };
    },
  );
}
