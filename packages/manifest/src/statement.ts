import { ManifestError } from './errors.js';
import { fromHex } from './hex.js';
import { JsonTextError, parseJsonText } from './json-text.js';
import { Manifest, type ManifestItem } from './manifest.js';
import {
  fileResource,
  parseShardName,
  type Resource,
  resourceName,
  validateResourcePath,
} from './resource.js';
import { type Serialization, serializationFromJson, serializationToJson } from './serialization.js';
import { sha256 } from './sha256.js';

/** The in-toto statement type. */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The predicate type of the model-signing format v1.0. */
export const PREDICATE_TYPE = 'https://model_signing/signature/v1.0';
/** The predicate type of v0.2 signatures, still accepted when verifying. */
export const LEGACY_DIGESTS_PREDICATE_TYPE = 'https://model_signing/Digests/v0.1';
/** The model name given to manifests read from v0.2 statements, which carry none. */
export const LEGACY_MODEL_NAME = 'compat-undefined-not-present';
/** The DSSE payload type of every statement. */
export const STATEMENT_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The in-toto statement of a model signature, as JSON. */
export interface Statement {
  /** Always {@link STATEMENT_TYPE}. */
  _type: string;
  /** One subject: the model name and its root digest. */
  subject: { name: string; digest: { sha256: string } }[];
  /** Always {@link PREDICATE_TYPE} for statements this project writes. */
  predicateType: string;
  /** How the model was hashed and the digest of every resource. */
  predicate: {
    serialization: ReturnType<typeof serializationToJson>;
    resources: { name: string; algorithm: string; digest: string }[];
  };
}

/** The statement of a manifest, keys in the format's logical order. */
export function buildStatement(manifest: Manifest): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: manifest.modelName, digest: { sha256: manifest.rootDigestHex() } }],
    predicateType: PREDICATE_TYPE,
    predicate: {
      serialization: serializationToJson(manifest.serialization),
      resources: manifest
        .resourceDescriptors()
        .map(({ name, algorithm, digest }) => ({ name, algorithm, digest })),
    },
  };
}

/**
 * The exact statement bytes that get signed: deterministic JSON with two-space indentation, non-ASCII
 * characters escaped as `\uXXXX` and no trailing newline (the layout the Python tool writes).
 */
export function statementBytes(manifest: Manifest): Uint8Array {
  const json = JSON.stringify(buildStatement(manifest), null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return new TextEncoder().encode(json);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): never {
  throw new ManifestError('INVALID_STATEMENT', message);
}

function requireString(value: unknown, what: string): string {
  if (typeof value !== 'string') invalid(`${what} is missing or not a string`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return parseJsonText(text);
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    return invalid(`The signed payload is not valid JSON: ${error.message}`);
  }
}

// Decodes UTF-8, refusing what is not (a payload or a part of it split at ASCII characters, which never occur
// inside a multi-byte sequence: the parts are valid exactly when the whole is). A byte order mark is kept, so
// that the JSON parse refuses it.
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return invalid('The signed payload is not valid UTF-8');
  }
}

const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function skipSpace(bytes: Uint8Array, index: number, step: 1 | -1): number {
  let i = index;
  while (i >= 0 && i < bytes.length && JSON_SPACE.has(bytes[i]!)) i += step;
  return i;
}

// Put where the resources were, it must come out as `predicate.resources` of the rest, and nowhere else.
const PLACEHOLDER = 'model-signing: the resources are read later';
const RESOURCES_KEY = Buffer.from('"resources"');
const SERIALIZATION_KEY = Buffer.from('"serialization"');
const [COLON, COMMA, OPEN_BRACKET, CLOSE_BRACKET, CLOSE_BRACE] = [...Buffer.from(':,[]}')] as [
  number,
  number,
  number,
  number,
  number,
];

/** A statement whose resources were left as bytes, and the rest parsed. */
interface SplitStatement {
  readonly head: Record<string, unknown>;
  readonly resources: Uint8Array;
}

const [QUOTE, BACKSLASH, OPEN_BRACE] = [...Buffer.from('"\\{')] as [number, number, number];

// Where the list of resources that opens at `open` ends in the two layouts the tools write: last
// (`…"resources": [ … ] } }`), or followed by the serialization (`…"resources": [ … ], "serialization": {`, as
// the Python tool writes some); -1 when neither fits. A guess, which splitAtResources checks.
function guessedEnd(bytes: Buffer, open: number): number {
  const statementEnd = skipSpace(bytes, bytes.length - 1, -1);
  const predicateEnd = skipSpace(bytes, statementEnd - 1, -1);
  const last = skipSpace(bytes, predicateEnd - 1, -1);
  if (
    bytes[statementEnd] === CLOSE_BRACE &&
    bytes[predicateEnd] === CLOSE_BRACE &&
    bytes[last] === CLOSE_BRACKET
  )
    return last;
  const key = bytes.lastIndexOf(SERIALIZATION_KEY);
  const comma = skipSpace(bytes, key - 1, -1);
  if (key <= open || bytes[comma] !== COMMA) return -1;
  const close = skipSpace(bytes, comma - 1, -1);
  return bytes[close] === CLOSE_BRACKET ? close : -1;
}

// Where the list that opens at `open` closes: the matching bracket, strings skipped. Exact when the payload is
// JSON; when it is not, the list (or what follows it) does not parse, and neither would the whole.
function listEnd(bytes: Uint8Array, open: number): number {
  // One pass in JavaScript: a native indexOf per string costs more than it saves on short names and digests.
  const length = bytes.length;
  let depth = 0;
  let inString = false;
  for (let i = open; i < length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
    else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * A statement of many files is mostly its resources, and a verifier needs the rest first (the serialization,
 * to start hashing). The list of the first `"resources"` key is cut out at its matching bracket, the rest is
 * decoded and parsed with a placeholder in its place, and the list is kept as bytes for later. The placeholder
 * must come out as `predicate.resources` (not, say, overwritten by a later duplicate key, which JSON.parse would
 * keep): then, when the list parses on its own, the two parts are exactly what a parse of the whole gives (a
 * value put where another value was). Else undefined, and the statement is parsed whole.
 */
function splitAtResources(payload: Uint8Array): SplitStatement | undefined {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  // The first key so named: a value "resources" (a model may be named so) is followed by no colon.
  let colon = -1;
  for (
    let at = bytes.indexOf(RESOURCES_KEY);
    at >= 0 && colon < 0;
    at = bytes.indexOf(RESOURCES_KEY, at + 1)
  ) {
    const next = skipSpace(bytes, at + RESOURCES_KEY.length, 1);
    if (bytes[next] === COLON) colon = next;
  }
  if (colon < 0) return undefined;
  const open = skipSpace(bytes, colon + 1, 1);
  if (bytes[open] !== OPEN_BRACKET) return undefined;
  // The guess, when the list holds no other `]` (no name has one): its matching bracket can be no other. Else the
  // scan, which costs a pass over the list.
  const guess = guessedEnd(bytes, open);
  const close =
    guess > open && bytes.indexOf(CLOSE_BRACKET, open + 1) === guess ? guess : listEnd(bytes, open);
  if (close <= open) return undefined;
  const before = decodeUtf8(bytes.subarray(0, open));
  const after = decodeUtf8(bytes.subarray(close + 1));
  if (before.includes(PLACEHOLDER) || after.includes(PLACEHOLDER)) return undefined;
  let head: unknown;
  try {
    head = JSON.parse(`${before}"${PLACEHOLDER}"${after}`);
  } catch {
    return undefined;
  }
  if (!isRecord(head) || !isRecord(head.predicate) || head.predicate.resources !== PLACEHOLDER)
    return undefined;
  return { head, resources: bytes.subarray(open, close + 1) };
}

// The resources left as bytes by splitAtResources. A list that does not parse on its own makes the whole
// payload invalid JSON, which the parse of the whole reports (with its position); or the guess of its end fell
// inside a string of a statement crafted to parse both ways, which is refused.
function readResources(payload: Uint8Array, split: SplitStatement): unknown[] {
  const text = decodeUtf8(split.resources);
  try {
    return JSON.parse(text) as unknown[];
  } catch {}
  parseJson(decodeUtf8(payload));
  return invalid('The statement reads differently depending on where its resources end; it is refused');
}

/**
 * A signed statement read in two steps: the envelope and the serialization at once (enough to start hashing
 * the local model), the resources when {@link SignedStatement.manifest} is called, so that a verifier can read
 * the resources of a large model while its files are being hashed.
 */
export interface SignedStatement {
  /** How the model was hashed, as recorded (the legacy predicate: files, SHA-256). */
  readonly serialization: Serialization;
  /**
   * The manifest the statement describes, its resources checked (names, digests, the root digest); throws a
   * `ManifestError` as {@link parseStatement} does. Computed once.
   */
  manifest(): Manifest;
  /**
   * Checks what can be checked of the resources without building the manifest (their fields, the hex digests,
   * the root digest); throws the `ManifestError` {@link manifest} would throw for those.
   */
  check(): void;
  /**
   * The signed manifest when `actual` has exactly its resources, in the same order, with the same algorithms
   * and digests: found in one pass, without building the signed items (verifying a model of many files), once
   * {@link check} passes. Undefined when they differ in any way (or for the legacy predicate); {@link manifest}
   * and `diffManifests` then say how.
   */
  matching(actual: Manifest): Manifest | undefined;
}

/**
 * A statement's resources in columns, as a faster reader than JSON.parse gives them (see
 * {@link ReadStatementOptions.readResourceColumns}).
 */
export interface ResourceColumns {
  /** The names, joined with NUL characters. */
  readonly names: string;
  /** The algorithms, joined with NUL characters. */
  readonly algorithms: string;
  /** Every digest, decoded, one after the other. */
  readonly digests: Uint8Array;
  /** Where each digest ends in `digests`. */
  readonly ends: Uint32Array;
}

/** Options of {@link readStatement}. */
export interface ReadStatementOptions {
  /**
   * Reads the JSON text of a resources list into columns, or returns null to leave it to JSON.parse. It must
   * give exactly what JSON.parse and the checks of {@link SignedStatement.check} would (the native engine of
   * `@model-signing/hashing` reads the plain form both tools write, and declines anything else). Used by
   * {@link SignedStatement.check} and {@link SignedStatement.matching}, so that verifying a model of many files
   * does not build an object per resource.
   */
  readonly readResourceColumns?: ((json: Uint8Array) => ResourceColumns | null) | undefined;
}

/**
 * Reads a signed statement's envelope and serialization; the resources are read by
 * {@link SignedStatement.manifest}. Throws a `ManifestError` for a payload that is not a statement of this
 * format.
 */
export function readStatement(
  payload: Uint8Array | string,
  options: ReadStatementOptions = {},
): SignedStatement {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const split = splitAtResources(bytes);
  const statement = split ? split.head : parseJson(decodeUtf8(bytes));
  if (!isRecord(statement)) return invalid('The signed payload is not a JSON object');
  if (statement._type !== STATEMENT_TYPE) {
    invalid(`Expected in-toto ${STATEMENT_TYPE} payload, but got ${String(statement._type)}`);
  }
  const subjects = statement.subject;
  if (!Array.isArray(subjects)) return invalid('The statement has no subject list');
  if (statement.predicateType === LEGACY_DIGESTS_PREDICATE_TYPE) {
    let legacy: Manifest | undefined;
    const manifest = () => {
      legacy ??= parseLegacyDigests(subjects);
      return legacy;
    };
    return {
      serialization: LEGACY_SERIALIZATION,
      manifest,
      check: () => void manifest(),
      matching: () => undefined,
    };
  }
  if (statement.predicateType !== PREDICATE_TYPE) {
    invalid(`Predicate type mismatch, expected ${PREDICATE_TYPE}, got ${String(statement.predicateType)}`);
  }
  if (subjects.length !== 1) invalid(`Expected only one subject, got ${subjects.length}`);
  const subject = subjects[0];
  if (!isRecord(subject) || !isRecord(subject.digest)) return invalid('The statement subject is malformed');
  const modelName = requireString(subject.name, 'subject.name');
  const expectedRoot = requireString(subject.digest.sha256, 'subject.digest.sha256');

  const predicate = statement.predicate;
  if (!isRecord(predicate)) return invalid('The statement has no predicate');
  const serialization = serializationFromJson(predicate.serialization);
  checkRecordedIgnorePaths(predicate.serialization);
  const resources = predicate.resources;
  if (!split && !Array.isArray(resources)) return invalid('predicate.resources is missing or not a list');
  const read = split ? () => readResources(bytes, split) : () => resources as unknown[];
  const reader = options.readResourceColumns;
  const columns = split && reader ? () => reader(split.resources) : undefined;
  return new SignedResources(modelName, expectedRoot, serialization, read, columns);
}

// A recorded ignore path is joined onto the model path and normalised when verifying: `sub/..` would become the
// model itself and ignore every file. Only plain model-relative names are taken (what both tools record).
function checkRecordedIgnorePaths(serialization: unknown): void {
  const paths = isRecord(serialization) ? serialization.ignore_paths : undefined;
  if (!Array.isArray(paths)) return;
  for (const path of paths as string[]) {
    const refuse = (why: string): never =>
      invalid(`The recorded ignore path ${JSON.stringify(path)} is not a plain model-relative name: ${why}`);
    if (path === '.') refuse('it names the whole model');
    try {
      validateResourcePath(path);
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      // validateResourcePath says `Invalid resource name "<path>": <why>`; the path is named above.
      refuse(error.message.slice(error.message.lastIndexOf('": ') + 3));
    }
  }
}

/**
 * Reads a signed statement back into the manifest it describes (the expected manifest of a verification).
 * Accepts the v1.0 predicate and the legacy v0.2 `Digests` predicate; checks the root digest, rejects
 * malformed, duplicate or escaping resource names.
 */
export function parseStatement(payload: Uint8Array | string): Manifest {
  return readStatement(payload).manifest();
}

// The resources of a v1.0 statement, read in steps: their digests (decoded into one buffer, the root digest
// checked) with their names and algorithms (each kind joined into one string), then, only when asked, the
// manifest with an object per item. Until then the parsed list is not kept: tens of thousands of objects that
// stay alive are copied by every collection of the young generation while the model is hashed.
class SignedResources implements SignedStatement {
  readonly serialization: Serialization;
  readonly #modelName: string;
  readonly #expectedRoot: string;
  readonly #read: () => unknown[];
  readonly #readColumns: (() => ResourceColumns | null) | undefined;
  #list: unknown[] | undefined;
  #digests: Buffer | undefined;
  // Where each digest ends in #digests.
  #ends: Uint32Array | undefined;
  // The names, and the algorithms, each joined with NUL.
  #names = '';
  #algorithms = '';
  #manifest: Manifest | undefined;

  /**
   * @param resources reads the list of resources (parses it, when it was left as text).
   * @param columns reads them into columns instead, when it can (see {@link ReadStatementOptions}).
   */
  constructor(
    modelName: string,
    expectedRoot: string,
    serialization: Serialization,
    resources: () => unknown[],
    columns?: () => ResourceColumns | null,
  ) {
    this.serialization = serialization;
    this.#modelName = modelName;
    this.#expectedRoot = expectedRoot;
    this.#read = resources;
    this.#readColumns = columns;
  }

  get #resources(): unknown[] {
    this.#list ??= this.#read();
    return this.#list;
  }

  check(): void {
    if (this.#digests) return;
    const { digests, ends, names, algorithms } =
      (this.#list ? null : this.#readColumns?.()) ?? this.#columnsOfList();
    // The root covers the resources in payload order; Python does not re-sort, neither do we.
    const obtained = sha256(digests).toString('hex');
    if (obtained !== this.#expectedRoot) {
      throw new ManifestError(
        'INCONSISTENT_ROOT_DIGEST',
        `Manifest is inconsistent. Root digest is ${this.#expectedRoot}, but the included resources hash to ${obtained}`,
      );
    }
    this.#digests = Buffer.from(digests.buffer, digests.byteOffset, digests.byteLength);
    this.#ends = ends;
    this.#names = names;
    this.#algorithms = algorithms;
  }

  // The columns from the parsed list, every field checked.
  #columnsOfList(): ResourceColumns {
    const resources = this.#list ?? this.#read();
    // Messages are built only on failure: a statement of 20,000 resources would otherwise build 80,000.
    const names: string[] = new Array(resources.length);
    const algorithms: string[] = new Array(resources.length);
    const hex: string[] = new Array(resources.length);
    const ends = new Uint32Array(resources.length);
    let total = 0;
    resources.forEach((entry, index) => {
      if (!isRecord(entry)) invalid(`predicate.resources[${index}] is not an object`);
      const { name, algorithm, digest } = entry;
      if (typeof name !== 'string') requireString(name, `predicate.resources[${index}].name`);
      if (typeof algorithm !== 'string') requireString(algorithm, `predicate.resources[${index}].algorithm`);
      if (typeof digest !== 'string') requireString(digest, `predicate.resources[${index}].digest`);
      if ((digest as string).length % 2 !== 0) notHex(name as string, digest);
      names[index] = name as string;
      algorithms[index] = algorithm as string;
      hex[index] = digest as string;
      total += (digest as string).length / 2;
      ends[index] = total;
    });
    // Every digest is decoded into one buffer, in payload order, in one call (a call per digest costs three times
    // as much): that buffer is what the root digest covers, and each item's digest is a view of it. Node's
    // decoder stops at the first pair that is not hex.
    const digests = Buffer.allocUnsafe(total);
    if (digests.write(hex.join(''), 'hex') !== total) {
      const bad = (resources as Record<string, string>[]).find(
        ({ digest }) => !/^[0-9a-fA-F]*$/.test(digest!),
      );
      notHex(bad!.name!, bad!.digest);
    }
    return { digests, ends, names: names.join('\0'), algorithms: algorithms.join('\0') };
  }

  manifest(): Manifest {
    if (this.#manifest) return this.#manifest;
    this.check();
    const digests = this.#digests!;
    const ends = this.#ends!;
    const shards = this.serialization.method === 'shards';
    const items: ManifestItem[] = (this.#resources as Record<string, string>[]).map(
      ({ name, algorithm }, index) => {
        const start = index === 0 ? 0 : ends[index - 1]!;
        const value = new Uint8Array(digests.buffer, digests.byteOffset + start, ends[index]! - start);
        const resource: Resource = shards ? parseShardName(name!) : fileResource(name!);
        return { resource, digest: { algorithm: algorithm!, value } };
      },
    );
    this.#manifest = new Manifest(this.#modelName, items, this.serialization);
    return this.#manifest;
  }

  matching(actual: Manifest): Manifest | undefined {
    this.check();
    const ends = this.#ends!;
    const items = actual.items;
    if (ends.length !== items.length) return undefined;
    // Equal to the local names, which the walk found in canonical order: the signed ones are then valid, unique
    // and in order too. Joined as the signed ones are, the local names (which have no NUL) give the same text
    // only if every signed name is the local one.
    const names = items.map(({ resource }) => resourceName(resource)).join('\0');
    const algorithms = items.map(({ digest }) => digest.algorithm).join('\0');
    if (names !== this.#names || algorithms !== this.#algorithms) return undefined;
    let start = 0;
    for (let index = 0; index < items.length; index++) {
      const end = ends[index]!;
      if (end - start !== items[index]!.digest.value.length) return undefined;
      start = end;
    }
    // Each digest has the length of its signed one, so the two lists are equal exactly when their
    // concatenations are. The signed one hashes to the root digest (check() made sure), so comparing the local
    // root digest with it compares them, as far as SHA-256 resists collisions: what the signature rests on.
    if (actual.rootDigestHex() !== this.#expectedRoot) return undefined;
    return actual.withSubject(this.#modelName, this.serialization);
  }
}

function notHex(name: string, digest: unknown): never {
  // Shortened: a message is one line, whatever the statement holds.
  const text = JSON.stringify(digest) ?? String(digest);
  const shown = text.length <= 140 ? text : `${text.slice(0, 128)}… (${text.length} characters)`;
  return invalid(`The digest of ${name} is not a hex string: ${shown}`);
}

// The legacy predicate records no serialization: it was files and SHA-256.
const LEGACY_SERIALIZATION: Serialization = {
  method: 'files',
  hashType: 'sha256',
  allowSymlinks: false,
  ignorePaths: [],
};

function parseLegacyDigests(subjects: unknown[]): Manifest {
  const items: ManifestItem[] = subjects.map((subject, index) => {
    if (!isRecord(subject) || !isRecord(subject.digest)) return invalid(`subject[${index}] is malformed`);
    const name = requireString(subject.name, `subject[${index}].name`);
    const hex = requireString(subject.digest.sha256, `subject[${index}].digest.sha256`);
    return {
      resource: fileResource(name),
      digest: { algorithm: 'sha256', value: fromHex(hex, `The digest of ${name}`) },
    };
  });
  return new Manifest(LEGACY_MODEL_NAME, items, LEGACY_SERIALIZATION);
}
