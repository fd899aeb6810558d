import {
  fileResource,
  Manifest,
  ManifestError,
  type ManifestItem,
  resourceAlgorithm,
  type Serialization,
  shardResource,
} from '@model-signing/manifest';
import { fail } from './errors.js';
import { type HashJob, type HashPool, SourceNotFound } from './pool.js';
import type { WorkerSource } from './protocol.js';
import type { FileSource, ModelFiles } from './sources.js';

/** The model-relative paths ignored by default, at the top of the model only (as in Node.js). */
export const GIT_IGNORE_PATHS: readonly string[] = ['.git', '.gitattributes', '.github', '.gitignore'];

/** True when `name` or a folder above it is one of `ignored` (`.` ignores everything). */
export function isIgnored(name: string, ignored: ReadonlySet<string>): boolean {
  if (ignored.has('.') || ignored.has(name)) return true;
  for (let end = name.indexOf('/'); end !== -1; end = name.indexOf('/', end + 1)) {
    if (ignored.has(name.slice(0, end))) return true;
  }
  return false;
}

function toWorkerSource(source: Blob | Response): { source: WorkerSource; transfer: Transferable[] } {
  if (source instanceof Blob) return { source: { kind: 'blob', blob: source }, transfer: [] };
  if (!source.ok) throw new Error(`HTTP ${source.status} ${source.statusText} for ${source.url}`.trim());
  // A stream moves to the worker (transferred, not copied): the bytes never pass through this thread's heap.
  const stream = source.body ?? new Blob([]).stream();
  return { source: { kind: 'stream', stream }, transfer: [stream] };
}

async function openSource(source: FileSource): Promise<{ source: WorkerSource; transfer: Transferable[] }> {
  if (typeof source === 'string' || source instanceof URL) {
    // Resolved here: a worker would resolve a relative URL against its own script.
    return { source: { kind: 'url', url: new URL(source, globalThis.location?.href).href }, transfer: [] };
  }
  return toWorkerSource(typeof source === 'function' ? await source() : source);
}

interface PlannedJob {
  readonly name: string;
  readonly offset: number;
  readonly size: number | undefined;
  readonly job: HashJob;
}

// A Blob of known size is cut into shards here, so that its shards hash in parallel; any other source is read
// once, the worker cutting the stream at shard boundaries.
function plan(name: string, source: FileSource, serialization: Serialization): PlannedJob[] {
  const algorithm = serialization.hashType;
  if (serialization.method === 'shards' && source instanceof Blob) {
    const jobs: PlannedJob[] = [];
    for (let start = 0; start < source.size; start += serialization.shardSize) {
      const end = Math.min(source.size, start + serialization.shardSize);
      const slice = source.slice(start, end);
      jobs.push({
        name,
        offset: start,
        size: end - start,
        job: { algorithm, open: async () => toWorkerSource(slice) },
      });
    }
    return jobs;
  }
  const shardSize = serialization.method === 'shards' ? serialization.shardSize : undefined;
  const size = source instanceof Blob ? source.size : undefined;
  return [{ name, offset: 0, size, job: { algorithm, shardSize, open: () => openSource(source) } }];
}

/**
 * Hashes a model's files on the pool with the recorded serialization, leaving out the ignored paths, into the
 * local manifest. Fails with `HASHING_ERROR` naming the file that could not be read.
 */
export async function hashModel(
  model: ModelFiles,
  serialization: Serialization,
  ignored: ReadonlySet<string>,
  pool: HashPool,
): Promise<Manifest> {
  const jobs = [...model.files]
    .filter(([name]) => model.single || !isIgnored(name, ignored))
    .flatMap(([name, source]) => plan(name, source, serialization));
  // Largest first (unknown sizes, downloads, before all), so that the last job to finish is a short one.
  const rank = (job: PlannedJob) => job.size ?? Number.MAX_SAFE_INTEGER;
  jobs.sort((a, b) => rank(b) - rank(a));
  const algorithm = resourceAlgorithm(serialization);
  const results = await Promise.all(
    jobs.map(({ name, offset, job }) =>
      pool.run(job).then(
        (pieces) =>
          pieces.map(
            ({ start, end, digest }): ManifestItem => ({
              resource:
                serialization.method === 'shards'
                  ? shardResource(name, offset + start, offset + end)
                  : fileResource(name),
              digest: { algorithm, value: digest },
            }),
          ),
        (error: Error) => {
          // A signed file a web server does not have is missing from the model, as a local one would be.
          if (model.absentIfNotFound && error instanceof SourceNotFound) return [];
          pool.close(error);
          return fail(
            'HASHING_ERROR',
            `Cannot hash the model ${model.modelName}: ${name}: ${error.message}`,
            error,
          );
        },
      ),
    ),
  );
  try {
    return new Manifest(model.modelName, results.flat(), serialization);
  } catch (error) {
    // A map of names that no folder could hold: `.` beside other files, or one file twice.
    if (error instanceof ManifestError) {
      fail('HASHING_ERROR', `Cannot hash the model ${model.modelName}: ${error.message}`, error);
    }
    throw error;
  }
}
