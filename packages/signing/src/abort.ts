import { SigningError } from '@model-signing/core';

/** The error of a cancelled signing call; `cause` is the hashing error or the signal's reason. */
export function abortedError(cause?: unknown): SigningError {
  return new SigningError('ABORTED', 'Signing was cancelled; no signature was written', { cause });
}

/** Throws {@link abortedError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal.reason);
}
