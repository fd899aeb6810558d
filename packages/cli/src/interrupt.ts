/**
 * Ctrl-C (SIGINT) for the running command: the first one aborts the command's signal, so hashing stops and
 * nothing is written; a second one ends the process at once.
 * @module
 */

/** Exit status of a command stopped by SIGINT (128 + 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

let controller = new AbortController();

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
    if (current.signal.aborted) process.exit(EXIT_INTERRUPTED);
    onInterrupt();
    current.abort(new Error('interrupted'));
  };
  process.on('SIGINT', listener);
  return () => {
    process.off('SIGINT', listener);
  };
}
