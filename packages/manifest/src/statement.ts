import { ManifestError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import { Manifest, type ManifestItem, rootDigestOf } from './manifest.js';
import { fileResource, parseShardName, type Resource } from './resource.js';
import { type Serialization, serializationFromJson, serializationToJson } from './serialization.js';

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

function parseJson(payload: Uint8Array | string): unknown {
  const text =
    typeof payload === 'string' ? payload : new TextDecoder('utf-8', { fatal: true }).decode(payload);
  try {
    return JSON.parse(text);
  } catch (error) {
    return invalid(`The signed payload is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads a signed statement back into the manifest it describes (the expected manifest of a verification).
 * Accepts the v1.0 predicate and the legacy v0.2 `Digests` predicate; checks the root digest, rejects
 * malformed, duplicate or escaping resource names.
 */
export function parseStatement(payload: Uint8Array | string): Manifest {
  const statement = parseJson(payload);
  if (!isRecord(statement)) return invalid('The signed payload is not a JSON object');
  if (statement._type !== STATEMENT_TYPE) {
    invalid(`Expected in-toto ${STATEMENT_TYPE} payload, but got ${String(statement._type)}`);
  }
  const subjects = statement.subject;
  if (!Array.isArray(subjects)) return invalid('The statement has no subject list');
  if (statement.predicateType === LEGACY_DIGESTS_PREDICATE_TYPE) return parseLegacyDigests(subjects);
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
  const resources = predicate.resources;
  if (!Array.isArray(resources)) return invalid('predicate.resources is missing or not a list');

  const items: ManifestItem[] = resources.map((entry, index) => {
    if (!isRecord(entry)) invalid(`predicate.resources[${index}] is not an object`);
    const name = requireString(entry.name, `predicate.resources[${index}].name`);
    const algorithm = requireString(entry.algorithm, `predicate.resources[${index}].algorithm`);
    const value = fromHex(
      requireString(entry.digest, `predicate.resources[${index}].digest`),
      `The digest of ${name}`,
    );
    const resource: Resource = serialization.method === 'shards' ? parseShardName(name) : fileResource(name);
    return { resource, digest: { algorithm, value } };
  });

  // The root covers the resources in payload order; Python does not re-sort, neither do we.
  const obtained = toHex(rootDigestOf(items.map((item) => item.digest.value)));
  if (obtained !== expectedRoot) {
    throw new ManifestError(
      'INCONSISTENT_ROOT_DIGEST',
      `Manifest is inconsistent. Root digest is ${expectedRoot}, but the included resources hash to ${obtained}`,
    );
  }
  return new Manifest(modelName, items, serialization);
}

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
  const serialization: Serialization = {
    method: 'files',
    hashType: 'sha256',
    allowSymlinks: false,
    ignorePaths: [],
  };
  return new Manifest(LEGACY_MODEL_NAME, items, serialization);
}
