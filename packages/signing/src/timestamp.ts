/**
 * RFC 3161 timestamps for key and certificate signatures: the DSSE signature bytes are sent to each time-stamp
 * authority and the replies go into the bundle where Sigstore bundles keep them.
 *
 * The client is written on pkijs rather than @sigstore/sign's `TSAWitness`: that witness speaks only the
 * Sigstore timestamp service's JSON API (`POST /api/v1/timestamp`), while the authorities users run or buy
 * speak RFC 3161's own HTTP transport (`application/timestamp-query`, section 3.4), which pkijs encodes.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { SigningError } from '@model-signing/core';

/** What a signer needs to timestamp its signatures. */
export interface TimestampOptions {
  /**
   * RFC 3161 time-stamp authority URLs (HTTP POST of `application/timestamp-query`). Each one timestamps the
   * DSSE signature and every token goes into `verificationMaterial.timestampVerificationData`.
   */
  readonly timestampServers?: readonly string[];
  /** How long one authority may take to answer, in milliseconds (default 30 s). */
  readonly timestampTimeoutMs?: number;
}

/** One entry of `timestampVerificationData.rfc3161Timestamps`: a base64 DER TimeStampResp. */
export interface Rfc3161TimestampJson {
  /** The base64 DER `TimeStampResp`, as the Sigstore bundle format stores it. */
  readonly signedTimestamp: string;
}

const SHA256_OID = '2.16.840.1.101.3.4.2.1';
const TST_INFO_OID = '1.2.840.113549.1.9.16.1.4';
const DEFAULT_TIMEOUT_MS = 30_000;

type Pkijs = typeof import('pkijs');
type Asn1js = typeof import('asn1js');

// pkijs is loaded only when a signature is timestamped: it is large and most signing runs have no TSA.
async function load(): Promise<{ pkijs: Pkijs; asn1js: Asn1js }> {
  const [pkijs, asn1js] = await Promise.all([import('pkijs'), import('asn1js')]);
  return { pkijs, asn1js };
}

const fail = (url: string, why: string, cause?: unknown): never => {
  throw new SigningError(
    'TIMESTAMP_ERROR',
    `The timestamp server ${url} ${why}; check the --timestamp-server URL or leave it out`,
    cause === undefined ? undefined : { cause },
  );
};

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // Credentials in the URL must not reach a message.
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return JSON.stringify(url);
  }
}

/** Checks the URLs early, so that a typo fails before the model is hashed. */
export function checkTimestampServers(urls: readonly string[]): void {
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new SigningError(
        'CONFIG_ERROR',
        `The timestamp server ${JSON.stringify(url)} is not a URL; give an http:// or https:// URL`,
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SigningError(
        'CONFIG_ERROR',
        `The timestamp server ${describeUrl(url)} is not an http:// or https:// URL`,
      );
    }
  }
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * Asks the authority at `url` for a timestamp over `signature` (message imprint: SHA-256 of the bytes) and
 * returns the DER `TimeStampResp`. The reply must be granted, carry a SignedData TSTInfo token, and echo the
 * imprint and the nonce; its trust is established by the verifier, not here.
 */
export async function requestTimestamp(
  url: string,
  signature: Uint8Array,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Uint8Array> {
  const where = describeUrl(url);
  const { pkijs, asn1js } = await load();
  const imprint = createHash('sha256').update(signature).digest();
  const nonce = randomBytes(8);
  // A positive INTEGER with no leading zero byte, so its DER encoding is the 8 bytes as they are.
  nonce[0] = ((nonce[0] as number) & 0x7f) | 0x40;
  const request = new pkijs.TimeStampReq({
    version: 1,
    messageImprint: new pkijs.MessageImprint({
      hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_OID }),
      hashedMessage: new asn1js.OctetString({ valueHex: toArrayBuffer(imprint) }),
    }),
    nonce: new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }),
    certReq: true,
  });
  const body = new Uint8Array(request.toSchema().toBER());
  let reply: Uint8Array;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/timestamp-query', accept: 'application/timestamp-reply' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) fail(where, `answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    reply = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    if (error instanceof SigningError) throw error;
    const cause = (error as Error).cause as Error | undefined;
    return fail(where, `cannot be reached (${cause?.message ?? (error as Error).message})`, error);
  }
  checkReply(pkijs, asn1js, reply, imprint, nonce, where);
  return reply;
}

function checkReply(
  pkijs: Pkijs,
  asn1js: Asn1js,
  reply: Uint8Array,
  imprint: Uint8Array,
  nonce: Uint8Array,
  where: string,
): void {
  let response: InstanceType<Pkijs['TimeStampResp']>;
  try {
    response = pkijs.TimeStampResp.fromBER(toArrayBuffer(reply));
  } catch (error) {
    fail(where, 'answered with something that is not an RFC 3161 TimeStampResp', error);
    return;
  }
  const status = response.status.status;
  if (status !== 0 && status !== 1) {
    const text = response.status.statusStrings?.map((s) => s.valueBlock.value).join('; ');
    fail(where, `refused the request (PKIStatus ${status}${text ? `: ${text}` : ''})`);
  }
  const token = response.timeStampToken;
  if (!token) {
    fail(where, 'granted the request but sent no token');
    return;
  }
  let info: InstanceType<Pkijs['TSTInfo']>;
  try {
    const signed = new pkijs.SignedData({ schema: token.content });
    if (signed.encapContentInfo.eContentType !== TST_INFO_OID || !signed.encapContentInfo.eContent) {
      throw new Error('the token does not hold a TSTInfo');
    }
    info = pkijs.TSTInfo.fromBER(signed.encapContentInfo.eContent.getValue());
  } catch (error) {
    fail(where, `sent a malformed token (${(error as Error).message})`, error);
    return;
  }
  const hashed = new Uint8Array(info.messageImprint.hashedMessage.valueBlock.valueHexView);
  if (!Buffer.from(hashed).equals(Buffer.from(imprint))) {
    fail(where, 'timestamped other data than the signature sent');
  }
  const echoed = info.nonce ? new Uint8Array(info.nonce.valueBlock.valueHexView) : undefined;
  const expected = new asn1js.Integer({ valueHex: toArrayBuffer(nonce) }).valueBlock.valueHexView;
  if (!echoed || !Buffer.from(echoed).equals(Buffer.from(expected))) {
    fail(where, 'did not echo the request nonce (a replayed or foreign reply)');
  }
}

/** Timestamps `signature` with every server, in order, and returns the bundle entries. */
export async function timestampSignature(
  signature: Uint8Array,
  options: TimestampOptions,
): Promise<Rfc3161TimestampJson[]> {
  const entries: Rfc3161TimestampJson[] = [];
  for (const url of options.timestampServers ?? []) {
    const reply = await requestTimestamp(url, signature, options.timestampTimeoutMs);
    entries.push({ signedTimestamp: Buffer.from(reply).toString('base64') });
  }
  return entries;
}
