import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FIXTURES } from '../../../test-support/paths.js';

export { FIXTURES, REPO_ROOT } from '../../../test-support/paths.js';
export { writeModel } from '../../../test-support/write-model.js';

/** The test keys and certificates of the Python tool. */
export const KEYS = path.join(FIXTURES, 'python-upstream/signatures/keys/certificate');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ms-signing-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The OpenSSL names of the three curves. */
export const CURVES = [
  { curve: 'P-256', openssl: 'prime256v1', hash: 'sha256' },
  { curve: 'P-384', openssl: 'secp384r1', hash: 'sha384' },
  { curve: 'P-521', openssl: 'secp521r1', hash: 'sha512' },
] as const;

/** A new EC key pair with PEM exports. */
export function ecKeyPair(namedCurve: string): {
  privateKey: KeyObject;
  privatePem: string;
  publicPem: string;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return {
    privateKey,
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
