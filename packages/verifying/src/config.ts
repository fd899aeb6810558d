import { withSpan } from '@model-signing/core';
import type * as hashing from '@model-signing/hashing';
import type { Manifest, SignedStatement } from '@model-signing/manifest';
import { type ParsedBundle, readBundleFile } from './bundle.js';
import { type CertificateVerifierOptions, createCertificateVerifier } from './certificate-verifier.js';
import { VerificationError } from './errors.js';
import { type ImageVerificationResult, type ImageVerifyOptions, verifyImageWith } from './image.js';
import { createKeyVerifier, type KeyVerifierOptions } from './key-verifier.js';
import {
  checkPayloadType,
  compareManifests,
  hashingConfigFor,
  hashLocalModel,
  signedStatement,
} from './pipeline.js';
import { createSigstoreVerifier, type SigstoreVerifierOptions } from './sigstore/index.js';
import type { BundleVerifier, VerificationMethod } from './verifier.js';

/** Per-call options of {@link Config.verify}. */
export interface VerifyOptions {
  /** Extra model-relative ignore paths for this call (added to the configured and the recorded ones). */
  readonly ignorePaths?: readonly string[];
}

/** What a successful {@link Config.verify} established. */
export interface VerificationResult {
  /** The method that verified the bundle. */
  readonly method: VerificationMethod;
  /** The signed manifest (which now matches the local model). */
  readonly manifest: Manifest;
  /** The model name recorded in the signature. */
  readonly signedModelName: string;
  /** The files (or shards) verified, in canonical order. */
  readonly files: readonly string[];
  /** Non-fatal findings (an old bundle format, absent key usage extensions). */
  readonly warnings: readonly string[];
}

/** Options of {@link Config.setIgnoredPaths}. */
export interface VerifyIgnoredPathsOptions {
  /** Paths relative to the model directory (resolve CLI paths with `resolveCliIgnorePaths`). */
  readonly paths: readonly string[];
  /** Also ignore the four git names at the top of the model. Default true. */
  readonly ignoreGitPaths?: boolean;
}

type VerifierSource = () => Promise<BundleVerifier>;

/**
 * How to verify a model signature, configured fluently (mirrors Python's `model_signing.verifying.Config`).
 * Keys and trust anchors load when configured. No state is kept between {@link verify} calls.
 */
export class Config {
  #verifier: VerifierSource | undefined;
  #hashing: hashing.Config | undefined;
  #ignoreUnsignedFiles = false;
  #allowSymlinks: boolean | undefined;
  #ignorePaths: readonly string[] = [];
  #ignoreGitPaths = true;

  /** Hash the local model with `config` instead of the serialization recorded in the signature. */
  setHashingConfig(config: hashing.Config): this {
    this.#hashing = config;
    return this;
  }

  /** Hash only the files the signature names, so unsigned extra files are tolerated. */
  setIgnoreUnsignedFiles(ignore: boolean): this {
    this.#ignoreUnsignedFiles = ignore;
    return this;
  }

  /** Follow symlinks, wherever they point (must match what signing needed; never inferred from the signature). */
  setAllowSymlinks(allow: boolean): this {
    this.#allowSymlinks = allow;
    return this;
  }

  /** Ignore these model-relative paths (on top of the paths recorded in the signature). */
  setIgnoredPaths(options: VerifyIgnoredPathsOptions): this {
    this.#ignorePaths = [...options.paths];
    this.#ignoreGitPaths = options.ignoreGitPaths ?? true;
    return this;
  }

  /** Verify key bundles with an EC public key. */
  useEllipticKeyVerifier(options: KeyVerifierOptions): this {
    const verifier = createKeyVerifier(options);
    this.#verifier = async () => verifier;
    return this;
  }

  /** Verify certificate bundles against trusted root certificates. */
  useCertificateVerifier(options: CertificateVerifierOptions): this {
    const verifier = createCertificateVerifier(options);
    this.#verifier = async () => verifier;
    return this;
  }

  /** Verify Sigstore keyless bundles for an exact identity and issuer. */
  useSigstoreVerifier(options: SigstoreVerifierOptions): this {
    let verifier: Promise<BundleVerifier> | undefined;
    this.#verifier = () => {
      verifier ??= createSigstoreVerifier(options);
      return verifier;
    };
    return this;
  }

  /** Verify with a custom verifier. */
  useVerifier(verifier: BundleVerifier): this {
    this.#verifier = async () => verifier;
    return this;
  }

  /**
   * Verifies the model at `modelPath` against the signature file at `signaturePath`: bundle, signature and
   * trust, payload type, statement, then the model's hash against the signed manifest. The signature file is
   * left out of the model when it lies inside it. Throws a {@link VerificationError} naming the failed check.
   */
  async verify(
    modelPath: string,
    signaturePath: string,
    options: VerifyOptions = {},
  ): Promise<VerificationResult> {
    return withSpan(
      'verify',
      { 'model_signing.model_path': modelPath, 'model_signing.signature': signaturePath },
      async (span) => {
        if (!this.#verifier) {
          throw new VerificationError('NO_VERIFIER', 'Attempting to verify with no configured verifier');
        }
        const verifier = await this.#verifier();
        span.setAttribute('model_signing.method', verifier.method);
        const bundle = await readBundleFile(signaturePath);
        return this.verifyBundle(verifier, bundle, modelPath, { ...options, excludePaths: [signaturePath] });
      },
    );
  }

  /**
   * Verifies the OCI image `ref` (spec §1.9–§1.10): every signature attached to it (or the `signature` file)
   * is tried, newest first, until one verifies and matches the model manifest rebuilt from the registry's
   * current image manifest; `localModel` is then compared file by file with the signed manifest.
   */
  async verifyImage(ref: string, options: ImageVerifyOptions = {}): Promise<ImageVerificationResult> {
    return verifyImageWith(this.#verifier ? await this.#verifier() : undefined, ref, {
      ...options,
      ignorePaths: [...this.#ignorePaths, ...(options.ignorePaths ?? [])],
      ignoreGitPaths: options.ignoreGitPaths ?? this.#ignoreGitPaths,
    });
  }

  /** The steps of {@link verify} after the bundle is read; for bundles that do not come from a file. */
  async verifyBundle(
    verifier: BundleVerifier,
    bundle: ParsedBundle,
    modelPath: string,
    options: VerifyOptions & { excludePaths?: readonly string[] } = {},
  ): Promise<VerificationResult> {
    const verified = await verifier.verify(bundle);
    checkPayloadType(verified);
    const statement = signedStatement(verified.payload);
    const config = hashingConfigFor(statement, modelPath, {
      hashingConfig: this.#hashing,
      ignorePaths: [...this.#ignorePaths, ...(options.ignorePaths ?? [])],
      ignoreGitPaths: this.#ignoreGitPaths,
      allowSymlinks: this.#allowSymlinks,
      excludePaths: options.excludePaths,
    });
    const { expected, actual, equal } = this.#ignoreUnsignedFiles
      ? await hashOnlySigned(statement, config, modelPath)
      : await hashWhileReading(statement, config, modelPath);
    if (!equal) compareManifests(expected, actual);
    return {
      method: verifier.method,
      manifest: expected,
      signedModelName: expected.modelName,
      files: expected.names(),
      warnings: verified.warnings ?? [],
    };
  }
}

// The resources name the files to hash, so they are read first.
async function hashOnlySigned(
  statement: SignedStatement,
  config: hashing.Config,
  modelPath: string,
): Promise<{ expected: Manifest; actual: Manifest; equal?: boolean }> {
  const expected = statement.manifest();
  return { expected, actual: await hashLocalModel(config, modelPath, expected, true) };
}

// The signed resources are checked while the local model is hashed, once the walk is over: before that the
// calling thread walks (and hands files to the hashing threads), after it, it mostly waits. A statement that
// fails the check is the error reported, and stops the hashing; so is one whose names are invalid when the
// hashing fails. When the two manifests are equal, that is found without building the signed items.
async function hashWhileReading(
  statement: SignedStatement,
  config: hashing.Config,
  modelPath: string,
): Promise<{ expected: Manifest; actual: Manifest; equal?: boolean }> {
  const controller = new AbortController();
  let walked!: () => void;
  const walkOver = new Promise<void>((resolve) => {
    walked = resolve;
  });
  const hashed = hashLocalModel(config, modelPath, statement, false, {
    signal: controller.signal,
    onWalked: () => walked(),
  });
  // Its failure is reported below, after the statement's; until then it must not count as unhandled.
  const settled = hashed.then(
    () => undefined,
    () => undefined,
  );
  await Promise.race([walkOver, settled]);
  try {
    statement.check();
  } catch (error) {
    controller.abort();
    await settled;
    throw error;
  }
  let actual: Manifest;
  try {
    actual = await hashed;
  } catch (error) {
    statement.manifest();
    throw error;
  }
  const same = statement.matching(actual);
  return same ? { expected: same, actual, equal: true } : { expected: statement.manifest(), actual };
}
