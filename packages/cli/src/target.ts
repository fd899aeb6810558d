/**
 * Target auto-detection for `sign`/`verify` `sigstore` and `key` (spec §1.2): an existing file or directory is
 * a local model; a string that looks like a path but does not exist is reported as such; anything else is an
 * OCI image reference. `oci://` always names an image.
 * @module
 */
import { existsSync } from 'node:fs';
import { ImageReference, OCI_SCHEME } from '@model-signing/oci';
import { errorCode, errorText, UsageError } from './errors.js';

/** What a command-line target names. */
export type Target =
  | { readonly kind: 'local'; readonly path: string }
  | { readonly kind: 'image'; readonly reference: ImageReference };

/**
 * True when `target` reads as a filesystem path rather than an image reference: it starts with `.`, `/` or
 * `~`, or contains a path separator but no `:` or `@` (an image reference needs a tag or a digest).
 */
export function looksLikePath(target: string): boolean {
  if (/^[./~]/.test(target)) return true;
  if (process.platform === 'win32' && /^[A-Za-z]:[\\/]/.test(target)) return true;
  return /[\\/]/.test(target) && !/[:@]/.test(target);
}

/**
 * Decides what `target` names, as the fork does (an existing path, symlinks followed, is a local model). A
 * target that is neither an existing path nor a valid image reference is one usage error that says both, as
 * a mistyped model path and a mistyped image name look alike.
 * @throws UsageError (exit 2) for a target that is neither.
 */
export function detectTarget(target: string): Target {
  if (target.startsWith(OCI_SCHEME)) return { kind: 'image', reference: parseReference(target) };
  if (existsSync(target)) return { kind: 'local', path: target };
  const neither = `${target}: no such file or directory, and not an image reference either`;
  if (looksLikePath(target)) throw new UsageError(neither, 'NOT_FOUND');
  try {
    return { kind: 'image', reference: ImageReference.parse(target) };
  } catch (error) {
    throw new UsageError(`${neither} (${errorText(error)})`, 'NOT_FOUND');
  }
}

function parseReference(target: string): ImageReference {
  try {
    return ImageReference.parse(target);
  } catch (error) {
    throw new UsageError(errorText(error), errorCode(error) ?? 'INVALID_REFERENCE');
  }
}
