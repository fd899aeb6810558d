/**
 * ECDSA signatures in bundles are DER `ECDSA-Sig-Value`s (SEQUENCE of the INTEGERs r and s), while WebCrypto
 * verifies only the fixed-size IEEE P1363 form r‖s. The conversion is a dozen lines of DER, written here
 * rather than taken from a library: the ASN.1 libraries parse far more than this needs and know nothing of the
 * curve's field size.
 */

/** The byte length of r and of s on each supported curve. */
export const CURVE_FIELD_BYTES = { 'P-256': 32, 'P-384': 48, 'P-521': 66 } as const;

/** The curves this format allows. */
export type Curve = keyof typeof CURVE_FIELD_BYTES;

// Reads a DER length at `at`; returns [length, index after it] or undefined (only the minimal forms).
function readLength(der: Uint8Array, at: number): [number, number] | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, at + 1];
  if (first !== 0x81) return undefined; // an ECDSA signature on these curves is under 256 bytes
  const length = der[at + 1];
  return length === undefined || length < 0x80 ? undefined : [length, at + 2];
}

// Reads a positive INTEGER at `at` into `out` (right-aligned); returns the index after it, or undefined.
function readInteger(der: Uint8Array, at: number, out: Uint8Array): number | undefined {
  if (der[at] !== 0x02) return undefined;
  const header = readLength(der, at + 1);
  if (!header) return undefined;
  const [length, start] = header;
  const end = start + length;
  if (length === 0 || end > der.length) return undefined;
  if ((der[start]! & 0x80) !== 0) return undefined; // negative
  if (length > 1 && der[start] === 0 && (der[start + 1]! & 0x80) === 0) return undefined; // not minimal
  let value = der.subarray(start, end);
  while (value.length > 0 && value[0] === 0) value = value.subarray(1);
  if (value.length > out.length) return undefined;
  out.set(value, out.length - value.length);
  return end;
}

/**
 * Converts a DER ECDSA signature to r‖s for `curve`; undefined when it is not a well-formed DER signature with
 * r and s that fit the curve (a signature that can then only fail to verify).
 */
export function derToP1363(der: Uint8Array, curve: Curve): Uint8Array | undefined {
  const size = CURVE_FIELD_BYTES[curve];
  if (der[0] !== 0x30) return undefined;
  const header = readLength(der, 1);
  if (!header || header[1] + header[0] !== der.length) return undefined;
  const raw = new Uint8Array(2 * size);
  const afterR = readInteger(der, header[1], raw.subarray(0, size));
  if (afterR === undefined) return undefined;
  const afterS = readInteger(der, afterR, raw.subarray(size));
  return afterS === der.length ? raw : undefined;
}
