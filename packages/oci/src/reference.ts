import { OciError } from './errors.js';

/** The scheme prefix that names an image unambiguously on the command line. */
export const OCI_SCHEME = 'oci://';

// The fork accepts only lower-case sha256; we also accept sha512 (spec §1.3, recommended).
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function invalid(message: string): never {
  throw new OciError('INVALID_REFERENCE', message);
}

/**
 * An image reference `registry/repository(:tag|@digest)` parsed exactly as the Python fork parses it
 * (`ImageReference.parse`): the first path component is always the registry, there is no Docker Hub
 * defaulting, and the fork's error texts are kept. Unlike the fork, `name:tag@digest` is rejected instead of
 * keeping the tag inside the repository name.
 */
export class ImageReference {
  /** Registry host, with port when given (`quay.io`, `localhost:5000`, `[::1]:5000`). */
  readonly registry: string;
  /** Repository path inside the registry (`org/team/model`). */
  readonly repository: string;
  /** The tag, when the reference names one. */
  readonly tag: string | null;
  /** The manifest digest (`sha256:<hex>`), when the reference names one. */
  readonly digest: string | null;

  /** Builds a reference from its parts; prefer {@link ImageReference.parse}. */
  constructor(registry: string, repository: string, tag: string | null, digest: string | null) {
    this.registry = registry;
    this.repository = repository;
    this.tag = tag;
    this.digest = digest;
  }

  /**
   * Parses `registry/repo:tag`, `registry/repo@sha256:<hex>` or either behind `oci://`.
   * @throws OciError `INVALID_REFERENCE` with the fork's message texts.
   */
  static parse(input: string): ImageReference {
    const text = input.startsWith(OCI_SCHEME) ? input.slice(OCI_SCHEME.length) : input;
    if (!text.includes('/')) invalid(`Invalid reference '${text}': missing /`);
    let rest = text;
    let digest: string | null = null;
    let tag: string | null = null;
    const at = rest.lastIndexOf('@');
    if (at >= 0) {
      digest = rest.slice(at + 1);
      if (!DIGEST.test(digest)) invalid(`Invalid digest format: ${digest}`);
      rest = rest.slice(0, at);
    } else {
      const colon = rest.lastIndexOf(':');
      if (colon >= 0 && !rest.slice(colon + 1).includes('/')) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
      }
    }
    const slash = rest.indexOf('/');
    if (slash < 0) invalid(`Invalid image reference '${rest}'`);
    const registry = rest.slice(0, slash);
    const repository = rest.slice(slash + 1);
    if (registry === '' || repository === '') invalid(`Invalid image reference '${rest}'`);
    if (tag === '') invalid(`Invalid image reference '${text}': empty tag`);
    if (digest !== null && hasTag(repository)) {
      // The fork keeps `:tag` inside the repository here, which then names a repository that does not
      // exist; say what happened instead.
      invalid(`Invalid image reference '${text}': use either :tag or @digest, not both`);
    }
    if (tag === null && digest === null) invalid(`Image reference must have :tag or @digest: ${text}`);
    return new ImageReference(registry, repository, tag, digest);
  }

  /** `registry/repository@digest` when there is a digest, else `registry/repository:tag`. */
  toString(): string {
    return this.digest
      ? `${this.registry}/${this.repository}@${this.digest}`
      : `${this.registry}/${this.repository}:${this.tag ?? 'latest'}`;
  }

  /** The digest, else the tag: what goes after `/manifests/`. */
  get reference(): string {
    return this.digest ?? this.tag ?? 'latest';
  }

  /** The same repository at `digest` (the tag is dropped). */
  withDigest(digest: string): ImageReference {
    if (!DIGEST.test(digest)) invalid(`Invalid digest format: ${digest}`);
    return new ImageReference(this.registry, this.repository, null, digest);
  }

  /** The same repository at `tag` (the digest is dropped). */
  withTag(tag: string): ImageReference {
    return new ImageReference(this.registry, this.repository, tag, null);
  }
}

function hasTag(repository: string): boolean {
  const lastComponent = repository.slice(repository.lastIndexOf('/') + 1);
  return lastComponent.includes(':');
}

/** True when `digest` is a digest string this project accepts (`sha256:` or `sha512:`, lower-case hex). */
export function isDigest(digest: string): boolean {
  return DIGEST.test(digest);
}

/**
 * The tag under which a signature of the image with digest `digest` is stored in tag mode:
 * `sha256:<hex>` → `sha256-<hex>.sig`.
 */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}
