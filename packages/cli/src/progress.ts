import { logger } from './log.js';

/** What the hashing engine reports while it works (the hashing package's `HashProgress`). */
export interface HashProgress {
  /** Bytes hashed so far. */
  readonly bytesHashed: number;
  /** Bytes to hash in all. */
  readonly totalBytes: number;
  /** Files finished so far. */
  readonly filesHashed: number;
  /** Files to hash in all. */
  readonly totalFiles: number;
}

/** Models smaller than this hash too quickly for a progress bar to help. */
const MIN_BYTES_FOR_BAR = 64 * 1024 * 1024;

/** Least time between two redraws, in milliseconds. */
const REDRAW_MS = 100;

/** Returns the cursor to the start of the line and erases the whole line, whatever was drawn before. */
export const CLEAR_LINE = '\r\x1b[2K';

/** `bytes` with a binary unit: `512 B`, `1.5 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Seconds as `m:ss` (or `h:mm:ss`). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * One frame of the bar: label, bar, percentage, bytes, rate, ETA and files, within `columns - 1` characters so
 * that the terminal never wraps it onto a second line (which `\r` could not clear).
 */
export function renderBar(label: string, progress: HashProgress, elapsedMs: number, columns = 80): string {
  const fraction = progress.totalBytes === 0 ? 1 : Math.min(1, progress.bytesHashed / progress.totalBytes);
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? progress.bytesHashed / seconds : 0;
  const eta = rate > 0 ? formatDuration((progress.totalBytes - progress.bytesHashed) / rate) : '--:--';
  const figures =
    `${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${formatBytes(progress.bytesHashed)}/${formatBytes(progress.totalBytes)} ` +
    `${formatBytes(rate)}/s ETA ${eta} ${progress.filesHashed}/${progress.totalFiles} files`;
  // The bar takes what the figures leave of the line, between 10 and 30 cells.
  const width = Math.max(10, Math.min(30, columns - 1 - label.length - 4 - figures.length));
  const filled = Math.round(fraction * width);
  const bar = `${'#'.repeat(filled)}${'-'.repeat(width - filled)}`;
  return `${label} [${bar}] ${figures}`.slice(0, Math.max(20, columns - 1));
}

let active: ProgressBar | undefined;

/** Clears the bar being drawn, if any (before an `interrupted` line or an error). */
export function clearActiveBar(): void {
  active?.finish();
}

/**
 * A progress bar on stderr, shown only when stderr is a terminal and the model is large; otherwise it draws
 * nothing, so piped and `--json` output stay clean. It also keeps the totals that `--log-level debug` prints.
 */
export class ProgressBar {
  readonly #label: string;
  readonly #draw: boolean;
  readonly #start = Date.now();
  #lastDraw = 0;
  #drawn = false;
  #last: HashProgress | undefined;
  #logged = false;

  /**
   * @param enabled false with `--json`.
   * @param label the word before the bar (`Hashing`, `Signing`, `Verifying`).
   */
  constructor(enabled: boolean, label = 'Hashing') {
    this.#label = label;
    this.#draw = enabled && process.stderr.isTTY === true;
    active = this;
  }

  /**
   * What to hand to the hashing engine: the progress callback when the bar is drawn or debug logging wants
   * the totals, else nothing, so that the engine does not poll its threads for reports nobody reads.
   */
  get hashOptions(): { onProgress?: (progress: HashProgress) => void } {
    return this.#draw || logger.enabled('debug') ? { onProgress: this.update } : {};
  }

  /** The callback to hand to the hashing engine. */
  readonly update = (progress: HashProgress): void => {
    this.#last = progress;
    if (!this.#draw || progress.totalBytes < MIN_BYTES_FOR_BAR) return;
    const now = Date.now();
    if (now - this.#lastDraw < REDRAW_MS && progress.bytesHashed < progress.totalBytes) return;
    this.#lastDraw = now;
    const line = renderBar(this.#label, progress, now - this.#start, process.stderr.columns || 80);
    process.stderr.write(`${CLEAR_LINE}${line}`);
    this.#drawn = true;
    logger.beforeWrite = this.#erase;
  };

  /** Erases the bar's line; the next report draws it again. */
  readonly #erase = (): void => {
    if (this.#drawn) process.stderr.write(CLEAR_LINE);
    this.#drawn = false;
  };

  /** Clears the bar's line once hashing ends (or stops), then logs the totals at debug level, once. */
  finish(): void {
    this.#erase();
    if (logger.beforeWrite === this.#erase) logger.beforeWrite = undefined;
    if (active === this) active = undefined;
    const summary = this.summary();
    if (summary && !this.#logged) logger.debug(summary);
    this.#logged = true;
  }

  /** `hashed 3 files (1.5 GiB) in 2.1 s`, for debug logging; undefined when nothing was reported. */
  summary(): string | undefined {
    const last = this.#last;
    if (!last) return undefined;
    const seconds = ((Date.now() - this.#start) / 1000).toFixed(2);
    return `hashed ${last.filesHashed} of ${last.totalFiles} files, ${last.bytesHashed} bytes (${formatBytes(last.bytesHashed)}) in ${seconds} s`;
  }
}
