import { createHash } from 'node:crypto';
import * as hashing from '@model-signing/hashing';
import { diffManifests, parseStatement, readStatement } from '@model-signing/manifest';
import { signedStatement } from '@model-signing/verifying';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

// The statement as the verifier reads it (the native resource reader when loaded), against JSON.parse of the
// whole text re-serialized with each key once (duplicate keys: the last wins).
function outcome(read: () => { names(): string[]; rootDigestHex(): string }): string {
  try {
    const manifest = read();
    return JSON.stringify([manifest.names(), manifest.rootDigestHex()]);
  } catch (error) {
    // The verifier wraps the statement's ManifestError into an INVALID_PAYLOAD VerificationError.
    const e = error as { code?: string; cause?: { code?: string } };
    return e.cause?.code ?? e.code ?? 'error';
  }
}

const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex');

// One resource member, written in one of the ways JSON allows (escapes, a repeated key, an extra key).
const member = (key: string, value: string) =>
  fc.constantFrom(
    `"${key}": ${JSON.stringify(value)}`,
    `"${key}":${JSON.stringify(value).replace(/a/g, '\\u0061')}`,
    `"${key}": "decoy", "${key}": ${JSON.stringify(value)}`,
    `"${key}": ${JSON.stringify(value)}, "${key}": "decoy"`,
  );

const resource = (i: number) =>
  fc
    .tuple(
      member('name', `dir/a-${i}`),
      member('algorithm', 'sha256'),
      member('digest', hex(i)),
      fc.constantFrom('', ', "extra": 1'),
      fc.boolean(),
    )
    .map(([n, a, d, extra, reverse]) => `{${(reverse ? [d, a, n] : [n, a, d]).join(', ')}${extra}}`);

const rootOf = (count: number) => {
  const all = Buffer.concat(Array.from({ length: count }, (_, i) => Buffer.from(hex(i), 'hex')));
  return createHash('sha256').update(all).digest('hex');
};

const statementOf = (resources: string[], layout: number): string => {
  const head = `"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "m", "digest": {"sha256": "${rootOf(resources.length)}"}}], "predicateType": "https://model_signing/signature/v1.0"`;
  const serialization = `"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": false}`;
  const list = `"resources": [${resources.join(', ')}]`;
  const predicate = [
    `${serialization}, ${list}`,
    `${list}, ${serialization}`,
    `"resources": [], ${serialization}, ${list}`,
    `${list}, ${serialization}, "resources": []`,
  ][layout]!;
  return `{${head}, "predicate": {${predicate}}}`;
};

describe('the native resource reader gives what JSON.parse gives', () => {
  beforeAll(async () => {
    await hashing.nativeEngine();
  });

  it('for resources written in any way JSON allows, in any layout of the predicate', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 6 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => resource(i)))),
        fc.integer({ min: 0, max: 3 }),
        (resources, layout) => {
          const text = statementOf(resources, layout);
          const reference = outcome(() => parseStatement(JSON.stringify(JSON.parse(text))));
          const payload = new TextEncoder().encode(text);
          expect(outcome(() => signedStatement(payload).manifest())).toBe(reference);
          expect(outcome(() => readStatement(payload).manifest())).toBe(reference);
          // matching() compares on the columns the native reader gives, without building the signed items.
          if (reference.startsWith('[')) {
            const actual = parseStatement(JSON.stringify(JSON.parse(text)));
            const same = signedStatement(payload).matching(actual);
            // Undefined when the payload order is not the canonical one; the full comparison then decides.
            if (same) expect(same.names()).toEqual(actual.names());
            else expect(diffManifests(signedStatement(payload).manifest(), actual).equal).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
