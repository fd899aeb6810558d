import type { HashAlgorithm } from '@model-signing/manifest';
import type { HashingErrorCode } from './errors.js';
import type { Confinement, FileCheck, HashTask } from './file-io.js';

/**
 * A batch of tasks sent to a hashing worker, in columns rather than one object per task: with thousands of
 * small files, cloning the objects would cost more than hashing them.
 */
export interface BatchRequest {
  /** Batch number, echoed in the reply. */
  readonly id: number;
  /** The algorithm of every task. */
  readonly algorithm: HashAlgorithm;
  /** Bytes per read. */
  readonly chunkSize: number;
  /** The path to read, per task. */
  readonly paths: readonly string[];
  /** The path as the user names it, per task. */
  readonly displays: readonly string[];
  /** `start, end` per task (`end` -1: to EOF), or null when every task is a whole file. */
  readonly ranges: Float64Array | null;
  /**
   * Whole files of unknown size: each is hashed when smaller than {@link PROBE_BYTES} and otherwise left for
   * later; the reply's `sizes` says which and how large.
   */
  readonly probe: boolean;
  /** See {@link TaskChecks.root}. */
  readonly root: string | null;
  /** See {@link TaskChecks.identities}. */
  readonly identities: Float64Array | null;
}

/**
 * The {@link HashTask.check} of a batch in columns, as both engines take them: a task with an identity is
 * checked against it; any other task whose path lies below `root` is opened there through no symlink.
 */
export interface TaskChecks {
  /** The model root of the batch's {@link Confinement} tasks, or null when none has one. */
  readonly root: string | null;
  /** `dev, ino` per task (NaN for a task without an identity), or null when no task has one. */
  readonly identities: Float64Array | null;
}

/** The checks of `tasks` as {@link TaskChecks}. */
export function taskChecks(tasks: readonly HashTask[]): TaskChecks {
  let root: string | null = null;
  let identities: Float64Array | null = null;
  tasks.forEach((task, i) => {
    const check = task.check;
    if (!check) return;
    if ('root' in check) {
      root ??= check.root;
      return;
    }
    identities ??= new Float64Array(tasks.length * 2).fill(Number.NaN);
    identities[2 * i] = check.dev;
    identities[2 * i + 1] = check.ino;
  });
  return { root, identities };
}

function below(root: string, path: string): boolean {
  return root === '/' ? path.startsWith('/') : path.startsWith(root) && path[root.length] === '/';
}

function checkAt(checks: TaskChecks, path: string, i: number): FileCheck | undefined {
  const { root, identities } = checks;
  if (identities && !Number.isNaN(identities[2 * i]!)) {
    return { dev: identities[2 * i]!, ino: identities[2 * i + 1]! };
  }
  return root !== null && below(root, path) ? { root } : undefined;
}

/** Files of unknown size below this many bytes are hashed in one read; larger ones are sent back. */
export const PROBE_BYTES = 1 << 20;

/**
 * The byte ranges of `tasks` as `start, end` pairs (`end` -1: to EOF), as both engines take them; null when
 * every task is a whole file.
 */
export function taskRanges(tasks: readonly HashTask[]): Float64Array | null {
  if (tasks.every((task) => task.start === 0 && task.end === null)) return null;
  const ranges = new Float64Array(tasks.length * 2);
  tasks.forEach((task, i) => {
    ranges[2 * i] = task.start;
    ranges[2 * i + 1] = task.end ?? -1;
  });
  return ranges;
}

/** Encodes tasks as a {@link BatchRequest}. */
export function encodeBatch(
  id: number,
  settings: Pick<BatchRequest, 'algorithm' | 'chunkSize'>,
  tasks: readonly HashTask[],
  probe = false,
): BatchRequest {
  const ranges = taskRanges(tasks);
  const { root, identities } = taskChecks(tasks);
  return {
    id,
    algorithm: settings.algorithm,
    chunkSize: settings.chunkSize,
    paths: tasks.map((task) => task.path),
    displays: tasks.map((task) => task.display),
    ranges,
    probe,
    root,
    identities,
  };
}

/** The task at `index` of a {@link BatchRequest}. */
export function batchTask(request: BatchRequest, index: number): HashTask {
  const ranges = request.ranges;
  const end = ranges ? ranges[2 * index + 1]! : -1;
  const path = request.paths[index]!;
  return {
    path,
    display: request.displays[index]!,
    start: ranges ? ranges[2 * index]! : 0,
    end: end < 0 ? null : end,
    check: checkAt(request, path, index),
  };
}

/** Messages a hashing worker sends back. */
export type WorkerReply =
  | { readonly kind: 'progress'; readonly bytes: number }
  | {
      readonly kind: 'done';
      readonly id: number;
      /** Every digest of the batch, one after the other, `digestSize` bytes each. */
      readonly digests: Uint8Array;
      readonly digestSize: number;
      readonly bytes: number;
      /**
       * For a probe batch, the size of every file: as is when it was hashed, negated minus one when it was
       * left for later (its digest is then zeros). Null otherwise.
       */
      readonly sizes: Float64Array | null;
    }
  | {
      readonly kind: 'error';
      readonly id: number;
      readonly code: HashingErrorCode;
      readonly message: string;
    };

/** A worker reports progress after at least this many bytes of one batch. */
export const PROGRESS_STEP = 32 << 20;
