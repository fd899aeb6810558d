// The reading rules are the Python reader's (format-and-behaviour §6.6–§6.7), as @model-signing/verifying
// applies them: unknown fields, unknown media types, non-standard base64 and anything but one DSSE signature are
// refused; the pre-1.1 key bundle shapes are accepted. A test feeds the same bundles to both readers.
import { decodeBase64 } from './base64.js';
import { fail } from './errors.js';

/** The bundle media types the Python reader accepts. */
export const ACCEPTED_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

/** The only media type the key and certificate methods accept. */
export const KEY_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** Which method made a bundle, and its key hint or certificates. */
export type BundleContent =
  | { readonly kind: 'publicKey'; readonly hint: string | undefined }
  | { readonly kind: 'x509CertificateChain'; readonly certificates: readonly Uint8Array[] }
  | { readonly kind: 'certificate'; readonly certificate: Uint8Array };

/** A DSSE envelope, decoded: the exact signed payload and its one signature (DER). */
export interface Envelope {
  /** The signed payload bytes. */
  readonly payload: Uint8Array;
  /** The declared payload type. */
  readonly payloadType: string;
  /** The DER ECDSA signature. */
  readonly signature: Uint8Array;
}

/** A signature bundle checked against the format's rules. */
export interface ParsedBundle {
  /** One of {@link ACCEPTED_MEDIA_TYPES}. */
  readonly mediaType: string;
  /** The verification material. */
  readonly content: BundleContent;
  /** The DSSE envelope. */
  readonly envelope: Envelope;
}

type Json = Record<string, unknown>;

const invalid = (why: string): never => fail('INVALID_BUNDLE', `Invalid bundle: ${why}`);

function record(value: unknown, field: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalid(`${field} is missing or not an object`);
  }
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  if (unknown !== undefined) invalid(`unknown field '${unknown}' in ${field}`);
  return value as Json;
}

function list(value: unknown, field: string): unknown[] {
  return Array.isArray(value) ? value : invalid(`${field} is missing or not a list`);
}

function optionalString(value: unknown, field: string): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  return invalid(`${field} is not a string`);
}

const CONTENT_KINDS = ['publicKey', 'x509CertificateChain', 'certificate'] as const;
const MATERIAL_FIELDS = [...CONTENT_KINDS, 'tlogEntries', 'timestampVerificationData'];
const TLOG_ENTRY_FIELDS = [
  'logIndex',
  'logId',
  'kindVersion',
  'integratedTime',
  'inclusionPromise',
  'inclusionProof',
  'canonicalizedBody',
];

function readContent(material: Json): BundleContent {
  const present = CONTENT_KINDS.filter((kind) => material[kind] !== undefined);
  if (present.length === 0) {
    invalid('verificationMaterial has no publicKey, x509CertificateChain or certificate');
  }
  if (present.length > 1) invalid(`verificationMaterial has more than one of ${present.join(', ')}`);
  switch (present[0]) {
    case 'publicKey': {
      const key = record(material.publicKey, 'verificationMaterial.publicKey', [
        'hint',
        'rawBytes',
        'keyDetails',
      ]);
      const hint = optionalString(key.hint, 'publicKey.hint');
      return { kind: 'publicKey', hint: hint ? hint : undefined };
    }
    case 'x509CertificateChain': {
      const field = 'x509CertificateChain.certificates';
      const chain = record(material.x509CertificateChain, 'verificationMaterial.x509CertificateChain', [
        'certificates',
      ]);
      const entries = list(chain.certificates, field);
      if (entries.length === 0) invalid(`${field} is empty`);
      const certificates = entries.map((entry, i) =>
        decodeBase64(record(entry, `${field}[${i}]`, ['rawBytes']).rawBytes, `${field}[${i}].rawBytes`),
      );
      return { kind: 'x509CertificateChain', certificates };
    }
    default: {
      const leaf = record(material.certificate, 'verificationMaterial.certificate', ['rawBytes']);
      return { kind: 'certificate', certificate: decodeBase64(leaf.rawBytes, 'certificate.rawBytes') };
    }
  }
}

// The parts of the material no key or certificate verification uses, checked only for their shape.
function checkLogAndTimestamps(material: Json, content: BundleContent): void {
  if (material.tlogEntries === undefined) {
    // Python reads a missing list as [] for key and certificate bundles; a Sigstore bundle needs its entry.
    if (content.kind === 'certificate') invalid('verificationMaterial.tlogEntries is missing');
  } else {
    list(material.tlogEntries, 'verificationMaterial.tlogEntries').forEach((entry, i) => {
      record(entry, `verificationMaterial.tlogEntries[${i}]`, TLOG_ENTRY_FIELDS);
    });
  }
  if (material.timestampVerificationData === undefined) return;
  const data = record(material.timestampVerificationData, 'verificationMaterial.timestampVerificationData', [
    'rfc3161Timestamps',
  ]);
  if (data.rfc3161Timestamps === undefined) return;
  list(data.rfc3161Timestamps, 'timestampVerificationData.rfc3161Timestamps').forEach((stamp, i) => {
    const field = `rfc3161Timestamps[${i}]`;
    decodeBase64(record(stamp, field, ['signedTimestamp']).signedTimestamp, `${field}.signedTimestamp`);
  });
}

function readEnvelope(value: unknown): Envelope {
  const envelope = record(value, 'dsseEnvelope', ['payload', 'payloadType', 'signatures']);
  const payload = decodeBase64(envelope.payload, 'dsseEnvelope.payload');
  const payloadType = envelope.payloadType;
  if (typeof payloadType !== 'string') return invalid('dsseEnvelope.payloadType is missing or not a string');
  const signatures = list(envelope.signatures, 'dsseEnvelope.signatures');
  if (signatures.length !== 1) {
    invalid(`dsseEnvelope.signatures must hold exactly one signature, found ${signatures.length}`);
  }
  const first = record(signatures[0], 'dsseEnvelope.signatures[0]', ['sig', 'keyid']);
  optionalString(first.keyid, 'signatures[0].keyid');
  return { payload, payloadType, signature: decodeBase64(first.sig, 'dsseEnvelope.signatures[0].sig') };
}

function parseJson(input: Uint8Array | string): unknown {
  let text = '';
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    invalid('the signature file is not UTF-8 text');
  }
  if (text.trim() === '') invalid('the signature file is empty');
  try {
    return JSON.parse(text);
  } catch (error) {
    return invalid(`the signature file is not JSON (${(error as Error).message})`);
  }
}

/**
 * Reads a signature bundle (`model.sig`: its bytes, its text or its parsed JSON) by the format's rules. Trust
 * is not established here.
 */
export function readBundle(input: Uint8Array | string | Record<string, unknown>): ParsedBundle {
  const value = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input) : input;
  const root = record(value, 'the bundle', [
    'mediaType',
    'verificationMaterial',
    'dsseEnvelope',
    'messageSignature',
  ]);
  const mediaType = root.mediaType;
  if (typeof mediaType !== 'string') return invalid('mediaType is missing or not a string');
  if (!ACCEPTED_MEDIA_TYPES.includes(mediaType)) invalid(`unknown media type ${JSON.stringify(mediaType)}`);
  if (root.messageSignature !== undefined) {
    invalid('it holds a message signature; model signatures are DSSE envelopes');
  }
  const material = record(root.verificationMaterial, 'verificationMaterial', MATERIAL_FIELDS);
  const content = readContent(material);
  checkLogAndTimestamps(material, content);
  if (root.dsseEnvelope === undefined) invalid('dsseEnvelope is missing');
  return { mediaType, content, envelope: readEnvelope(root.dsseEnvelope) };
}

/** The method that made a bundle, as the CLI names it. */
export function bundleMethod(content: BundleContent): 'key' | 'certificate' | 'sigstore' {
  if (content.kind === 'publicKey') return 'key';
  return content.kind === 'x509CertificateChain' ? 'certificate' : 'sigstore';
}

/**
 * Refuses a bundle the key or certificate method cannot verify: another media type than the one the Python
 * tool writes (checked first, as in Node.js), or another method than `expected`, named in the message
 * (decision 12).
 */
export function requireKeyBundle(bundle: ParsedBundle, expected: 'key' | 'certificate'): void {
  if (bundle.mediaType !== KEY_BUNDLE_MEDIA_TYPE) {
    fail(
      'INVALID_BUNDLE',
      `Invalid sigstore bundle, got media type ${bundle.mediaType} but expected ${KEY_BUNDLE_MEDIA_TYPE}`,
    );
  }
  const actual = bundleMethod(bundle.content);
  if (actual !== expected) {
    fail(
      'WRONG_METHOD',
      `The signature was made with the ${actual} method but is being verified with the ${expected} method; use \`verify ${actual}\``,
    );
  }
}
