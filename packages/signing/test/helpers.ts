import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The read-only shared fixtures beside the checkout. */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
/** The test keys and certificates of the Python tool. */
export const KEYS = path.join(FIXTURES, 'python-upstream/signatures/keys/certificate');

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ms-signing-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a small model (`files` maps relative names to contents) under `root/name`. */
export function writeModel(root: string, files: Record<string, string>, name = 'model'): string {
  const model = path.join(root, name);
  mkdirSync(model, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(model, rel)), { recursive: true });
    writeFileSync(path.join(model, rel), content);
  }
  return model;
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
