/** What the hashing worker and the page say to each other. */
import type { HashAlgorithm } from '@model-signing/manifest';

/** Where a worker reads a file from: a Blob (or a slice of one), a URL it fetches, or a stream it is given. */
export type WorkerSource =
  | { readonly kind: 'blob'; readonly blob: Blob }
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'stream'; readonly stream: ReadableStream<Uint8Array> };

/** A request: hash the source whole, or in consecutive shards of `shardSize` bytes. */
export interface HashRequest {
  /** Matches the reply. */
  readonly id: number;
  /** The hash. */
  readonly algorithm: HashAlgorithm;
  /** The bytes. */
  readonly source: WorkerSource;
  /** Cut into shards of this many bytes (none for an empty source); whole when absent. */
  readonly shardSize?: number | undefined;
}

/** One digest of a reply: of bytes `[start, end)` of the source. */
export interface Piece {
  /** First byte. */
  readonly start: number;
  /** After the last byte. */
  readonly end: number;
  /** The raw digest. */
  readonly digest: Uint8Array;
}

/** A reply: the digests, progress, or why the source could not be hashed. */
export type HashReply =
  | { readonly id: number; readonly type: 'done'; readonly pieces: readonly Piece[] }
  | { readonly id: number; readonly type: 'progress'; readonly bytes: number }
  | {
      readonly id: number;
      readonly type: 'error';
      readonly message: string;
      /** The source is a URL the server answered with 404 Not Found. */
      readonly notFound: boolean;
    };
