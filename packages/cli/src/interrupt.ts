/**
 * Ctrl-C (SIGINT) for the running command: the first one aborts the command's signal, so hashing stops and
 * nothing is written; a second one ends the process at once.
 * @module
 */

/** Exit status of a command stopped by SIGINT (128 + 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

let controller = new AbortController();

// What must be undone when the CLI stops without waiting for the command (a second Ctrl-C, or the grace time
// running out): an unfinished signature write's temporary file, for instance.
const cleanups = new Set<() => void>();

/**
 * Registers `cleanup` to run, synchronously, if the CLI stops before the running command has finished. Actions
 * register what only they load (the signing package's pending writes), so other commands load nothing more.
 */
export function onForcedStop(cleanup: () => void): void {
  cleanups.add(cleanup);
}

/** Runs every cleanup registered with {@link onForcedStop}, once; a failing one does not stop the others. */
export function runForcedStopCleanups(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {}
  }
  cleanups.clear();
}

/** The signal of the running command; it fires on SIGINT. */
export function commandSignal(): AbortSignal {
  return controller.signal;
}

/** True once SIGINT stopped the running command. */
export function interrupted(): boolean {
  return controller.signal.aborted;
}

/**
 * Starts listening for SIGINT for one command and returns the function that stops listening. `onInterrupt`
 * runs at the first SIGINT (to clear a progress bar, for instance).
 */
export function handleInterrupts(onInterrupt: () => void = () => {}): () => void {
  controller = new AbortController();
  const current = controller;
  const listener = () => {
    if (current.signal.aborted) {
      runForcedStopCleanups();
      process.exit(EXIT_INTERRUPTED);
    }
    onInterrupt();
    current.abort(new Error('interrupted'));
  };
  process.on('SIGINT', listener);
  return () => {
    process.off('SIGINT', listener);
  };
}
