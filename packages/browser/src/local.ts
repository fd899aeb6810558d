import type { Manifest, Serialization } from '@model-signing/manifest';
import type { VerifyOptions } from './config.js';
import { VerificationError } from './errors.js';
import { GIT_IGNORE_PATHS, hashModel } from './hash.js';
import { HashPool } from './pool.js';
import { listModel, type ModelInput } from './sources.js';

const defaultWorkers = () => Math.min(4, Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 2));

/**
 * Lists and hashes the local model as the signature records: its files (only the signed ones for a model given
 * by URL or with `ignoreUnsignedFiles`), less the recorded and given ignore paths and the git names, on a pool of
 * workers that ends with the call (or when `signal` aborts).
 */
export async function hashLocalModel(
  model: ModelInput,
  expected: Manifest,
  serialization: Serialization,
  options: VerifyOptions,
): Promise<{ modelName: string; manifest: Manifest }> {
  const signedPaths = [...new Set(expected.items.map((item) => item.resource.path))];
  const listed = await listModel(model, options.modelName, signedPaths);
  const signed = new Set(signedPaths);
  const files =
    options.ignoreUnsignedFiles && !(model instanceof URL)
      ? { ...listed, files: new Map([...listed.files].filter(([name]) => signed.has(name))) }
      : listed;
  const ignored = new Set([...serialization.ignorePaths, ...(options.ignorePaths ?? [])]);
  if (options.ignoreGitPaths ?? true) for (const path of GIT_IGNORE_PATHS) ignored.add(path);
  let hashed = 0;
  const pool = new HashPool(
    options.workerUrl ?? new URL('./hash-worker.js', import.meta.url),
    options.workers ?? defaultWorkers(),
    (bytes) => {
      hashed += bytes;
      options.onProgress?.({ bytesHashed: hashed });
    },
  );
  const cancelled = new VerificationError('ABORTED', 'Verification was cancelled');
  const abort = () => pool.close(cancelled);
  options.signal?.addEventListener('abort', abort);
  try {
    if (options.signal?.aborted) abort();
    return { modelName: files.modelName, manifest: await hashModel(files, serialization, ignored, pool) };
  } catch (error) {
    // As in Node.js: a cancelled verification is ABORTED, whichever file was being hashed.
    if (options.signal?.aborted) throw cancelled;
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abort);
    pool.close();
  }
}
