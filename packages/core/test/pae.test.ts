import { pae, withSpan } from '@model-signing/core';
import { describe, expect, it } from 'vitest';

describe('pae', () => {
  it('is the DSSE v1 pre-authentication encoding of the DSSE specification example', () => {
    // protocol.md of secure-systems-lab/dsse: PAE("http://example.com/HelloWorld", "hello world").
    const encoded = pae('http://example.com/HelloWorld', new TextEncoder().encode('hello world'));
    expect(Buffer.from(encoded).toString('latin1')).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });

  it('counts bytes, not characters, and keeps binary payloads intact', () => {
    const payload = new Uint8Array([0x00, 0xff, 0x20, 0x0a]);
    const encoded = Buffer.from(pae('application/é', payload));
    const head = Buffer.from('DSSEv1 14 application/\u00c3\u00a9 4 ', 'latin1');
    expect(encoded.equals(Buffer.concat([head, Buffer.from(payload)]))).toBe(true);
  });
});

describe('withSpan without an OpenTelemetry SDK', () => {
  it('runs the function with a span that records nothing, and passes its result and failures through', async () => {
    const seen: boolean[] = [];
    const result = await withSpan('verify', { a: 1 }, async (span) => {
      span.setAttribute('b', 2).addEvent('e');
      seen.push(span.isRecording());
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([false]);
    const failure = new Error('boom');
    await expect(withSpan('verify', {}, async () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
