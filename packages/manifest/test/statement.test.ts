import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildStatement,
  diffManifests,
  fileResource,
  LEGACY_MODEL_NAME,
  Manifest,
  ManifestError,
  parseStatement,
  type ResourceColumns,
  readStatement,
  type Serialization,
  statementBytes,
} from '@model-signing/manifest';
import { describe, expect, it } from 'vitest';

const fixtures = path.resolve(
  fileURLToPath(import.meta.url),
  '../../../../../shared/fixtures/python-upstream',
);
const payloadDir = path.join(fixtures, 'payload/TestPayload');

const files: Serialization = { method: 'files', hashType: 'sha256', allowSymlinks: false, ignorePaths: [] };

function digestOf(byte: number, length = 32): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

function statementJson(statement: object): string {
  return JSON.stringify(statement);
}

describe('statements of the Python tool (payload goldens)', () => {
  const goldens = readdirSync(payloadDir);

  it('has the goldens', () => {
    expect(goldens.length).toBe(21);
  });

  it.each(goldens)('%s parses, its root digest checks, and our writer gives the same JSON values', (name) => {
    const text = readFileSync(path.join(payloadDir, name), 'utf8');
    const manifest = parseStatement(text);
    const golden = JSON.parse(text) as { subject: { digest: { sha256: string } }[] };
    expect(manifest.rootDigestHex()).toBe(golden.subject[0]!.digest.sha256);
    // Semantic comparison (key order and 1e9 vs 1000000000.0 do not matter; JSON.parse equalises numbers).
    expect(JSON.parse(statementJson(buildStatement(manifest)))).toEqual(JSON.parse(text));
  });
});

describe('statementBytes', () => {
  it('writes two-space JSON in the logical key order, escaped non-ASCII, no trailing newline', () => {
    const manifest = new Manifest(
      'm\u00e9\u{1F600}',
      [{ resource: fileResource('caf\u00e9'), digest: { algorithm: 'sha256', value: digestOf(1) } }],
      {
        ...files,
        ignorePaths: ['z', '.git', 'b'],
      },
    );
    const text = new TextDecoder().decode(statementBytes(manifest));
    expect(text.endsWith('}')).toBe(true);
    expect(text).toContain('"name": "m\\u00e9\\ud83d\\ude00"');
    expect(text).toContain('"name": "caf\\u00e9"');
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
    const keys = [...text.matchAll(/^\s*"([a-z_A-Z0-9]+)":/gm)].map((m) => m[1]);
    expect(keys.slice(0, 9)).toEqual([
      '_type',
      'subject',
      'name',
      'digest',
      'sha256',
      'predicateType',
      'predicate',
      'serialization',
      'method',
    ]);
    const parsed = JSON.parse(text);
    expect(parsed.predicate.serialization).toEqual({
      method: 'files',
      hash_type: 'sha256',
      allow_symlinks: false,
      ignore_paths: ['.git', 'b', 'z'],
    });
    expect(Object.keys(parsed.predicate.serialization)).toEqual([
      'method',
      'hash_type',
      'allow_symlinks',
      'ignore_paths',
    ]);
  });

  it('writes shard_size as an integer', () => {
    const manifest = new Manifest('m', [], {
      method: 'shards',
      hashType: 'sha256',
      shardSize: 1_000_000_000,
      allowSymlinks: false,
      ignorePaths: [],
    });
    const text = new TextDecoder().decode(statementBytes(manifest));
    expect(text).toContain('"shard_size": 1000000000,');
    expect(text).toContain('"resources": []');
    // The empty manifest's root is SHA-256 of nothing (spec §2.4).
    expect(text).toContain('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

function statementWith(
  resources: unknown[],
  serialization: unknown = { method: 'files', hash_type: 'sha256', allow_symlinks: false },
) {
  const manifest = new Manifest('m', [], files);
  // biome-ignore lint/suspicious/noExplicitAny: a test mutates the statement freely to build malformed ones.
  const statement = buildStatement(manifest) as unknown as Record<string, any>;
  statement.predicate = { serialization, resources };
  return statement;
}

describe('parseStatement rejects malformed statements', () => {
  it('rejects another statement type and predicate type with the Python wording', () => {
    const statement = statementWith([]);
    expect(() => parseStatement(JSON.stringify({ ...statement, _type: 'x' }))).toThrow(
      'Expected in-toto https://in-toto.io/Statement/v1 payload, but got x',
    );
    expect(() =>
      parseStatement(JSON.stringify({ ...statement, predicateType: 'https://model_signing/Digest/v0.1' })),
    ).toThrow(
      'Predicate type mismatch, expected https://model_signing/signature/v1.0, got https://model_signing/Digest/v0.1',
    );
  });

  it('rejects an inconsistent root digest', () => {
    const statement = statementWith([{ name: 'a', algorithm: 'sha256', digest: '00'.repeat(32) }]);
    expect(() => parseStatement(JSON.stringify(statement))).toThrow(
      /Manifest is inconsistent. Root digest is e3b0c442/,
    );
  });

  it.each([
    ['duplicate names', ['a', 'a'], /appears more than once/],
    ['absolute names', ['/etc/passwd'], /absolute/],
    ['.. names', ['../x'], /'\.\.' segment/],
    ['empty names', [''], /empty/],
  ])('rejects %s', (_label, names, message) => {
    const digest = '00'.repeat(32);
    const resources = names.map((name) => ({ name, algorithm: 'sha256', digest }));
    const statement = statementWith(resources);
    // Make the root consistent so only the names are wrong.
    const hash = createHash('sha256');
    for (const _ of names) hash.update(Buffer.alloc(32));
    statement.subject[0].digest.sha256 = hash.digest('hex');
    expect(() => parseStatement(JSON.stringify(statement))).toThrow(message);
  });

  it.each([[1.5], [0], [-8], ['8'], [null]])('rejects shard_size %j', (shardSize) => {
    const statement = statementWith([], {
      method: 'shards',
      hash_type: 'sha256',
      allow_symlinks: false,
      shard_size: shardSize,
    });
    expect(() => parseStatement(JSON.stringify(statement))).toThrow(/shard_size must be a positive integer/);
  });

  it('accepts an integral float shard size', () => {
    const statement = statementWith([], {
      method: 'shards',
      hash_type: 'sha256',
      allow_symlinks: true,
      shard_size: 8,
    });
    const text = JSON.stringify(statement).replace('"shard_size":8', '"shard_size":8.0');
    expect(text).toContain('8.0');
    const manifest = parseStatement(text);
    expect(manifest.serialization).toMatchObject({ method: 'shards', shardSize: 8 });
  });

  it('rejects an unknown serialization method and non-hex digests', () => {
    expect(() =>
      parseStatement(
        JSON.stringify(statementWith([], { method: 'zip', hash_type: 'sha256', allow_symlinks: false })),
      ),
    ).toThrow('Unknown serialization type zip');
    const statement = statementWith([{ name: 'a', algorithm: 'sha256', digest: 'zz' }]);
    expect(() => parseStatement(JSON.stringify(statement))).toThrow(ManifestError);
  });

  it('rejects a payload that is not JSON', () => {
    expect(() => parseStatement('{"_type":')).toThrow(/not valid JSON/);
  });
});

describe('legacy v0.2 Digests statements', () => {
  it('reads the v0.2.0 certificate golden payload', () => {
    const bundle = JSON.parse(
      readFileSync(path.join(fixtures, 'signatures/v0.2.0-certificate/model.sig'), 'utf8'),
    );
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const manifest = parseStatement(payload);
    expect(manifest.modelName).toBe(LEGACY_MODEL_NAME);
    expect(manifest.names()).toEqual(['signme-1', 'signme-2']);
    // sha256sum of the golden's files, an independent digest.
    const file = readFileSync(path.join(fixtures, 'signatures/v0.2.0-certificate/signme-1'));
    expect(manifest.resourceDescriptors()[0]!.digest).toBe(createHash('sha256').update(file).digest('hex'));
  });
});

describe('readStatement (serialization first, resources on demand)', () => {
  it('gives the recorded serialization before reading the resources, and the same manifest as parseStatement', () => {
    const shards: Serialization = {
      method: 'shards',
      hashType: 'blake2b',
      shardSize: 1000,
      allowSymlinks: true,
      ignorePaths: ['x'],
    };
    const manifest = new Manifest(
      'm',
      [{ resource: fileResource('a'), digest: { algorithm: 'blake2b', value: digestOf(1, 64) } }],
      files,
    );
    const bytes = statementBytes(manifest);
    const tampered = JSON.parse(new TextDecoder().decode(bytes));
    tampered.predicate.serialization = {
      method: 'shards',
      hash_type: 'blake2b',
      shard_size: 1000,
      allow_symlinks: true,
      ignore_paths: ['x'],
    };
    tampered.predicate.resources[0].digest = 'not hex';
    const statement = readStatement(JSON.stringify(tampered));
    expect(statement.serialization).toEqual(shards);
    // The resources are read, and refused, only when asked for.
    expect(() => statement.manifest()).toThrow(ManifestError);
    const good = readStatement(bytes);
    expect(good.manifest()).toBe(good.manifest());
    expect(good.manifest().resourceDescriptors()).toEqual(parseStatement(bytes).resourceDescriptors());
  });

  it('refuses a payload that is not a statement at once', () => {
    expect(() => readStatement('{"_type": "other"}')).toThrow(ManifestError);
    expect(() => readStatement('not json')).toThrow(/not valid JSON/);
  });
});

describe('readStatement with a reader of resource columns', () => {
  // The columns JSON.parse gives, as an independent reader would give them.
  function columnsOf(json: Uint8Array): ResourceColumns {
    const list = JSON.parse(new TextDecoder().decode(json)) as {
      name: string;
      algorithm: string;
      digest: string;
    }[];
    const digests = Buffer.from(list.map((r) => r.digest).join(''), 'hex');
    let end = 0;
    return {
      names: list.map((r) => r.name).join('\0'),
      algorithms: list.map((r) => r.algorithm).join('\0'),
      digests,
      ends: Uint32Array.from(list, (r) => (end += r.digest.length / 2)),
    };
  }
  const manifest = new Manifest(
    'm',
    ['a', 'b/c', 'd'].map((name, i) => ({
      resource: fileResource(name),
      digest: { algorithm: 'sha256', value: digestOf(i + 1) },
    })),
    files,
  );
  const bytes = statementBytes(manifest);

  it('checks and matches with the columns the reader gives, given the list as it was signed', () => {
    const seen: string[] = [];
    const statement = readStatement(bytes, {
      readResourceColumns: (json) => {
        seen.push(new TextDecoder().decode(json));
        return columnsOf(json);
      },
    });
    expect(statement.matching(manifest)?.resourceDescriptors()).toEqual(manifest.resourceDescriptors());
    expect(seen).toHaveLength(1);
    expect(JSON.parse(seen[0]!)).toEqual(JSON.parse(new TextDecoder().decode(bytes)).predicate.resources);
  });

  it('refuses columns that do not hash to the root digest, so a reader cannot pass off other digests', () => {
    const statement = readStatement(bytes, {
      readResourceColumns: (json) => {
        const columns = columnsOf(json);
        columns.digests[0]! ^= 1;
        return columns;
      },
    });
    expect(() => statement.check()).toThrow(expect.objectContaining({ code: 'INCONSISTENT_ROOT_DIGEST' }));
  });

  it('reads the resources later when they come before the serialization, as the Python tool writes some', () => {
    const bundle = JSON.parse(
      readFileSync(path.join(fixtures, 'signatures/v1.1.0-sigstore/model.sig'), 'utf8'),
    ) as { dsseEnvelope: { payload: string } };
    const payload = Buffer.from(bundle.dsseEnvelope.payload, 'base64');
    const text = payload.toString('utf8');
    expect(text.indexOf('"resources"')).toBeLessThan(text.indexOf('"serialization"'));
    const lists: unknown[] = [];
    const statement = readStatement(payload, {
      readResourceColumns: (json) => {
        lists.push(JSON.parse(new TextDecoder().decode(json)));
        return columnsOf(json);
      },
    });
    const expected = parseStatement(payload);
    expect(statement.matching(expected)?.resourceDescriptors()).toEqual(expected.resourceDescriptors());
    expect(lists).toEqual([JSON.parse(text).predicate.resources]);
  });

  it('reads a statement whose resources are followed by other members before the serialization', () => {
    const statement = JSON.parse(new TextDecoder().decode(bytes));
    const { resources, serialization } = statement.predicate;
    // The guess of where the list ends takes in the extra list too; the whole is then parsed after all.
    statement.predicate = { resources, extra: ['x', { y: [1] }], serialization };
    const text = JSON.stringify(statement, null, 2);
    const read = readStatement(text, { readResourceColumns: () => null });
    expect(read.serialization).toEqual(files);
    expect(read.matching(manifest)?.rootDigestHex()).toBe(manifest.rootDigestHex());
    expect(readStatement(text).manifest().resourceDescriptors()).toEqual(manifest.resourceDescriptors());
  });

  it('parses the list as JSON when the reader declines it', () => {
    const statement = readStatement(bytes, { readResourceColumns: () => null });
    expect(statement.matching(manifest)?.rootDigestHex()).toBe(manifest.rootDigestHex());
    const badHex = JSON.parse(new TextDecoder().decode(bytes));
    badHex.predicate.resources[1].digest = 'zz';
    expect(() => readStatement(JSON.stringify(badHex), { readResourceColumns: () => null }).check()).toThrow(
      /The digest of b\/c is not a hex string/,
    );
  });
});

describe('matching: the signed manifest found equal in one pass', () => {
  const goldens = readdirSync(payloadDir);

  it.each(goldens)('%s: matches the manifest it describes, under its own subject', (name) => {
    const text = readFileSync(path.join(payloadDir, name), 'utf8');
    const golden = JSON.parse(text) as {
      subject: { name: string; digest: { sha256: string } }[];
      predicate?: { resources: { name: string; algorithm: string; digest: string }[] };
    };
    const statement = readStatement(text);
    // The local manifest as hashing would give it: another model name, the same resources.
    const local = parseStatement(text).withSubject('local-name', statement.serialization);
    const matched = statement.matching(local);
    if (!golden.predicate) {
      // The legacy predicate is always compared item by item.
      expect(matched).toBeUndefined();
      return;
    }
    expect(matched).toBeDefined();
    expect(matched!.modelName).toBe(golden.subject[0]!.name);
    expect(matched!.rootDigestHex()).toBe(golden.subject[0]!.digest.sha256);
    expect(matched!.resourceDescriptors()).toEqual(
      golden.predicate.resources.map((r) => ({ ...r, digest: r.digest.toLowerCase() })),
    );
  });

  function statementOf(names: string[]) {
    const manifest = new Manifest(
      'm',
      names.map((n, i) => ({
        resource: fileResource(n),
        digest: { algorithm: 'sha256', value: digestOf(i + 1) },
      })),
      files,
    );
    return { bytes: statementBytes(manifest), manifest };
  }

  it('finds nothing equal when anything differs, where the item-by-item comparison finds a difference', () => {
    const { bytes, manifest } = statementOf(['a', 'b/c', 'd']);
    const item = (name: string, byte: number, algorithm = 'sha256') => ({
      resource: fileResource(name),
      digest: { algorithm, value: digestOf(byte) },
    });
    const variants = [
      [item('a', 1), item('b/c', 2), item('d', 9)], // a digest
      [item('a', 1), item('b/c', 2)], // a file missing
      [item('a', 1), item('b/c', 2), item('d', 3), item('e', 4)], // an extra file
      [item('a', 1), item('b/x', 2), item('d', 3)], // a name
      [item('a', 1), item('b/c', 2, 'blake2b'), item('d', 3)], // an algorithm
      [
        item('a', 1),
        item('b/c', 2),
        { resource: fileResource('d'), digest: { algorithm: 'sha256', value: digestOf(3, 31) } },
      ],
      // The same bytes, and so the same root digest, split otherwise between two digests.
      [
        { resource: fileResource('a'), digest: { algorithm: 'sha256', value: digestOf(1).subarray(0, 31) } },
        {
          resource: fileResource('b/c'),
          digest: { algorithm: 'sha256', value: Buffer.concat([digestOf(1).subarray(31), digestOf(2)]) },
        },
        item('d', 3),
      ],
    ];
    for (const items of variants) {
      const local = new Manifest('m', items, files);
      const statement = readStatement(bytes);
      expect(statement.matching(local)).toBeUndefined();
      expect(diffManifests(statement.manifest(), local).equal).toBe(false);
    }
    expect(readStatement(bytes).matching(manifest)?.resourceDescriptors()).toEqual(
      manifest.resourceDescriptors(),
    );
  });

  it('checks digests and the root digest before any comparison, without building the manifest', () => {
    const { bytes } = statementOf(['a', 'b']);
    const badHex = JSON.parse(new TextDecoder().decode(bytes));
    badHex.predicate.resources[1].digest = 'zz'.repeat(32);
    expect(() => readStatement(JSON.stringify(badHex)).check()).toThrow(
      /The digest of b is not a hex string/,
    );
    badHex.predicate.resources[1].digest = 'abc';
    expect(() => readStatement(JSON.stringify(badHex)).check()).toThrow(
      'The digest of b is not a hex string: "abc"',
    );
    const badRoot = JSON.parse(new TextDecoder().decode(bytes));
    badRoot.predicate.resources.reverse();
    const statement = readStatement(JSON.stringify(badRoot));
    expect(() => statement.check()).toThrow(expect.objectContaining({ code: 'INCONSISTENT_ROOT_DIGEST' }));
    expect(() => statement.matching(statementOf(['a', 'b']).manifest)).toThrow(ManifestError);
  });
});

describe('readStatement parses the resources apart when they come last', () => {
  const manifest = new Manifest(
    'resources',
    ['a', 'b'].map((n, i) => ({
      resource: fileResource(n),
      digest: { algorithm: 'sha256', value: digestOf(i + 1) },
    })),
    files,
  );
  const standard = new TextDecoder().decode(statementBytes(manifest));
  const parsed = JSON.parse(standard);
  const other = [{ name: 'x', algorithm: 'sha256', digest: '07'.repeat(32) }];

  // What JSON.parse of the whole text says the resources are: the oracle for every layout.
  function expectResourcesOf(text: string): void {
    const whole = JSON.parse(text).predicate.resources as { name: string }[];
    const statement = readStatement(text);
    let read: string[];
    try {
      read = statement.manifest().names();
    } catch (error) {
      // Inconsistent with the root digest: refused, as a parse of the whole refuses it.
      expect(error).toMatchObject({ code: 'INCONSISTENT_ROOT_DIGEST' });
      expect(() => parseStatement(text)).toThrow(/inconsistent/);
      return;
    }
    expect(read).toEqual(whole.map((r) => r.name));
  }

  it('gives what a parse of the whole gives, in every layout', () => {
    const predicateFirst = JSON.stringify({ predicate: parsed.predicate, ...parsed, _type: parsed._type });
    const resourcesFirst = JSON.stringify({
      ...parsed,
      predicate: { resources: parsed.predicate.resources, serialization: parsed.predicate.serialization },
    });
    // Two lists under one key: JSON.parse keeps the last, so must we.
    const twice = standard.replace('"resources": [', `"resources": ${JSON.stringify(other)}, "resources": [`);
    const nameLikeAKey = standard.replace('"name": "resources"', '"name": "\\"resources\\": ["');
    for (const text of [standard, predicateFirst, resourcesFirst, twice, nameLikeAKey])
      expectResourcesOf(text);
    expect(standard.endsWith(']\n  }\n}')).toBe(true);
  });

  it('refuses a statement whose parts would read differently from the whole', () => {
    // The first list is the predicate's (empty); another member after the predicate holds a second one.
    const trailing = JSON.stringify({
      ...parsed,
      predicate: { ...parsed.predicate, resources: [] },
      later: { resources: parsed.predicate.resources },
    });
    expect(() => readStatement(trailing).manifest()).toThrow(ManifestError);
    expect(() => parseStatement(trailing)).toThrow(ManifestError);
  });

  it('refuses a payload that is not UTF-8: in its resources when they are read, elsewhere at once', () => {
    const bytes = Buffer.from(standard);
    const inResources = Buffer.from(bytes);
    inResources[bytes.indexOf('"b"') + 1] = 0xff;
    const statement = readStatement(inResources);
    expect(statement.serialization).toEqual(files);
    expect(() => statement.check()).toThrow('The signed payload is not valid UTF-8');
    const inHead = Buffer.from(bytes);
    inHead[bytes.indexOf('"resources"') - 4] = 0xc3;
    expect(() => readStatement(inHead)).toThrow('The signed payload is not valid UTF-8');
  });

  it('refuses resources that are not JSON when they are read, and a broken head at once', () => {
    const broken = standard.replace('"algorithm": "sha256"', '"algorithm": sha256');
    const statement = readStatement(broken);
    expect(statement.serialization).toEqual(files);
    expect(() => statement.check()).toThrow(/not valid JSON/);
    expect(() => readStatement(standard.replace('"_type":', '"_type"'))).toThrow(/not valid JSON/);
  });
});
