import { type ImageReference, parseAttachmentMode, parseOutputMode } from '@model-signing/oci';
import { abortPendingWrites, Config } from '@model-signing/signing';
import { registryAccess } from '../commands/image-common.js';
import type { ImageSignCliOptions } from '../commands/image-sign.js';
import { absolute } from '../common.js';
import { UsageError } from '../errors.js';
import { onForcedStop } from '../interrupt.js';
import { emit, failWith } from '../output.js';

// A signature write still in flight when the CLI stops leaves no temporary file.
onForcedStop(abortPendingWrites);

/**
 * Signs an image target (spec §1.7) with the signer `configure` sets, printing the fork's lines:
 * `Pushing signature to: …`, then `Signature pushed: <digest>` and/or `Signature written to: <path>`.
 */
export async function runSignImage(
  reference: ImageReference,
  options: ImageSignCliOptions,
  configure: (config: Config) => Config,
): Promise<void> {
  // Bad modes are usage errors (exit 2), as click's case-insensitive choices make them in the fork.
  try {
    parseAttachmentMode(options.attachmentMode);
    parseOutputMode(options.outputMode);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // Usage errors of the registry options come before any key is loaded or any request is sent.
  const access = registryAccess(options);
  const lines: string[] = [];
  const result = await failWith('Signing failed with error: ', async () => {
    const config = configure(new Config());
    return config.signImage(reference.toString(), {
      ...access,
      attachmentMode: options.attachmentMode,
      output: options.outputMode,
      signaturePath: options.signature,
      onPush: (target) => {
        if (!options.json) process.stdout.write(`Pushing signature to: ${target}\n`);
      },
    });
  });
  if (result.signatureDigest) lines.push(`Signature pushed: ${result.signatureDigest}`);
  if (result.signaturePath) lines.push(`Signature written to: ${result.signaturePath}`);
  emit(options.json, lines, {
    status: 'success',
    method: result.method,
    image: reference.toString(),
    imageDigest: result.imageDigest,
    ...(result.signatureDigest ? { signatureDigest: result.signatureDigest } : {}),
    ...(result.signatureTag ? { signatureTag: result.signatureTag } : {}),
    ...(result.fellBackToTag ? { fellBackToTag: true } : {}),
    ...(result.signaturePath ? { signature: absolute(result.signaturePath) } : {}),
    modelName: result.manifest.modelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.manifest.names(),
  });
}
