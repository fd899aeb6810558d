import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  type PemInput,
  readCertificates,
  readSingleCertificate,
  SigningError,
  withSpan,
} from '@model-signing/core';
import * as hashing from '@model-signing/hashing';
import { type Manifest, statementBytes } from '@model-signing/manifest';
import { createCertificateBundleSigner, createKeyBundleSigner } from './bundle.js';
import { createEcdsaKeySigner, loadEcPrivateKey } from './ec-key.js';
import { type ImageSignOptions, type ImageSignResult, signFromManifestWith, signImageWith } from './image.js';
import {
  createPkcs11CertificateSigner,
  createPkcs11Signer,
  type Pkcs11CertificateSignerOptions,
  type Pkcs11SignerOptions,
} from './pkcs11.js';
import { signStatement } from './sign-statement.js';
import type { BundleJson, ModelSigner, SigningMethod } from './signer.js';
import { createSigstoreSigner, type SigstoreSignerOptions } from './sigstore/index.js';
import { checkWritable, writeAtomically } from './write.js';

/** Options of {@link Config.useEllipticKeySigner}. */
export interface EllipticKeySignerOptions {
  /** The EC private key: a PEM file path or the PEM contents. */
  privateKey: PemInput;
  /** The password of an encrypted PEM key. */
  password?: string | Uint8Array;
}

/** Options of {@link Config.useCertificateSigner}. */
export interface CertificateSignerOptions extends EllipticKeySignerOptions {
  /** The signing (leaf) certificate: a PEM file path or PEM contents. Its key must be the private key's. */
  signingCertificate: PemInput;
  /** Chain files (PEM paths or contents); every certificate of every file is included, in order. */
  certificateChain?: readonly PemInput[];
}

/** What {@link Config.sign} did. */
export interface SignResult {
  /** The signing method. */
  readonly method: SigningMethod;
  /** Where the bundle was written. */
  readonly signaturePath: string;
  /** The manifest that was signed. */
  readonly manifest: Manifest;
  /** The bundle that was written. */
  readonly bundle: BundleJson;
}

type SignerSource = () => Promise<ModelSigner>;

/**
 * How to sign a model, configured fluently (mirrors Python's `model_signing.signing.Config`). Keys and
 * certificates are loaded and checked when configured, so errors surface before any hashing.
 */
export class Config {
  #hashing: hashing.Config | undefined;
  #signer: SignerSource | undefined;
  #allowEmptyModel = false;

  /** Hash with `config` instead of the default (files, SHA-256, git paths ignored). */
  setHashingConfig(config: hashing.Config): this {
    this.#hashing = config;
    return this;
  }

  /** Allow signing a model with no file left after ignores (refused by default, decision 7). */
  setAllowEmptyModel(allow: boolean): this {
    this.#allowEmptyModel = allow;
    return this;
  }

  /** Sign with an EC private key (P-256, P-384, P-521); the bundle carries the public key hint. */
  useEllipticKeySigner(options: EllipticKeySignerOptions): this {
    const key = createEcdsaKeySigner(loadEcPrivateKey(options.privateKey, options.password));
    const signer = createKeyBundleSigner(key);
    this.#signer = async () => signer;
    return this;
  }

  /** Sign with an EC private key and its certificate; the bundle carries the leaf and the chain. */
  useCertificateSigner(options: CertificateSignerOptions): this {
    const key = createEcdsaKeySigner(loadEcPrivateKey(options.privateKey, options.password));
    const leaf = readSingleCertificate(options.signingCertificate);
    const chain = (options.certificateChain ?? []).flatMap((file) =>
      readCertificates(file, 'certificate chain'),
    );
    const signer = createCertificateBundleSigner(key, leaf, chain);
    this.#signer = async () => signer;
    return this;
  }

  /** Sign with Sigstore keyless (Fulcio certificate, Rekor entry). */
  useSigstoreSigner(options: SigstoreSignerOptions = {}): this {
    this.#signer = () => createSigstoreSigner(options);
    return this;
  }

  /** Sign with an EC key on a PKCS #11 token (key bundle). */
  usePkcs11Signer(options: Pkcs11SignerOptions): this {
    this.#signer = () => createPkcs11Signer(options);
    return this;
  }

  /** Sign with an EC key on a PKCS #11 token and its certificate chain (certificate bundle). */
  usePkcs11CertificateSigner(options: Pkcs11CertificateSignerOptions): this {
    this.#signer = () => createPkcs11CertificateSigner(options);
    return this;
  }

  /** Sign with a custom signer, or a factory called once per signing operation. */
  useSigner(signer: ModelSigner | (() => Promise<ModelSigner>)): this {
    this.#signer = typeof signer === 'function' ? signer : async () => signer;
    return this;
  }

  /**
   * Hashes the model, signs its statement and writes the bundle to `signaturePath` atomically. The signature
   * file is left out of the hash when it lies inside the model. Without a configured signer, Sigstore keyless
   * signing is used (as in the Python tool).
   */
  async sign(modelPath: string, signaturePath: string): Promise<SignResult> {
    return withSpan(
      'sign',
      { 'model_signing.model_path': modelPath, 'model_signing.signature': signaturePath },
      async (span) => {
        await checkWritable(signaturePath);
        const { manifest, bundle, method } = await this.#signModel(modelPath, [signaturePath]);
        span.setAttribute('model_signing.method', method);
        await writeAtomically(signaturePath, JSON.stringify(bundle));
        return { method, signaturePath, manifest, bundle };
      },
    );
  }

  /** Hashes and signs the model and returns the bundle without writing anything. */
  async signToBundle(modelPath: string): Promise<BundleJson> {
    return withSpan('sign', { 'model_signing.model_path': modelPath }, async (span) => {
      const { bundle, method } = await this.#signModel(modelPath, []);
      span.setAttribute('model_signing.method', method);
      return bundle;
    });
  }

  /**
   * Signs the OCI image `ref` (spec §1.7): the model manifest is built from the registry's image manifest, and
   * the bundle is attached as a referrer or under the `sha256-<hex>.sig` tag and/or written to a file.
   * Requires a configured signer.
   */
  async signImage(ref: string, options: ImageSignOptions = {}): Promise<ImageSignResult> {
    return signImageWith(this.#signer, ref, options);
  }

  /**
   * Signs a prebuilt OCI image manifest (JSON text, bytes or object) without registry access and writes the
   * bundle to `signaturePath`. Without a configured signer, Sigstore keyless signing is used (as in Python).
   */
  async signFromManifest(
    manifestJson: string | Uint8Array | Record<string, unknown>,
    signaturePath: string,
  ): Promise<Manifest> {
    return signFromManifestWith(
      this.#signer ?? (() => createSigstoreSigner({})),
      manifestJson,
      signaturePath,
    );
  }

  async #signModel(
    modelPath: string,
    extraIgnores: readonly string[],
  ): Promise<{ manifest: Manifest; bundle: BundleJson; method: SigningMethod }> {
    const source = this.#signer ?? (() => createSigstoreSigner({}));
    const signer = await source();
    try {
      // The hashing package opens the nested `hash` span itself.
      const manifest = await hashModel(this.#hashing, modelPath, extraIgnores);
      if (manifest.size === 0 && !this.#allowEmptyModel) {
        throw new SigningError(
          'EMPTY_MODEL',
          `The model ${modelPath} has no file to sign (after ignored paths); allow empty models explicitly to sign it anyway`,
        );
      }
      const bundle = await signStatement(signer, statementBytes(manifest));
      return { manifest, bundle, method: signer.method };
    } finally {
      await signer.close?.();
    }
  }
}

/** True when `path` lies inside the directory `root` (lexically). */
function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

async function hashModel(
  base: hashing.Config | undefined,
  modelPath: string,
  extraIgnores: readonly string[],
): Promise<Manifest> {
  const config = base ? base.clone() : new hashing.Config();
  const inside = extraIgnores.filter((path) => isInside(modelPath, path));
  if (inside.length > 0) config.addIgnoredPaths({ modelPath, paths: inside.map((path) => resolve(path)) });
  return config.hash(modelPath);
}
