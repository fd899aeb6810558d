import {
  fileResource,
  Manifest,
  ManifestError,
  parseStatement,
  readStatement,
  type Serialization,
  statementBytes,
} from '@model-signing/manifest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const files: Serialization = { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] };

const manifestOf = (names: readonly string[], serialization: Serialization = files): Manifest =>
  new Manifest(
    'model',
    names.map((name, i) => ({
      resource: fileResource(name),
      digest: { algorithm: 'sha256', value: new Uint8Array(32).fill(i + 1) },
    })),
    serialization,
  );

const textOf = (manifest: Manifest): string => new TextDecoder().decode(statementBytes(manifest));

// What the statement says when read as JSON.parse reads it (duplicate keys: the last wins), with each key once.
function reference(text: string): { serialization: Serialization; names: string[] } | string {
  try {
    const statement = readStatement(JSON.stringify(JSON.parse(text)));
    return { serialization: statement.serialization, names: statement.manifest().names() };
  } catch (error) {
    return (error as ManifestError).code;
  }
}

function read(text: string): { serialization: Serialization; names: string[] } | string {
  try {
    const statement = readStatement(text);
    return { serialization: statement.serialization, names: statement.manifest().names() };
  } catch (error) {
    return (error as ManifestError).code;
  }
}

describe('statements with duplicate keys read as JSON.parse reads them', () => {
  const signed = manifestOf(['a', 'b/c']);
  const standard = textOf(signed);
  const json = JSON.parse(standard);
  const resources = JSON.stringify(json.predicate.resources);
  const serialization = JSON.stringify(json.predicate.serialization);
  const decoy = JSON.stringify([{ name: 'x', algorithm: 'sha256', digest: '07'.repeat(32) }]);
  const shards = JSON.stringify({
    method: 'shards',
    hash_type: 'sha256',
    shard_size: 8,
    allow_symlinks: false,
  });
  const head = `{"_type": ${JSON.stringify(json._type)}, "subject": ${JSON.stringify(json.subject)}, "predicateType": ${JSON.stringify(json.predicateType)}, "predicate": {`;

  it('takes the last resources when the serialization sits between two resources keys', () => {
    const text = `${head}"resources": ${decoy}, "serialization": ${serialization}, "resources": ${resources}}}`;
    const statement = readStatement(text);
    expect(statement.serialization).toEqual(files);
    expect(statement.manifest().names()).toEqual(['a', 'b/c']);
    expect(statement.matching(signed)?.names()).toEqual(['a', 'b/c']);
    expect(parseStatement(text).rootDigestHex()).toBe(signed.rootDigestHex());
  });

  it('gives what JSON.parse gives, for any order and repetition of the predicate members', () => {
    const member = fc.constantFrom(
      `"resources": ${resources}`,
      `"resources": ${decoy}`,
      `"resources": []`,
      `"serialization": ${serialization}`,
      `"serialization": ${shards}`,
      `"other": {"resources": ${decoy}}`,
      `"other": "\\"resources\\": ["`,
    );
    const trailer = fc.constantFrom(
      '',
      `, "later": {"resources": ${decoy}}`,
      `, "predicate": {"resources": []}`,
    );
    fc.assert(
      fc.property(fc.array(member, { minLength: 1, maxLength: 5 }), trailer, (members, after) => {
        const text = `${head}${members.join(', ')}}${after}}`;
        expect(read(text)).toEqual(reference(text));
      }),
      { numRuns: 400 },
    );
  });
});

describe('names with brackets and quotes, in either layout', () => {
  it('are read as JSON.parse reads them, whichever way the end of the list is found', () => {
    const names = ['a]', 'b"], "serialization": {}', 'c[0]', 'e'];
    const json = JSON.parse(textOf(manifestOf(names)));
    const resources = JSON.stringify(json.predicate.resources, null, 2);
    const serialization = JSON.stringify(json.predicate.serialization);
    const head = `{"_type": ${JSON.stringify(json._type)}, "subject": ${JSON.stringify(json.subject)}, "predicateType": ${JSON.stringify(json.predicateType)}, "predicate": {`;
    for (const predicate of [
      `"serialization": ${serialization}, "resources": ${resources}`,
      `"resources": ${resources}, "serialization": ${serialization}`,
      `"resources": [], "serialization": ${serialization}, "resources": ${resources}`,
    ]) {
      const text = `${head}${predicate}}}`;
      expect(read(text)).toEqual(reference(text));
      expect(read(text)).toEqual({ serialization: files, names: [...names].sort() });
    }
  });
});

describe('hostile statements', () => {
  const standard = textOf(manifestOf(['a', 'b']));

  it('refuses a UTF-8 byte order mark before the statement', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(standard)]);
    expect(() => readStatement(bytes)).toThrow(/not valid JSON: it starts with a byte order mark/);
    expect(() => parseStatement(bytes)).toThrow(ManifestError);
  });

  it('says where invalid JSON stops, never what it says', () => {
    const secret = `sk_live_S3CR3T${'x'.repeat(40)}`;
    for (const text of [secret, `{"_type": ${secret}}`, `${standard.slice(0, -10)}${secret}`]) {
      let message = '';
      try {
        readStatement(text).manifest();
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(
        /^The signed payload is not valid JSON: .* at line \d+, column \d+ \(offset \d+\)$/,
      );
      expect(message).not.toMatch(/sk_|S3|xxx/);
    }
  });

  it.each([
    ['sub/..', "'..' segment"],
    ['..', "'..' segment"],
    ['../outside', "'..' segment"],
    ['.', 'the whole model'],
    ['./a', "'.' segment"],
    ['/etc', 'absolute'],
    ['a\\b', 'backslash'],
    ['a\0b', 'NUL'],
    ['', 'empty'],
    ['a//b', 'empty segment'],
  ])('refuses the recorded ignore path %j (%s)', (path, why) => {
    const statement = JSON.parse(standard);
    statement.predicate.serialization.ignore_paths = ['model.sig', path];
    const text = JSON.stringify(statement);
    expect(() => readStatement(text)).toThrow(
      expect.objectContaining({
        code: 'INVALID_STATEMENT',
        message: expect.stringMatching(
          new RegExp(`^The recorded ignore path .* is not a plain model-relative name: .*${why}`),
        ),
      }),
    );
  });

  it('takes plain recorded ignore paths', () => {
    const statement = JSON.parse(standard);
    statement.predicate.serialization.ignore_paths = ['.git', 'model.sig', 'dir/ignore-me', '.gitattributes'];
    expect(readStatement(JSON.stringify(statement)).serialization.ignorePaths).toEqual([
      '.git',
      '.gitattributes',
      'dir/ignore-me',
      'model.sig',
    ]);
  });
});
