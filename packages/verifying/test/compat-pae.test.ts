import { execFileSync } from 'node:child_process';
import { compatPae } from '@model-signing/verifying';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

// Python's own repr() of the same bytes, the independent reference (a JSON payload always holds `"`, so Python
// quotes with `'`; the samples start with `"` for that reason).
function pythonRepr(samples: Uint8Array[]): string[] {
  const input = samples.map((s) => Buffer.from(s).toString('hex')).join('\n');
  const script =
    'import sys\nfor line in sys.stdin.read().split("\\n"):\n    sys.stdout.buffer.write(repr(bytes.fromhex(line)).encode("latin1") + b"\\n")';
  return execFileSync('python3', ['-c', script], { input }).toString('latin1').split('\n').slice(0, -1);
}

describe('the v0.2.0 PAE', () => {
  it('writes Python repr() of the payload', () => {
    const samples = fc.sample(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from('"'), b])),
      300,
    );
    const expected = pythonRepr(samples);
    samples.forEach((sample, i) => {
      const pae = Buffer.from(compatPae('application/vnd.in-toto+json', sample)).toString('latin1');
      expect(pae).toBe(`DSSEV1 28 application/vnd.in-toto+json ${sample.length} ${expected[i]}`);
    });
  });

  it('builds the PAE of a 16 MiB payload in one buffer, of the size repr() gives', () => {
    const payload = Buffer.alloc(16 * 1024 * 1024, 0x41);
    payload[0] = 0x22;
    payload[1] = 0x00;
    payload[2] = 0x27;
    const pae = compatPae('t', payload);
    // Header, b'…', with \x00 and \' taking 4 and 2 bytes instead of 1.
    expect(pae.length).toBe(`DSSEV1 1 t ${payload.length} `.length + 3 + payload.length + 3 + 1);
    const start = `DSSEV1 1 t ${payload.length} b'"\\x00\\'AAAA`;
    expect(Buffer.from(pae.subarray(0, start.length)).toString('latin1')).toBe(start);
    expect(Buffer.from(pae.subarray(-5)).toString('latin1')).toBe("AAAA'");
  });
});
