// The bundle reader is written here rather than taken from @sigstore/bundle: its v0.3 validator rejects the
// `x509CertificateChain` bundles the Python tool writes for the certificate method, and the Python reader's
// rules (format-and-behaviour §6.6–§6.7: old key-bundle shapes, strict padding, exact media types) are what
// decides interoperability.
import { DEFAULT_MAX_SIGNATURE_BYTES, RegularFileError, readRegularFile } from '@model-signing/hashing';
import { JsonTextError, parseJsonText } from '@model-signing/manifest';
import { decodeBase64Strict } from './base64.js';
import { VerificationError } from './errors.js';

/** The bundle media types the Python reader accepts. */
export const ACCEPTED_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle.v0.3+json',
];

/** The only media type the key and certificate methods accept (as the Python tool). */
export const KEY_BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

/** The verification material of a bundle: which method made it and its key or certificates. */
export type BundleContent =
  | {
      /** Key method. */
      readonly kind: 'publicKey';
      /** The key hint; absent (or empty) in bundles older than v1.1.0. */
      readonly hint: string | undefined;
    }
  | {
      /** Certificate method: leaf first, then untrusted intermediates. */
      readonly kind: 'x509CertificateChain';
      /** DER certificates. */
      readonly certificates: readonly Uint8Array[];
    }
  | {
      /** Sigstore keyless: the single Fulcio leaf. */
      readonly kind: 'certificate';
      /** DER certificate. */
      readonly certificate: Uint8Array;
    };

/** One DSSE signature. */
export interface DsseSignature {
  /** The DER ECDSA signature bytes. */
  readonly sig: Uint8Array;
  /** The key id; never checked. */
  readonly keyid: string | null | undefined;
}

/** The DSSE envelope of a bundle, base64 decoded. */
export interface DsseEnvelope {
  /** The exact signed payload bytes. */
  readonly payload: Uint8Array;
  /** The declared payload type. */
  readonly payloadType: string;
  /** Exactly one signature. */
  readonly signatures: readonly [DsseSignature];
}

/** A bundle read by {@link readBundle}: checked against the format's rules, payload decoded. */
export interface ParsedBundle {
  /** The bundle media type (one of {@link ACCEPTED_MEDIA_TYPES}). */
  readonly mediaType: string;
  /** The verification material. */
  readonly content: BundleContent;
  /** The DSSE envelope. */
  readonly envelope: DsseEnvelope;
  /**
   * The bundle JSON after the Python reader's normalisation (missing `tlogEntries` → `[]` for key and
   * certificate bundles; legacy `publicKey.rawBytes`/`keyDetails` removed). What Sigstore libraries get.
   */
  readonly json: Record<string, unknown>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// A value of the signature file in a message, only when it has the shape of what it should be (a field name,
// a media type): the file may be anything the path points at, a secret included.
const quoted = (value: string, shape: RegExp): string => (shape.test(value) ? `'${value}'` : '(not shown)');
// Sigstore's fields are camelCase; a name with `_` or `-`, or a long one, is not shown.
const FIELD_NAME = /^[a-z][A-Za-z0-9]{0,31}$/;
const MEDIA_TYPE = /^application\/[A-Za-z0-9.+=;-]{1,80}$/;

const invalid = (why: string): never => {
  throw new VerificationError('INVALID_BUNDLE', `Invalid bundle: ${why}`);
};

function object(value: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (!isRecord(value)) return invalid(`${field} is missing or not an object`);
  for (const key of Object.keys(value)) {
    // The Python reader (strict pydantic models) rejects unknown fields; a bundle it refuses is refused here.
    if (!allowed.includes(key)) invalid(`unknown field ${quoted(key, FIELD_NAME)} in ${field}`);
  }
  return value;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) return invalid(`${field} is missing or not a list`);
  return value;
}

const TLOG_ENTRY_FIELDS = [
  'logIndex',
  'logId',
  'kindVersion',
  'integratedTime',
  'inclusionPromise',
  'inclusionProof',
  'canonicalizedBody',
];

function parseContent(material: Record<string, unknown>): BundleContent {
  const present = ['publicKey', 'x509CertificateChain', 'certificate'].filter(
    (k) => material[k] !== undefined,
  );
  if (present.length !== 1) {
    invalid(
      present.length === 0
        ? 'verificationMaterial has no publicKey, x509CertificateChain or certificate'
        : `verificationMaterial has more than one of ${present.join(', ')}`,
    );
  }
  if (material.publicKey !== undefined) {
    const key = object(material.publicKey, 'verificationMaterial.publicKey', [
      'hint',
      'rawBytes',
      'keyDetails',
    ]);
    const hint = key.hint;
    if (hint !== undefined && hint !== null && typeof hint !== 'string')
      invalid('publicKey.hint is not a string');
    return { kind: 'publicKey', hint: typeof hint === 'string' && hint !== '' ? hint : undefined };
  }
  if (material.x509CertificateChain !== undefined) {
    const chain = object(material.x509CertificateChain, 'verificationMaterial.x509CertificateChain', [
      'certificates',
    ]);
    const list = array(chain.certificates, 'x509CertificateChain.certificates');
    if (list.length === 0) invalid('x509CertificateChain.certificates is empty');
    const certificates = list.map((entry, i) =>
      decodeBase64Strict(
        object(entry, `x509CertificateChain.certificates[${i}]`, ['rawBytes']).rawBytes,
        `x509CertificateChain.certificates[${i}].rawBytes`,
      ),
    );
    return { kind: 'x509CertificateChain', certificates };
  }
  const cert = object(material.certificate, 'verificationMaterial.certificate', ['rawBytes']);
  return { kind: 'certificate', certificate: decodeBase64Strict(cert.rawBytes, 'certificate.rawBytes') };
}

function parseEnvelope(value: unknown): DsseEnvelope {
  const env = object(value, 'dsseEnvelope', ['payload', 'payloadType', 'signatures']);
  const payload = decodeBase64Strict(env.payload, 'dsseEnvelope.payload');
  if (typeof env.payloadType !== 'string') invalid('dsseEnvelope.payloadType is missing or not a string');
  const signatures = array(env.signatures, 'dsseEnvelope.signatures');
  if (signatures.length !== 1) {
    invalid(`dsseEnvelope.signatures must hold exactly one signature, found ${signatures.length}`);
  }
  const signature = object(signatures[0], 'dsseEnvelope.signatures[0]', ['sig', 'keyid']);
  const keyid = signature.keyid;
  if (keyid !== undefined && keyid !== null && typeof keyid !== 'string')
    invalid('signatures[0].keyid is not a string');
  const checkedKeyid = keyid as string | null | undefined;
  return {
    payload,
    payloadType: env.payloadType as string,
    signatures: [
      { sig: decodeBase64Strict(signature.sig, 'dsseEnvelope.signatures[0].sig'), keyid: checkedKeyid },
    ],
  };
}

function parseJson(input: Uint8Array | string): unknown {
  let text: string;
  try {
    // ignoreBOM keeps a byte order mark in the text, for parseJsonText to refuse.
    text =
      typeof input === 'string'
        ? input
        : new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    return invalid('the signature file is not UTF-8 text');
  }
  if (text.trim() === '') return invalid('the signature file is empty');
  try {
    return parseJsonText(text);
  } catch (error) {
    if (!(error instanceof JsonTextError)) throw error;
    return invalid(`the signature file is not JSON: ${error.message}`);
  }
}

/**
 * Reads a signature bundle strictly, by the rules of the Python reader (format §6.6/§6.7): unknown fields,
 * unknown media types, unpadded or non-standard base64, zero or several signatures and message signatures are
 * refused; pre-1.1 key bundles (`publicKey.rawBytes`, no `tlogEntries`) are accepted. Accepts the file bytes,
 * JSON text or an already parsed JSON value. Trust is not established here.
 */
export function readBundle(input: Uint8Array | string | Record<string, unknown>): ParsedBundle {
  const value = typeof input === 'string' || input instanceof Uint8Array ? parseJson(input) : input;
  const root = object(value, 'the bundle', [
    'mediaType',
    'verificationMaterial',
    'dsseEnvelope',
    'messageSignature',
  ]);
  if (typeof root.mediaType !== 'string') invalid('mediaType is missing or not a string');
  const mediaType = root.mediaType as string;
  if (!ACCEPTED_MEDIA_TYPES.includes(mediaType))
    invalid(`unknown media type ${quoted(mediaType, MEDIA_TYPE)}`);
  if (root.messageSignature !== undefined) {
    invalid('it holds a message signature; model signatures are DSSE envelopes');
  }
  const material = object(root.verificationMaterial, 'verificationMaterial', [
    'publicKey',
    'x509CertificateChain',
    'certificate',
    'tlogEntries',
    'timestampVerificationData',
  ]);
  const content = parseContent(material);

  const normalisedMaterial: Record<string, unknown> = { ...material };
  if (material.tlogEntries === undefined) {
    // Python defaults a missing list to [] for key and certificate bundles; Sigstore bundles need their entry.
    if (content.kind === 'certificate') invalid('verificationMaterial.tlogEntries is missing');
    normalisedMaterial.tlogEntries = [];
  }
  array(normalisedMaterial.tlogEntries, 'verificationMaterial.tlogEntries').forEach((entry, i) => {
    object(entry, `verificationMaterial.tlogEntries[${i}]`, TLOG_ENTRY_FIELDS);
  });
  if (material.timestampVerificationData !== undefined) {
    const data = object(
      material.timestampVerificationData,
      'verificationMaterial.timestampVerificationData',
      ['rfc3161Timestamps'],
    );
    if (data.rfc3161Timestamps !== undefined) {
      array(data.rfc3161Timestamps, 'timestampVerificationData.rfc3161Timestamps').forEach((ts, i) => {
        const stamp = object(ts, `rfc3161Timestamps[${i}]`, ['signedTimestamp']);
        decodeBase64Strict(stamp.signedTimestamp, `rfc3161Timestamps[${i}].signedTimestamp`);
      });
    }
  }
  if (content.kind === 'publicKey') {
    const { rawBytes: _raw, keyDetails: _details, ...rest } = material.publicKey as Record<string, unknown>;
    normalisedMaterial.publicKey = rest;
  }
  if (root.dsseEnvelope === undefined) invalid('dsseEnvelope is missing');
  const envelope = parseEnvelope(root.dsseEnvelope);
  return {
    mediaType,
    content,
    envelope,
    json: { mediaType, verificationMaterial: normalisedMaterial, dsseEnvelope: root.dsseEnvelope },
  };
}

/** Options of {@link readBundleFile} and {@link readSignatureFile}. */
export interface ReadBundleFileOptions {
  /** The largest signature file read, in bytes; larger ones are refused. Default 256 MiB. */
  readonly maxBytes?: number | undefined;
}

/**
 * The bytes of the signature file at `path`, which must be a regular file (not a FIFO or a device, which would
 * block or never end) of at most `maxBytes` bytes. Throws a `READ_ERROR` {@link VerificationError} that never
 * quotes the file.
 */
export async function readSignatureFile(
  path: string,
  options: ReadBundleFileOptions = {},
): Promise<Uint8Array> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SIGNATURE_BYTES;
  try {
    return await readRegularFile(path, maxBytes);
  } catch (error) {
    if (!(error instanceof RegularFileError)) throw error;
    const hint =
      error.code === 'TOO_LARGE'
        ? '; if it is a genuine signature, raise the limit (setMaxSignatureBytes)'
        : error.code === 'NOT_REGULAR'
          ? '; give the path of a signature file'
          : '';
    throw new VerificationError(
      'READ_ERROR',
      `Cannot read the signature file ${path}: ${error.message}${hint}`,
      {
        cause: error,
      },
    );
  }
}

/** Reads and parses the signature file at `path` ({@link readSignatureFile}, then {@link readBundle}). */
export async function readBundleFile(
  path: string,
  options: ReadBundleFileOptions = {},
): Promise<ParsedBundle> {
  // Parsed here, so that the file's bytes and text can be collected before the payload is decoded: the three
  // together are what a bundle of a million files would need at once.
  let bytes: Uint8Array | undefined = await readSignatureFile(path, options);
  const json = parseJson(bytes);
  bytes = undefined;
  if (!isRecord(json)) return invalid('the bundle is missing or not an object');
  return readBundle(json);
}

/** Names the method that made a bundle, as the CLI spells it. */
export function bundleMethod(content: BundleContent): 'key' | 'certificate' | 'sigstore' {
  return content.kind === 'publicKey'
    ? 'key'
    : content.kind === 'x509CertificateChain'
      ? 'certificate'
      : 'sigstore';
}
