/** What the hashing engine reports while it works. */
export interface HashProgress {
  /** Bytes hashed so far. */
  bytesHashed: number;
  /** Bytes to hash in all. */
  totalBytes: number;
  /** Files finished so far. */
  filesHashed: number;
  /** Files to hash in all. */
  totalFiles: number;
}

/** Models smaller than this hash too quickly for a progress bar to help. */
const MIN_BYTES_FOR_BAR = 64 * 1024 * 1024;

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/**
 * A progress bar on stderr, shown only when stderr is a terminal and the model is large; otherwise the
 * callbacks do nothing, so scripted output stays clean.
 */
export class ProgressBar {
  readonly #enabled: boolean;
  #lastDraw = 0;
  #drawn = false;

  /** @param enabled false with `--json` or when output must stay quiet. */
  constructor(enabled: boolean) {
    this.#enabled = enabled && process.stderr.isTTY === true;
  }

  /**
   * What to hand to the hashing engine: the progress callback when the bar can be shown, else nothing, so that
   * the engine does not poll its threads for a bar that is never drawn.
   */
  get hashOptions(): { onProgress?: (progress: HashProgress) => void } {
    return this.#enabled ? { onProgress: this.update } : {};
  }

  /** The callback to hand to the hashing engine. */
  readonly update = (progress: HashProgress): void => {
    if (!this.#enabled || progress.totalBytes < MIN_BYTES_FOR_BAR) return;
    const now = Date.now();
    if (now - this.#lastDraw < 100 && progress.bytesHashed < progress.totalBytes) return;
    this.#lastDraw = now;
    const fraction = progress.totalBytes === 0 ? 1 : progress.bytesHashed / progress.totalBytes;
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
    process.stderr.write(
      `\rHashing [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
        `${formatBytes(progress.bytesHashed)}/${formatBytes(progress.totalBytes)} ` +
        `${progress.filesHashed}/${progress.totalFiles} files`,
    );
    this.#drawn = true;
  };

  /** Clears the bar's line once hashing ends. */
  finish(): void {
    if (this.#drawn) process.stderr.write('\r\x1b[K');
    this.#drawn = false;
  }
}
