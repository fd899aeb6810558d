import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { hashBytes } from '@model-signing/hashing';
import { type ManifestItem, resourceName, toHex } from '@model-signing/manifest';
import {
  VerificationError,
  type VerificationResult,
  type Config as VerifyingConfig,
} from '@model-signing/verifying';
import { SIGNATURE_FILE } from './signed-save.js';

/** How to verify a model directory before any of it reaches TF.js. */
export interface VerifiedModelOptions {
  /** The verifier (public key, certificate chain or Sigstore identity) and its settings. */
  readonly verifying: VerifyingConfig;
  /** The signature file. Default `model.sig` inside the model directory (then left out of the model). */
  readonly signature?: string;
}

/**
 * A model directory whose signature has verified, and whose files are handed out only as bytes that hash to
 * their signed digests.
 *
 * The verifier hashes the files on disk; a file could still be replaced between that check and the moment
 * it is read. So {@link read} reads a file once into memory and checks those very bytes against the signed
 * manifest (the file's digest, or every shard's) before returning them: what TF.js parses is what was signed.
 */
export class VerifiedModel {
  /** What the verification established (method, signed manifest, files). */
  readonly result: VerificationResult;
  readonly #dir: string;
  readonly #items: ReadonlyMap<string, readonly ManifestItem[]>;

  private constructor(dir: string, result: VerificationResult) {
    this.#dir = dir;
    this.result = result;
    const items = new Map<string, ManifestItem[]>();
    for (const item of result.manifest.items) {
      const list = items.get(item.resource.path) ?? [];
      list.push(item);
      items.set(item.resource.path, list);
    }
    this.#items = items;
  }

  /**
   * Verifies the model directory `dir` (signature, trust, and every file against the signed manifest, as
   * `model-signing verify` does). Throws the `VerificationError` of the failed check.
   */
  static async open(dir: string, options: VerifiedModelOptions): Promise<VerifiedModel> {
    const signature = options.signature ?? path.join(dir, SIGNATURE_FILE);
    return new VerifiedModel(dir, await options.verifying.verify(dir, signature));
  }

  /**
   * The bytes of the model-relative file `file` (a POSIX path), read once and checked against its signed digest. Throws a
   * `VerificationError` (`MODEL_MISMATCH`) when the signature does not cover the file or the bytes read are
   * not the signed ones.
   */
  async read(file: string): Promise<Uint8Array> {
    // Resources are named in normal form (`weights/a.bin`, never `./weights/a.bin`).
    const name = path.posix.normalize(file);
    const items = this.#items.get(name);
    if (!items) {
      throw new VerificationError(
        'MODEL_MISMATCH',
        `${name} is not one of the files the signature covers; sign the model again with it`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path.join(this.#dir, name));
    } catch (error) {
      throw new VerificationError(
        'READ_ERROR',
        `Cannot read ${name} of the verified model: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    await this.#check(name, bytes, items);
    return bytes;
  }

  async #check(name: string, bytes: Uint8Array, items: readonly ManifestItem[]): Promise<void> {
    const hashType = this.result.manifest.serialization.hashType;
    // Shards are in canonical order (by start offset) and must tile the file exactly: a longer or shorter
    // file than the one signed is a changed file.
    let end = 0;
    for (const item of items) {
      const { resource } = item;
      let range: Uint8Array | undefined;
      if (resource.kind === 'file') range = bytes;
      else if (resource.start === end && resource.end <= bytes.byteLength) {
        range = bytes.subarray(resource.start, resource.end);
      }
      if (resource.kind === 'shard') end = resource.end;
      const actual = range && (await hashBytes(hashType, range));
      if (!actual || !sameBytes(actual, item.digest.value)) this.#changed(name, item, actual);
    }
    if (items[0]?.resource.kind === 'shard' && end !== bytes.byteLength)
      this.#changed(name, items.at(-1)!, undefined);
  }

  #changed(name: string, item: ManifestItem, actual: Uint8Array | undefined): never {
    const algorithm = item.digest.algorithm;
    throw new VerificationError(
      'MODEL_MISMATCH',
      `${name} changed after the model was verified (the bytes read are not the signed ones); load the model again`,
      {
        details: {
          modelName: this.result.manifest.modelName,
          extra: [],
          missing: [],
          mismatched: [
            {
              name: resourceName(item.resource),
              expected: { algorithm, digest: toHex(item.digest.value) },
              actual: { algorithm, digest: actual ? toHex(actual) : 'size differs' },
            },
          ],
        },
      },
    );
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
