import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, isStrictBase64 } from '../src/base64.js';

// The rule as a regular expression: the reference for short strings (on long ones it overflows V8's stack).
const REFERENCE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// Strings near the valid ones: encodings of random bytes with a few characters changed, dropped or added.
const nearBase64 = fc
  .tuple(
    fc.uint8Array({ maxLength: 24 }),
    fc.array(
      fc.tuple(fc.nat(), fc.constantFrom('=', '-', '_', ' ', '\n', 'A', '/', '+', '\u00e9', '\0', '')),
      { maxLength: 3 },
    ),
  )
  .map(([bytes, edits]) => {
    let s = Buffer.from(bytes).toString('base64');
    for (const [at, c] of edits) {
      const i = s.length === 0 ? 0 : at % (s.length + 1);
      s = c === '' ? s.slice(0, i) + s.slice(i + 1) : s.slice(0, i) + c + s.slice(i);
    }
    return s;
  });

describe('strict base64', () => {
  it('accepts exactly what the reference rule accepts', () => {
    fc.assert(
      fc.property(fc.oneof(nearBase64, fc.string({ maxLength: 12 })), (s) => {
        expect(isStrictBase64(s)).toBe(REFERENCE.test(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('accepts every encoding Node writes and decodes it to the same bytes (Buffer round trip)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const s = Buffer.from(bytes).toString('base64');
        expect(Buffer.from(decodeBase64Strict(s, 'f')).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    // Whatever it accepts, Node's encoder gives back, up to the unused low bits of the last character.
    fc.assert(
      fc.property(nearBase64, (s) => {
        if (!isStrictBase64(s)) return;
        const again = Buffer.from(s, 'base64').toString('base64');
        expect(again.length).toBe(s.length);
        expect(again.slice(0, -3)).toBe(s.slice(0, -3));
      }),
    );
  });

  it('checks an 8 MiB value without overflowing the stack', () => {
    const bytes = Buffer.alloc(6 * 1024 * 1024, 0xa5);
    const s = bytes.toString('base64');
    expect(REFERENCE.test.bind(REFERENCE, s)).toThrow(RangeError);
    expect(decodeBase64Strict(s, 'dsseEnvelope.payload').length).toBe(bytes.length);
    expect(isStrictBase64(`${s.slice(0, -1)}_`)).toBe(false);
  });
});
