/**
 * A small certificate authority run with the openssl CLI, for tests that need certificates made by an
 * independent tool: a self-signed root, keys with requests, and certificates with any extensions and either a
 * number of days from now or exact dates (`openssl ca`, since `openssl x509` of OpenSSL 3.0 cannot set dates).
 * @module
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs openssl in `cwd` and returns what it printed; rejects with its stderr when it fails. */
export async function openssl(cwd: string, args: readonly string[]): Promise<string> {
  const { stdout, stderr } = await run('openssl', args, { cwd });
  return `${stdout}${stderr}`;
}

/** Makes `root.key` and a self-signed CA certificate `root.pem` (30 days) named `subject` in `dir`. */
export async function opensslRoot(dir: string, subject: string): Promise<void> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'root.key']);
  await openssl(dir, [
    ...['req', '-new', '-x509', '-key', 'root.key', '-subj', subject, '-days', '30', '-out', 'root.pem'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
}

/** Makes the key `<name>.key` (P-256, or RSA 2048) and its certificate request `<name>.csr` for `subject`. */
export async function opensslRequest(
  dir: string,
  name: string,
  subject: string,
  key: 'p256' | 'rsa' = 'p256',
): Promise<void> {
  await openssl(
    dir,
    key === 'rsa'
      ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`]
      : ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`],
  );
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`]);
}

/** What {@link opensslIssue} makes. */
export interface IssueOptions {
  /** The request file (from {@link opensslRequest}). */
  readonly csr: string;
  /** The certificate file to write. */
  readonly out: string;
  /** The extensions, one `name=value` a line. */
  readonly extensions: readonly string[];
  /** The serial number. */
  readonly serial: number;
  /** Days from now, or exact dates. */
  readonly validity: { readonly days: number } | { readonly start: Date; readonly end: Date };
  /** Certify this PEM public key instead of the request's (a key openssl cannot hold, on a token). */
  readonly publicKey?: string;
}

const asn1Time = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

/** Issues a certificate from `root.pem`/`root.key` in `dir`. */
export async function opensslIssue(dir: string, options: IssueOptions): Promise<void> {
  const base = path.basename(options.out, '.pem');
  if ('days' in options.validity) {
    writeFileSync(path.join(dir, `${base}.ext`), `${options.extensions.join('\n')}\n`);
    await openssl(dir, [
      ...['x509', '-req', '-in', options.csr, '-CA', 'root.pem', '-CAkey', 'root.key'],
      ...['-set_serial', String(options.serial), '-days', String(options.validity.days)],
      ...['-extfile', `${base}.ext`, '-out', options.out],
      ...(options.publicKey ? ['-force_pubkey', options.publicKey] : []),
    ]);
    return;
  }
  const config = [
    ...['[ca]', 'default_ca = test_ca', '[test_ca]', `database = ./${base}.index`, 'new_certs_dir = .'],
    ...[`serial = ./${base}.serial`, 'default_md = sha256', 'policy = any', 'unique_subject = no'],
    ...['[any]', 'commonName = supplied', '[extensions]', ...options.extensions],
  ];
  writeFileSync(path.join(dir, `${base}.cnf`), `${config.join('\n')}\n`);
  writeFileSync(path.join(dir, `${base}.index`), '');
  writeFileSync(path.join(dir, `${base}.serial`), `${options.serial.toString(16).padStart(2, '0')}\n`);
  await openssl(dir, [
    ...['ca', '-batch', '-config', `${base}.cnf`, '-cert', 'root.pem', '-keyfile', 'root.key'],
    ...['-in', options.csr, '-out', options.out, '-notext', '-extensions', 'extensions'],
    ...['-startdate', asn1Time(options.validity.start), '-enddate', asn1Time(options.validity.end)],
  ]);
}
