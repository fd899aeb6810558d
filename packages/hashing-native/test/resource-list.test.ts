// readResourceList against JSON.parse: on a statement the Python tool wrote, on lists of every shape it must
// decline, and on thousands of mutated lists, where every list it reads must be one JSON.parse reads the same.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  loadNativeHashing,
  type NativeHashing,
  type NativeResourceList,
} from '@model-signing/hashing-native';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../../../test-support/paths.js';

const native = loadNativeHashing();
const describeNative = native ? describe : describe.skip;
const SIGNATURES = path.join(FIXTURES, 'python-upstream/signatures');

interface Columns {
  names: string;
  algorithms: string;
  digests: string;
  ends: number[];
}

// What a verification takes from a list through JSON.parse, or null where it would refuse the list.
function parsed(text: string): Columns | null {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(list)) return null;
  const names: string[] = [];
  const algorithms: string[] = [];
  let digests = '';
  const ends: number[] = [];
  for (const entry of list) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return null;
    const { name, algorithm, digest } = entry as Record<string, unknown>;
    if (typeof name !== 'string' || typeof algorithm !== 'string' || typeof digest !== 'string') return null;
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(digest)) return null;
    names.push(name);
    algorithms.push(algorithm);
    digests += digest.toLowerCase();
    ends.push(digests.length / 2);
  }
  return { names: names.join('\0'), algorithms: algorithms.join('\0'), digests, ends };
}

function columns(list: NativeResourceList | null): Columns | null {
  if (!list) return null;
  return {
    names: list.names,
    algorithms: list.algorithms,
    digests: Buffer.from(list.digests).toString('hex'),
    ends: [...list.ends],
  };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describeNative('readResourceList', () => {
  const addon = native as NativeHashing;
  const read = (text: string) => columns(addon.readResourceList(bytes(text)));

  it('reads a list the Python tool signed as JSON.parse does', () => {
    const bundle = JSON.parse(readFileSync(path.join(SIGNATURES, 'v1.0.0-sigstore', 'model.sig'), 'utf8'));
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8');
    // Its resources come last: from the list's bracket to the last one of the payload.
    const text = payload.slice(
      payload.indexOf('[', payload.indexOf('"resources"')),
      payload.lastIndexOf(']') + 1,
    );
    const expected = parsed(text);
    expect(expected?.ends.length).toBeGreaterThan(0);
    expect(read(text)).toEqual(expected);
  });

  it('reads the plain form, in any layout and member order, and the empty list', () => {
    const text = JSON.stringify([
      { name: 'a/b c.bin', algorithm: 'sha256', digest: '00ff10' },
      { digest: 'ABcd', algorithm: 'sha256-sharded-8', name: 'x]{},:y' },
    ]);
    for (const layout of [text, JSON.stringify(JSON.parse(text), null, 2), `\r\n\t ${text} \n`]) {
      expect(read(layout)).toEqual(parsed(layout));
      expect(read(layout)?.names).toBe('a/b c.bin\0x]{},:y');
    }
    expect(read('[]')).toEqual({ names: '', algorithms: '', digests: '', ends: [] });
    const empty = '[{"name":"a","algorithm":"s","digest":""}]';
    expect(read(empty)).toEqual({ names: 'a', algorithms: 's', digests: '', ends: [0] });
    expect(read(empty)).toEqual(parsed(empty));
    expect(read(' [ ] ')).toEqual(read('[]'));
  });

  it.each([
    ['an escape in a name', '[{"name":"a\\"b","algorithm":"s","digest":"00"}]'],
    ['an escaped non-ASCII name', '[{"name":"\\u00e9","algorithm":"s","digest":"00"}]'],
    ['a raw non-ASCII name', '[{"name":"é","algorithm":"s","digest":"00"}]'],
    ['a control character', '[{"name":"a\tb","algorithm":"s","digest":"00"}]'],
    ['a member more', '[{"name":"a","algorithm":"s","digest":"00","size":1}]'],
    ['a member less', '[{"name":"a","digest":"00"}]'],
    ['a member twice', '[{"name":"a","name":"b","digest":"00"}]'],
    ['a value that is not a string', '[{"name":"a","algorithm":"s","digest":7}]'],
    ['an odd-length digest', '[{"name":"a","algorithm":"s","digest":"abc"}]'],
    ['a digest that is not hex', '[{"name":"a","algorithm":"s","digest":"zz"}]'],
    ['a trailing comma', '[{"name":"a","algorithm":"s","digest":"00"},]'],
    ['text after the list', '[{"name":"a","algorithm":"s","digest":"00"}] x'],
    ['a list cut short', '[{"name":"a","algorithm":"s","digest":"00"}'],
    ['not a list', '{"name":"a","algorithm":"s","digest":"00"}'],
    ['nothing', ''],
  ])('declines %s', (_, text) => {
    expect(addon.readResourceList(bytes(text))).toBeNull();
  });

  it('reads only lists that JSON.parse reads the same, over thousands of mutations', () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const hex = '0123456789abcdefABCDEF';
    const resources = Array.from({ length: 12 }, (_, i) => ({
      name: `dir ${i}/f]{i},:"${i}\\.bin`.replaceAll(/["\\]/g, i % 2 ? '_' : 'x'),
      algorithm: i % 3 ? 'sha256' : 'blake2b',
      digest: Array.from({ length: 2 * (1 + random(40)) }, () => hex[random(hex.length)]).join(''),
    }));
    const base = JSON.stringify(resources, null, 2);
    expect(read(base)).toEqual(parsed(base));
    const pieces = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '\n', 'a', '0', 'é', '\u0001', 'name'];
    let readCount = 0;
    for (let round = 0; round < 3000; round++) {
      let text = base;
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(text.length + 1);
        const kind = random(3);
        if (kind === 0) text = text.slice(0, at) + text.slice(at + 1 + random(4));
        else if (kind === 1) text = text.slice(0, at) + pieces[random(pieces.length)] + text.slice(at);
        else text = text.slice(0, at) + text.slice(random(text.length), random(text.length)) + text.slice(at);
      }
      const ours = read(text);
      if (ours) {
        readCount++;
        expect(ours, text).toEqual(parsed(text));
      }
    }
    // The mutations leave many lists readable (a changed name, a removed resource): the check above ran.
    expect(readCount).toBeGreaterThan(100);
  });

  it('refuses what is not a Uint8Array with a TypeError', () => {
    expect(() => addon.readResourceList('[]' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => addon.readResourceList(new Uint16Array(2) as unknown as Uint8Array)).toThrow(TypeError);
  });
});
