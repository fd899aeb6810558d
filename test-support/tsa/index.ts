/**
 * A real RFC 3161 time-stamp authority for tests: OpenSSL's own `openssl ts -reply` behind a node:http server
 * on 127.0.0.1, with a root CA and TSA certificates made by openssl when the test runs. Nothing here contacts
 * another host.
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { openssl, opensslIssue, opensslRequest, opensslRoot } from '../openssl-ca.js';

/** Which TSA certificate the authority signs with. */
export type TsaKind =
  /** A valid TSA certificate: extendedKeyUsage timeStamping, critical. */
  | 'valid'
  /** A TSA certificate without extendedKeyUsage (the token is re-signed with `openssl cms`: `ts` refuses it). */
  | 'no-eku'
  /** A TSA certificate valid only in 2020, so today's genTime lies outside it. */
  | 'expired'
  /** A valid TSA certificate, but the token is re-signed with `openssl cms`, without the ESS attribute. */
  | 'no-ess';

/** The files of one test TSA. */
export interface TsaPki {
  /** Its directory. */
  readonly dir: string;
  /** The root CA certificate (PEM file): what a verifier trusts. */
  readonly rootPem: string;
  /** The TSA certificate then the root (PEM file): the `--timestamp-authority CHAIN.pem` form. */
  readonly chainPem: string;
  /** The TSA signing certificate (PEM file). */
  readonly tsaPem: string;
  /** The certificates' subject prefix (`CN=<name> TSA`, `CN=<name> Root`). */
  readonly name: string;
  /** Which TSA certificate signs. */
  readonly kind: TsaKind;
}

const TSA_EXTENSIONS = (eku: boolean) => [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  ...(eku ? ['extendedKeyUsage=critical,timeStamping'] : []),
  'subjectKeyIdentifier=hash',
  'authorityKeyIdentifier=keyid',
];

const TS_CONFIG = `[tsa]
default_tsa = tsa_config
[tsa_config]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
`;

/** Makes a root CA and a TSA certificate of `kind` (its key P-256 or RSA) with openssl in `dir/<name>`. */
export async function makeTsaPki(
  dir: string,
  name: string,
  kind: TsaKind = 'valid',
  key: 'p256' | 'rsa' = 'p256',
): Promise<TsaPki> {
  const home = path.join(dir, name.replace(/[^A-Za-z0-9_-]/g, '_'));
  mkdirSync(home, { recursive: true });
  await opensslRoot(home, `/CN=${name} Root`);
  await opensslRequest(home, 'tsa', `/CN=${name} TSA`, key);
  const tsa = { csr: 'tsa.csr', extensions: TSA_EXTENSIONS(true), serial: 2 };
  // The certificate `openssl ts` signs with; 'no-eku' tokens are re-signed with an EKU-less one, and
  // `openssl x509` of OpenSSL 3.0 cannot set the past dates of 'expired' (`openssl ca` can).
  await opensslIssue(home, {
    ...tsa,
    out: 'ts-signer.pem',
    validity:
      kind === 'expired' ? { start: new Date('2020-01-01Z'), end: new Date('2021-01-01Z') } : { days: 10 },
  });
  if (kind === 'no-eku') {
    await opensslIssue(home, {
      ...tsa,
      extensions: TSA_EXTENSIONS(false),
      serial: 3,
      out: 'tsa.pem',
      validity: { days: 10 },
    });
  } else {
    writeFileSync(path.join(home, 'tsa.pem'), readFileSync(path.join(home, 'ts-signer.pem')));
  }
  writeFileSync(path.join(home, 'ts.cnf'), TS_CONFIG);
  writeFileSync(path.join(home, 'tsaserial'), '01\n');
  const chain = `${readFileSync(path.join(home, 'tsa.pem'), 'utf8')}${readFileSync(path.join(home, 'root.pem'), 'utf8')}`;
  writeFileSync(path.join(home, 'chain.pem'), chain);
  return {
    dir: home,
    rootPem: path.join(home, 'root.pem'),
    chainPem: path.join(home, 'chain.pem'),
    tsaPem: path.join(home, 'tsa.pem'),
    name,
    kind,
  };
}

/** A running TSA. */
export interface RunningTsa {
  /** The URL to POST `application/timestamp-query` to. */
  readonly url: string;
  /** Requests answered so far. */
  readonly requests: () => number;
  /** Stops the server. */
  close(): Promise<void>;
}

/** Options of {@link startTsa}. */
export interface StartTsaOptions {
  /** Answer every request with this HTTP status instead (a failing authority). */
  readonly failWithStatus?: number;
  /** Answer every request with the first reply it made (a replaying authority). */
  readonly replayFirst?: boolean;
}

/** Wraps a TimeStampToken in a granted TimeStampResp: SEQUENCE { PKIStatusInfo { 0 }, token }. */
function grantedResponse(token: Buffer): Buffer {
  const status = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);
  const body = Buffer.concat([status, token]);
  const length =
    body.length < 0x80
      ? Buffer.from([body.length])
      : body.length < 0x100
        ? Buffer.from([0x81, body.length])
        : Buffer.from([0x82, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

/** Signs one query with `openssl ts -reply` (for 'no-eku' and 'no-ess', re-signs the TSTInfo with `openssl cms`). */
async function reply(pki: TsaPki, query: Buffer, n: number): Promise<Buffer> {
  const q = `q${n}.tsq`;
  const r = `r${n}.tsr`;
  writeFileSync(path.join(pki.dir, q), query);
  await openssl(pki.dir, [
    'ts',
    '-reply',
    '-config',
    'ts.cnf',
    '-queryfile',
    q,
    '-signer',
    'ts-signer.pem',
    '-inkey',
    'tsa.key',
    '-out',
    r,
  ]);
  if (pki.kind !== 'no-eku' && pki.kind !== 'no-ess') return readFileSync(path.join(pki.dir, r));
  const token = `t${n}.der`;
  const info = `i${n}.der`;
  const resigned = `s${n}.der`;
  await openssl(pki.dir, ['ts', '-reply', '-in', r, '-token_out', '-out', token]);
  await openssl(pki.dir, [
    'cms',
    '-verify',
    '-noverify',
    '-inform',
    'DER',
    '-in',
    token,
    '-binary',
    '-out',
    info,
  ]);
  await openssl(pki.dir, [
    'cms',
    '-sign',
    '-binary',
    '-nodetach',
    '-in',
    info,
    '-econtent_type',
    '1.2.840.113549.1.9.16.1.4',
    '-signer',
    'tsa.pem',
    '-inkey',
    'tsa.key',
    '-md',
    'sha256',
    '-outform',
    'DER',
    '-nosmimecap',
    '-out',
    resigned,
  ]);
  return grantedResponse(readFileSync(path.join(pki.dir, resigned)));
}

/** Starts a TSA for `pki` on 127.0.0.1 (a free port). */
export async function startTsa(pki: TsaPki, options: StartTsaOptions = {}): Promise<RunningTsa> {
  let count = 0;
  let first: Buffer | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      count++;
      if (options.failWithStatus) {
        response.writeHead(options.failWithStatus).end();
        return;
      }
      if (request.method !== 'POST' || request.headers['content-type'] !== 'application/timestamp-query') {
        response.writeHead(415).end();
        return;
      }
      const answer =
        first && options.replayFirst ? Promise.resolve(first) : reply(pki, Buffer.concat(chunks), count);
      answer.then(
        (der) => {
          first ??= der;
          response.writeHead(200, { 'content-type': 'application/timestamp-reply' }).end(der);
        },
        (error: Error) => response.writeHead(500).end(error.message),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The independent check: `openssl ts -verify` of a DER TimeStampResp over `data` against `rootPem` (the TSA
 * certificate comes from the token). Returns openssl's output; throws when verification fails.
 */
export async function opensslVerifyTimestamp(
  dir: string,
  response: Uint8Array,
  data: Uint8Array,
  rootPem: string,
): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const name = `check-${Date.now()}-${Math.random().toString(16).slice(2)}`;
  writeFileSync(path.join(dir, `${name}.tsr`), response);
  writeFileSync(path.join(dir, `${name}.bin`), data);
  return openssl(dir, ['ts', '-verify', '-in', `${name}.tsr`, '-data', `${name}.bin`, '-CAfile', rootPem]);
}

/** `openssl ts -reply -text` of a DER TimeStampResp (to read genTime and the imprint independently). */
export async function opensslTimestampText(dir: string, response: Uint8Array): Promise<string> {
  const name = `text-${Date.now()}-${Math.random().toString(16).slice(2)}.tsr`;
  writeFileSync(path.join(dir, name), response);
  return openssl(dir, ['ts', '-reply', '-in', name, '-text']);
}
