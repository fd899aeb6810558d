import {
  diffManifests,
  type Manifest,
  ManifestError,
  mismatchDetails,
  mismatchMessage,
  readStatement,
  type Serialization,
  STATEMENT_PAYLOAD_TYPE,
} from '@model-signing/manifest';
import { readBundle } from './bundle.js';
import { fail, VerificationError } from './errors.js';
import { hashLocalModel } from './local.js';
import { loadSha256 } from './manifest-sha256.js';
import type { ModelInput } from './sources.js';
import {
  type BundleVerifier,
  type CertificateTrust,
  createCertificateVerifier,
  createKeyVerifier,
} from './verifiers.js';

/** Key or certificate material: PEM text, its bytes, or a `Blob`/`File` holding it. */
export type PemSource = string | Uint8Array | Blob;

/** The signature (`model.sig`): its JSON text, bytes, a `Blob`/`File`, a `Response`, or a URL to fetch. */
export type SignatureSource = string | Uint8Array | Blob | Response | URL;

/** Options of {@link Config.useEllipticKeyVerifier}. */
export interface KeyVerifierOptions {
  /** The EC public key (P-256, P-384 or P-521) in PEM. */
  readonly publicKey: PemSource;
}

/** Options of {@link Config.useCertificateVerifier}. */
export interface CertificateVerifierOptions {
  /** The trusted root certificates (PEM); at least one. */
  readonly certificateChain: readonly PemSource[];
  /** Validate the chain at the leaf's notBefore instead of now, so that expired certificates pass. */
  readonly allowExpiredCertificates?: boolean;
  /** The time to validate the chain at (default: now). */
  readonly now?: Date;
}

/** Progress of a verification. */
export interface VerifyProgress {
  /** Bytes hashed so far. */
  readonly bytesHashed: number;
}

/** Options of {@link Config.verify}. */
export interface VerifyOptions {
  /** Model-relative paths to leave out, besides those the signature records (the CLI's `--ignore-paths`). */
  readonly ignorePaths?: readonly string[];
  /**
   * Hash only the files the signature names, so that unsigned extra files are tolerated (the CLI's
   * `--ignore-unsigned-files`). A model given by URL is always read so: a web server's folder has no listing.
   */
  readonly ignoreUnsignedFiles?: boolean;
  /** Also leave out `.git`, `.gitattributes`, `.github` and `.gitignore` at the top (default true). */
  readonly ignoreGitPaths?: boolean;
  /** The local model name used in messages (default: the folder's or file's name). */
  readonly modelName?: string;
  /** How many hashing workers (default: the number of cores, at most 4). */
  readonly workers?: number;
  /** Where the hashing worker script is (default: `hash-worker.js` beside this module). */
  readonly workerUrl?: string | URL;
  /** Told as bytes are hashed. */
  readonly onProgress?: (progress: VerifyProgress) => void;
  /** Stops the verification: it fails with `ABORTED`, as in Node.js. */
  readonly signal?: AbortSignal;
}

/** What a successful verification established. */
export interface VerificationResult {
  /** The method that verified. */
  readonly method: 'key' | 'certificate';
  /** The local model name. */
  readonly modelName: string;
  /** The model name the signature records. */
  readonly signedModelName: string;
  /** `sha256:<hex>` of the manifest: what the signature covers. */
  readonly rootDigest: string;
  /** How the model was hashed, as the signature records it. */
  readonly serialization: Serialization;
  /** The verified files (or shards), in canonical order. */
  readonly files: readonly string[];
  /** Findings worth showing (an old bundle format, absent certificate extensions). */
  readonly warnings: readonly string[];
}

async function text(source: PemSource): Promise<string> {
  if (typeof source === 'string') return source;
  return source instanceof Blob ? source.text() : new TextDecoder().decode(source);
}

async function signatureBytes(source: SignatureSource): Promise<Uint8Array | string> {
  try {
    if (typeof source === 'string' || source instanceof Uint8Array) return source;
    const response = source instanceof URL ? await fetch(source) : source;
    if (response instanceof Response && !response.ok) {
      throw new Error(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return fail('READ_ERROR', `Cannot read the signature file: ${(error as Error).message}`, error);
  }
}

function payload<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ManifestError)
      fail('INVALID_PAYLOAD', `Invalid signed statement: ${error.message}`, error);
    throw error;
  }
}

function compare(expected: Manifest, actual: Manifest): void {
  const diff = diffManifests(expected, actual);
  if (diff.equal) return;
  const details = mismatchDetails(diff, actual.modelName);
  throw new VerificationError('MODEL_MISMATCH', mismatchMessage(details), { details });
}

/**
 * Verifies models in the browser, as `verifying.Config` of `@model-signing/verifying` does in Node.js: the
 * same bundle rules, checks, order of checks and error codes, with WebCrypto for signatures and Web Workers
 * for hashing. Key and certificate methods (Sigstore is not available in the browser yet).
 */
export class Config {
  #verifier: (() => Promise<BundleVerifier>) | undefined;

  /** Verify with an EC public key. */
  useEllipticKeyVerifier(options: KeyVerifierOptions): this {
    this.#verifier = async () => createKeyVerifier(await text(options.publicKey));
    return this;
  }

  /** Verify with a certificate chain leading to one of the given roots. */
  useCertificateVerifier(options: CertificateVerifierOptions): this {
    this.#verifier = async () => {
      const trust: CertificateTrust = {
        certificateChain: await Promise.all(options.certificateChain.map(text)),
        allowExpiredCertificates: options.allowExpiredCertificates,
        now: options.now,
      };
      return createCertificateVerifier(trust);
    };
    return this;
  }

  /**
   * Verifies `model` against `signature`: the bundle, its signature and trust, the signed statement, then the
   * model's files, hashed as the signature records (method, algorithm, shard size, ignore paths). Throws a
   * {@link VerificationError} naming the failed check; a model mismatch lists every extra, missing and
   * changed file.
   */
  async verify(
    model: ModelInput,
    signature: SignatureSource,
    options: VerifyOptions = {},
  ): Promise<VerificationResult> {
    if (!this.#verifier) fail('NO_VERIFIER', 'Attempting to verify with no configured verifier');
    await loadSha256();
    const verifier = await this.#verifier();
    const bundle = readBundle(await signatureBytes(signature));
    const verified = await verifier.verify(bundle);
    if (verified.payloadType !== STATEMENT_PAYLOAD_TYPE) {
      fail(
        'PAYLOAD_TYPE',
        `Expected DSSE payload ${STATEMENT_PAYLOAD_TYPE}, but got ${verified.payloadType}`,
      );
    }
    const statement = payload(() => readStatement(verified.payload));
    const expected = payload(() => statement.manifest());
    const { modelName, manifest: actual } = await hashLocalModel(
      model,
      expected,
      statement.serialization,
      options,
    );
    compare(expected, actual);
    return {
      method: verifier.method,
      modelName,
      signedModelName: expected.modelName,
      rootDigest: `sha256:${expected.rootDigestHex()}`,
      serialization: statement.serialization,
      files: expected.names(),
      warnings: verified.warnings,
    };
  }
}
