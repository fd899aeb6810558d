/**
 * Verifying OCI model images: the verifier of a {@link Config} applied to signatures found in the registry (or
 * a file), compared with the model manifest the `oci` package rebuilds from the image.
 * @module
 */

import { isMissingPackage, withSpan } from '@model-signing/core';
import type { HashProgress } from '@model-signing/hashing';
import type { Manifest } from '@model-signing/manifest';
import type * as oci from '@model-signing/oci';
import { bundleMethod, readBundle } from './bundle.js';
import { VerificationError } from './errors.js';
import { checkPayloadType, compareManifests, expectedManifest } from './pipeline.js';
import type { BundleVerifier, VerificationMethod } from './verifier.js';

const OCI_PACKAGE = '@model-signing/oci';

// The registry client (undici, tar-stream: a third of a verify-only install) is an optional peer: loaded only
// for images, and installed only by those who verify images.
async function loadOci(): Promise<typeof oci> {
  try {
    return await import('@model-signing/oci');
  } catch (error) {
    const message = isMissingPackage(error, OCI_PACKAGE)
      ? `Verifying an OCI image needs the optional package ${OCI_PACKAGE}; install it with: npm install ${OCI_PACKAGE}`
      : `${OCI_PACKAGE} cannot be loaded: ${(error as Error).message}`;
    throw new VerificationError('NOT_AVAILABLE', message, { cause: error });
  }
}

/** Options of `Config.verifyImage`. */
export interface ImageVerifyOptions extends oci.RegistryAccess {
  /** A signature file instead of the registry's attachments. */
  readonly signature?: string;
  /** The largest `signature` file read, in bytes (default 256 MiB; `Config.setMaxSignatureBytes`). */
  readonly maxSignatureBytes?: number | undefined;
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
  /**
   * Cancels verification between registry steps and between the reads of `localModel`: the promise rejects
   * with a `VerificationError` of code `ABORTED`.
   */
  readonly signal?: AbortSignal;
  /**
   * Called as the files of `localModel` are hashed (the image's own files are checked by their registry
   * digests, so there is no progress without a local model).
   */
  readonly onProgress?: ((progress: HashProgress) => void) | undefined;
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
      const { ignorePaths, ignoreGitPaths, signal, onProgress, ...rest } = options;
      const stopIfAborted = () => {
        if (signal?.aborted)
          throw new VerificationError('ABORTED', 'Verification was cancelled', { cause: signal.reason });
      };
      stopIfAborted();
      const { verifyImage } = await loadOci();
      const result = await verifyImage(ref, {
        ...rest,
        localModelOptions: {
          ignorePaths,
          ignoreGitPaths,
          signaturePath: options.signature,
          signal,
          onProgress,
        },
        matchesMethod: (json) => {
          try {
            return bundleMethod(readBundle(json).content) === verifier.method;
          } catch {
            return true; // let the verifier report why the bundle is unreadable
          }
        },
        verifyBundle: async (json) => {
          stopIfAborted();
          const verified = await verifier.verify(readBundle(json as Record<string, unknown>));
          checkPayloadType(verified);
          warnings.push(...(verified.warnings ?? []));
          return verified;
        },
        expectedManifest: (payload: Uint8Array): Manifest => expectedManifest(payload),
        compareManifests,
      }).catch((error: unknown) => {
        // A read of the local model stopped by the signal throws Node's AbortError: report the one ABORTED.
        stopIfAborted();
        throw error;
      });
      stopIfAborted();
      return { ...result, method: verifier.method, warnings };
    },
  );
}
