import { readFileSync } from 'node:fs';
import { fileErrorReason } from '@model-signing/manifest';
import { SigningError } from './errors.js';

/** Key or certificate material: a path to a PEM file, or the PEM contents themselves. */
export type PemInput = string | Uint8Array;

/** A short description of where material came from, for error messages (never the contents). */
export function describeInput(input: PemInput, what: string): string {
  return typeof input === 'string' ? `${what} ${input}` : `${what} (given in memory)`;
}

/** Reads PEM material: a string is a file path, bytes are the PEM text. */
export function readPem(input: PemInput, what: string): Buffer {
  if (typeof input !== 'string') return Buffer.from(input);
  try {
    return readFileSync(input);
  } catch (error) {
    const reason = fileErrorReason(error);
    throw new SigningError('READ_ERROR', `Cannot read the ${what} ${input}: ${reason}`, { cause: error });
  }
}
