/** A throw-away CA and a server certificate for 127.0.0.1 / localhost / ::1, made with openssl. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './tools.js';

/** PEM files of a test CA and a loopback server certificate. */
export interface TestPki {
  /** CA certificate file. */
  readonly caFile: string;
  /** CA certificate PEM. */
  readonly caPem: string;
  /** Server certificate file. */
  readonly certFile: string;
  /** Server key file. */
  readonly keyFile: string;
}

/** Creates the CA and server certificate in `dir`. */
export function makePki(dir: string): TestPki {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', caKey]);
  run('openssl', [
    'req',
    '-x509',
    '-new',
    '-key',
    caKey,
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=model-signing test CA',
    '-out',
    caFile,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile]);
  run('openssl', ['req', '-new', '-key', keyFile, '-subj', '/CN=127.0.0.1', '-out', csr]);
  writeFileSync(
    ext,
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n',
  );
  run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    ext,
    '-out',
    certFile,
  ]);
  return { caFile, caPem: readFileSync(caFile, 'utf8'), certFile, keyFile };
}
