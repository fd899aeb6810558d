import { resolve } from 'node:path';
import * as hashing from '@model-signing/hashing';
import {
  diffManifests,
  type Manifest,
  ManifestError,
  type ManifestItem,
  mismatchDetails,
  mismatchMessage,
  readStatement,
  type Serialization,
  type SignedStatement,
  STATEMENT_PAYLOAD_TYPE,
} from '@model-signing/manifest';
import { VerificationError } from './errors.js';
import type { VerifiedPayload } from './verifier.js';

/** Refuses any DSSE payload type other than the in-toto statement type (checked after the signature). */
export function checkPayloadType(verified: VerifiedPayload): void {
  if (verified.payloadType !== STATEMENT_PAYLOAD_TYPE) {
    throw new VerificationError(
      'PAYLOAD_TYPE',
      `Expected DSSE payload ${STATEMENT_PAYLOAD_TYPE}, but got ${verified.payloadType}`,
    );
  }
}

function invalidPayload<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ManifestError) {
      throw new VerificationError('INVALID_PAYLOAD', `Invalid signed statement: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The signed statement, read in two steps (serialization now, resources on demand); failures of either step
 * are `INVALID_PAYLOAD` {@link VerificationError}s.
 */
export function signedStatement(payload: Uint8Array): SignedStatement {
  // The native engine, loaded by the time the resources are read (after the walk), reads them into columns.
  const statement = invalidPayload(() =>
    readStatement(payload, { readResourceColumns: hashing.readResourceColumns }),
  );
  return {
    serialization: statement.serialization,
    manifest: () => invalidPayload(() => statement.manifest()),
    check: () => invalidPayload(() => statement.check()),
    matching: (actual) => invalidPayload(() => statement.matching(actual)),
  };
}

/** The signed statement as the expected manifest (v1.0 or legacy v0.2 predicate, root digest checked). */
export function expectedManifest(payload: Uint8Array): Manifest {
  return signedStatement(payload).manifest();
}

/** How the local model is hashed for a verification. */
export interface LocalHashingOptions {
  /** An explicit hashing config; by default the one recorded in the signed statement (decision 8). */
  readonly hashingConfig?: hashing.Config | undefined;
  /** Extra model-relative ignore paths (the CLI's `--ignore-paths`, already resolved). */
  readonly ignorePaths?: readonly string[] | undefined;
  /** Also ignore the four git names at the top of the model (default true). Recorded git names always apply. */
  readonly ignoreGitPaths?: boolean | undefined;
  /** Follow symlinks (decision 9: only when asked for, whatever the signature recorded). */
  readonly allowSymlinks?: boolean | undefined;
  /** Paths relative to the CWD (or absolute) to leave out when inside the model: the signature file. */
  readonly excludePaths?: readonly string[] | undefined;
}

/**
 * The hashing config of a verification: the explicit one (cloned) or the recorded serialization, plus the
 * recorded ignore paths (always), the caller's ignore paths, git names and the symlink policy. Never changes
 * the caller's config.
 */
export function hashingConfigFor(
  expected: { readonly serialization: Serialization },
  modelPath: string,
  options: LocalHashingOptions = {},
): hashing.Config {
  const recorded = expected.serialization.ignorePaths;
  let config: hashing.Config;
  if (options.hashingConfig) {
    config = options.hashingConfig.clone();
    config.addIgnoredPaths({ modelPath, paths: recorded });
  } else {
    config = hashing.Config.fromSerialization(expected.serialization);
    config.setAllowSymlinks(options.allowSymlinks ?? false);
    const local = [...(options.ignorePaths ?? [])];
    if (options.ignoreGitPaths ?? true) local.push(...hashing.GIT_IGNORE_PATHS);
    config.addIgnoredPaths({ modelPath, paths: local });
  }
  if (options.hashingConfig && options.ignorePaths) {
    config.addIgnoredPaths({ modelPath, paths: options.ignorePaths });
  }
  if (options.hashingConfig && options.allowSymlinks !== undefined)
    config.setAllowSymlinks(options.allowSymlinks);
  if (options.excludePaths?.length) {
    config.addIgnoredPaths({ modelPath, paths: options.excludePaths.map((p) => resolve(p)) });
  }
  return config;
}

/**
 * Hashes the local model. With `ignoreUnsignedFiles`, only the files the signature names are hashed (shards
 * map back to their files), so unsigned extra files are never read.
 */
export async function hashLocalModel(
  config: hashing.Config,
  modelPath: string,
  expected: { readonly serialization: Serialization; readonly items?: readonly ManifestItem[] },
  ignoreUnsignedFiles = false,
  hashOptions: Pick<hashing.HashOptions, 'signal' | 'onWalked' | 'onProgress'> = {},
): Promise<Manifest> {
  if (ignoreUnsignedFiles && !expected.items) {
    throw new TypeError(
      'hashLocalModel: ignoreUnsignedFiles needs the expected manifest, not only its serialization',
    );
  }
  const filesToHash = ignoreUnsignedFiles
    ? [...new Set((expected.items ?? []).map((item) => item.resource.path))]
    : undefined;
  try {
    return await config.hash(modelPath, { ...hashOptions, ...(filesToHash ? { filesToHash } : {}) });
  } catch (error) {
    if (!(error instanceof hashing.HashingError)) throw error;
    let message = `Cannot hash the model ${modelPath}: ${error.message}`;
    if (error.code === 'SYMLINK' && expected.serialization.allowSymlinks && !config.allowSymlinks) {
      message +=
        ' The signature was made with symlinks allowed: verify with --allow-symlinks (setAllowSymlinks(true)).';
    }
    throw new VerificationError('HASHING_ERROR', message, { cause: error });
  }
}

/**
 * Compares the signed manifest with the local one and throws a `MODEL_MISMATCH` {@link VerificationError}:
 * its message names the first five files of each kind and counts the rest, its details list every extra,
 * missing and mismatched file with expected and actual digests.
 */
export function compareManifests(expected: Manifest, actual: Manifest): void {
  const diff = diffManifests(expected, actual);
  if (diff.equal) return;
  const details = mismatchDetails(diff, actual.modelName);
  throw new VerificationError('MODEL_MISMATCH', mismatchMessage(details), { details });
}
