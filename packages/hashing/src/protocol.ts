import type { HashAlgorithm } from '@model-signing/manifest';
import type { HashingErrorCode } from './errors.js';
import type { HashTask } from './file-io.js';

/** A batch of tasks sent to a hashing worker. */
export interface BatchRequest {
  /** Batch number, echoed in the reply. */
  readonly id: number;
  /** The algorithm of every task. */
  readonly algorithm: HashAlgorithm;
  /** Bytes per read. */
  readonly chunkSize: number;
  /** The work. */
  readonly tasks: readonly HashTask[];
}

/** Messages a hashing worker sends back. */
export type WorkerReply =
  | { readonly kind: 'progress'; readonly bytes: number }
  | { readonly kind: 'done'; readonly id: number; readonly digests: Uint8Array[]; readonly bytes: number }
  | {
      readonly kind: 'error';
      readonly id: number;
      readonly code: HashingErrorCode;
      readonly message: string;
    };

/** A worker reports progress after at least this many bytes of one batch. */
export const PROGRESS_STEP = 32 << 20;
