/** What hashing reports while it runs. */
export interface HashProgress {
  /** Bytes hashed so far. */
  readonly bytesHashed: number;
  /** Bytes to hash in all. */
  readonly totalBytes: number;
  /** Files whose every resource is hashed. */
  readonly filesHashed: number;
  /** Files to hash in all. */
  readonly totalFiles: number;
}
