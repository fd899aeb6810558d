import { ManifestError } from './errors.js';
import { toHex } from './hex.js';
import { compareResources } from './order.js';
import { type Resource, resourceName, validateResourcePath } from './resource.js';
import type { Serialization } from './serialization.js';
import { sha256 } from './sha256.js';

/** A digest with the name of the algorithm that produced it (`sha256`, `sha256-sharded-8`, …). */
export interface Digest {
  /** The algorithm name as written in `resources[].algorithm`. */
  readonly algorithm: string;
  /** The raw digest bytes. */
  readonly value: Uint8Array;
}

/** One resource of a model with its digest. */
export interface ManifestItem {
  /** The file or shard. */
  readonly resource: Resource;
  /** Its digest. */
  readonly digest: Digest;
}

/** One line of a manifest as the statement writes it. */
export interface ResourceDescriptor {
  /** The identifier (`path` or `path:start:end`). */
  readonly name: string;
  /** The digest algorithm name. */
  readonly algorithm: string;
  /** Lower-case hex digest. */
  readonly digest: string;
}

// Set by Manifest.withSubject for the one constructor call it makes: items a manifest has already checked.
let adopted: readonly ManifestItem[] | undefined;

/**
 * The digests of every resource of a model, in canonical order, with the model's name and how it was hashed.
 * Two manifests are equal when their resources and digests are; the name and serialization are informative.
 */
export class Manifest {
  /** The model name (the subject name of the statement). */
  readonly modelName: string;
  /** How the model was hashed. */
  readonly serialization: Serialization;
  readonly #items: readonly ManifestItem[];
  #byName: ReadonlyMap<string, ManifestItem> | undefined;
  #rootHex: string | undefined;

  /**
   * @param modelName the subject name.
   * @param items the resources; any order, sorted here. Names must be valid and unique.
   * @param serialization how the model was hashed.
   */
  constructor(modelName: string, items: Iterable<ManifestItem>, serialization: Serialization) {
    this.modelName = modelName;
    this.serialization = serialization;
    if (adopted) {
      this.#items = adopted;
      adopted = undefined;
      return;
    }
    const sorted = [...items];
    // Walks and signed statements are usually in canonical order already, with no two resources equal: one
    // pass of comparisons shows both, and only otherwise is the list sorted and compared again.
    const byResource = (a: ManifestItem, b: ManifestItem) => compareResources(a.resource, b.resource);
    const strictlySorted = isStrictlySorted(sorted, byResource);
    if (!strictlySorted) sorted.sort(byResource);
    for (const item of sorted) validateResourcePath(item.resource.path);
    // With one kind of resource, equal names are equal resources, which sorting puts side by side; the map by
    // name is then built only when asked for. Mixed kinds (a file named like a shard) need the map now.
    const kind = sorted[0]?.resource.kind;
    if (sorted.every((item) => item.resource.kind === kind)) {
      for (let i = 1; i < sorted.length && !strictlySorted; i++) {
        if (byResource(sorted[i - 1]!, sorted[i]!) === 0) duplicate(resourceName(sorted[i]!.resource));
      }
    } else {
      this.#byName = indexByName(sorted);
    }
    if (sorted.length > 0 && sorted.some((item) => item.resource.path === '.')) {
      if (!sorted.every((item) => item.resource.path === '.')) {
        throw new ManifestError(
          'INVALID_RESOURCE_NAME',
          "The name '.' is only valid for a single-file model",
        );
      }
    }
    this.#items = sorted;
  }

  /** The items in canonical order. */
  get items(): readonly ManifestItem[] {
    return this.#items;
  }

  /** The number of resources. */
  get size(): number {
    return this.#items.length;
  }

  /** The item with identifier `name`, if any. */
  get(name: string): ManifestItem | undefined {
    this.#byName ??= indexByName(this.#items);
    return this.#byName.get(name);
  }

  /** The identifiers, in canonical order. */
  names(): string[] {
    return this.#items.map((item) => resourceName(item.resource));
  }

  /** `(name, algorithm, hex digest)` of every resource, in canonical order. */
  resourceDescriptors(): ResourceDescriptor[] {
    return this.#items.map((item) => ({
      name: resourceName(item.resource),
      algorithm: item.digest.algorithm,
      digest: toHex(item.digest.value),
    }));
  }

  /** SHA-256 over the concatenated raw digests in canonical order: the statement's subject digest. */
  rootDigest(): Uint8Array {
    return rootDigestOf(this.#items.map((item) => item.digest.value));
  }

  /** {@link rootDigest} as lower-case hex. Computed once (a verifier compares it, then reports it). */
  rootDigestHex(): string {
    this.#rootHex ??= toHex(this.rootDigest());
    return this.#rootHex;
  }

  /**
   * The same resources and digests under another subject name and serialization record, without checking the
   * items again (this manifest did when it was built).
   */
  withSubject(modelName: string, serialization: Serialization): Manifest {
    adopted = this.#items;
    return new Manifest(modelName, [], serialization);
  }

  /** True when both manifests have the same resources with the same algorithms and digests. */
  equals(other: Manifest): boolean {
    return diffManifests(this, other).equal;
  }
}

function duplicate(name: string): never {
  throw new ManifestError('DUPLICATE_RESOURCE', `Resource ${JSON.stringify(name)} appears more than once`);
}

// Items by name; a name seen twice is an error.
function indexByName(items: readonly ManifestItem[]): Map<string, ManifestItem> {
  const byName = new Map<string, ManifestItem>();
  for (const item of items) {
    const name = resourceName(item.resource);
    // One map operation per item: a name seen before leaves the size unchanged.
    const before = byName.size;
    byName.set(name, item);
    if (byName.size === before) duplicate(name);
  }
  return byName;
}

// 'file' or 'shard' when every item is of that kind (or there are none: 'file'), else null.
function uniformKind(items: readonly ManifestItem[]): Resource['kind'] | null {
  const kind = items[0]?.resource.kind ?? 'file';
  return items.every((item) => item.resource.kind === kind) ? kind : null;
}

// In order, and no two items compare equal.
function isStrictlySorted<T>(items: readonly T[], compare: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i++) if (compare(items[i - 1]!, items[i]!) >= 0) return false;
  return true;
}

/** SHA-256 over the concatenation of `digests`, in the given order. */
export function rootDigestOf(digests: Iterable<Uint8Array>): Uint8Array {
  // One update over the concatenation: a call per digest costs more than the hashing for 20,000 of them.
  return new Uint8Array(sha256(Buffer.concat([...digests])));
}

/** A resource whose local digest differs from the signed one. */
export interface DigestMismatch {
  /** The resource identifier. */
  readonly name: string;
  /** The signed digest. */
  readonly expected: Digest;
  /** The digest of the local model. */
  readonly actual: Digest;
}

/** The differences between the signed (expected) manifest and the one of the local model (actual). */
export interface ManifestDiff {
  /** True when there is no difference. */
  readonly equal: boolean;
  /** Local resources that are not signed, sorted. */
  readonly extra: readonly string[];
  /** Signed resources absent from the local model, sorted. */
  readonly missing: readonly string[];
  /** Resources whose digests (or algorithms) differ, sorted by name. */
  readonly mismatched: readonly DigestMismatch[];
}

function sameDigest(a: Digest, b: Digest): boolean {
  if (a.algorithm !== b.algorithm || a.value.length !== b.value.length) return false;
  for (let i = 0; i < a.value.length; i++) if (a.value[i] !== b.value[i]) return false;
  return true;
}

/** Compares the signed manifest with the local one and lists every extra, missing and mismatched resource. */
export function diffManifests(expected: Manifest, actual: Manifest): ManifestDiff {
  const extra: string[] = [];
  const missing: string[] = [];
  const mismatched: DigestMismatch[] = [];
  const compare = (signed: ManifestItem, local: ManifestItem) => {
    if (!sameDigest(signed.digest, local.digest)) {
      mismatched.push({ name: resourceName(local.resource), expected: signed.digest, actual: local.digest });
    }
  };
  const kind = uniformKind(expected.items);
  if (kind !== null && kind === uniformKind(actual.items)) {
    // Both lists are in canonical order and, with one kind of resource, equal resources have equal names: one
    // merge pass, without a lookup by name per item (verifying a model of many files compares them all).
    const left = expected.items;
    const right = actual.items;
    let i = 0;
    let j = 0;
    while (i < left.length || j < right.length) {
      const order =
        i >= left.length
          ? 1
          : j >= right.length
            ? -1
            : compareResources(left[i]!.resource, right[j]!.resource);
      if (order < 0) missing.push(resourceName(left[i++]!.resource));
      else if (order > 0) extra.push(resourceName(right[j++]!.resource));
      else compare(left[i++]!, right[j++]!);
    }
  } else {
    for (const item of actual.items) {
      const signed = expected.get(resourceName(item.resource));
      if (!signed) extra.push(resourceName(item.resource));
      else compare(signed, item);
    }
    for (const item of expected.items) {
      const name = resourceName(item.resource);
      if (!actual.get(name)) missing.push(name);
    }
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  extra.sort(byName);
  missing.sort(byName);
  mismatched.sort((a, b) => byName(a.name, b.name));
  return { equal: extra.length + missing.length + mismatched.length === 0, extra, missing, mismatched };
}
