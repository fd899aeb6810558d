/**
 * Signing OCI model images: the signer of a {@link Config} applied to the model manifest the `oci` package
 * builds from an image, with the bundle attached to the registry and/or written to a file.
 * @module
 */

import { SigningError, withSpan } from '@model-signing/core';
import type { Manifest } from '@model-signing/manifest';
import * as oci from '@model-signing/oci';
import { signStatement } from './sign-statement.js';
import type { BundleJson, ModelSigner, SigningMethod } from './signer.js';

/** Options of `Config.signImage`. */
export interface ImageSignOptions extends oci.RegistryAccess {
  /** `referrers` (default) or `tag`, case-insensitive. */
  readonly attachmentMode?: oci.AttachmentMode | string;
  /** `registry` (default), `file` or `both`. */
  readonly output?: oci.OutputMode | string;
  /** The signature file for the `file` and `both` outputs. */
  readonly signaturePath?: string;
  /** Called with the push target before anything is pushed. */
  readonly onPush?: (target: string) => void;
}

/** What `Config.signImage` did. */
export interface ImageSignResult extends oci.SignImageResult {
  /** The signing method. */
  readonly method: SigningMethod;
}

/** Makes the signer of one operation (closed afterwards). */
export type SignerSource = () => Promise<ModelSigner>;

function bundleBytes(bundle: BundleJson): Uint8Array {
  // The same serialisation as a `model.sig` file written by `Config.sign`.
  return new TextEncoder().encode(JSON.stringify(bundle));
}

async function withSigner<T>(source: SignerSource, run: (signer: ModelSigner) => Promise<T>): Promise<T> {
  const signer = await source();
  try {
    return await run(signer);
  } finally {
    await signer.close?.();
  }
}

function signWith(signer: ModelSigner) {
  return async (statement: Uint8Array): Promise<Uint8Array> => {
    return bundleBytes(await signStatement(signer, statement));
  };
}

/**
 * Signs the image `ref` (spec §1.7) with the signer of `source`. Without a configured signer it fails with
 * the fork's message, before contacting the registry.
 */
export async function signImageWith(
  source: SignerSource | undefined,
  ref: string,
  options: ImageSignOptions = {},
): Promise<ImageSignResult> {
  if (!source) {
    throw new SigningError(
      'CONFIG_ERROR',
      'No signer configured. Call useSigstoreSigner(), useEllipticKeySigner(), or another signer method first.',
    );
  }
  return withSpan('sign_image', { 'model_signing.image': ref }, async (span) =>
    withSigner(source, async (signer) => {
      span.setAttribute('model_signing.method', signer.method);
      const result = await oci.signImage(ref, { ...options, sign: signWith(signer) });
      return { ...result, method: signer.method };
    }),
  );
}

/**
 * Signs a prebuilt OCI image manifest (for example `skopeo inspect --raw` output) without registry access and
 * writes the bundle to `signaturePath`, as the fork's `sign_from_manifest`.
 */
export async function signFromManifestWith(
  source: SignerSource,
  manifestJson: string | Uint8Array | Record<string, unknown>,
  signaturePath: string,
): Promise<Manifest> {
  return withSpan('sign_manifest', { 'model_signing.signature': signaturePath }, async () =>
    withSigner(source, (signer) =>
      oci.signManifestJson(manifestJson, signaturePath, { sign: signWith(signer) }),
    ),
  );
}
