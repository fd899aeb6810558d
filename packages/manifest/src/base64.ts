// 1 for each character of the standard alphabet, by char code (ASCII only).
const ALPHABET = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  ALPHABET[c.charCodeAt(0)] = 1;
const PAD = 0x3d;

/**
 * Whether `value` is standard, padded base64: a multiple of four characters of the standard alphabet, the last
 * group ending in at most two `=`. One pass without a regular expression: a backtracking regex over a
 * signature of a large model (tens of megabytes) overflows the stack.
 */
export function isStrictBase64(value: string): boolean {
  const length = value.length;
  if (length % 4 !== 0) return false;
  let end = length;
  if (length > 0 && value.charCodeAt(length - 1) === PAD) {
    end--;
    if (value.charCodeAt(length - 2) === PAD) end--;
  }
  for (let i = 0; i < end; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || ALPHABET[code] === 0) return false;
  }
  return true;
}
