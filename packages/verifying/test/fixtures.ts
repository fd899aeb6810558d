import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** The read-only shared fixtures beside the checkout. */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
/** The Python tool's golden signatures (`scripts/tests` upstream). */
export const SIGNATURES = path.join(FIXTURES, 'python-upstream/signatures');
/** The test keys and certificates. */
export const KEYS = path.join(SIGNATURES, 'keys/certificate');
/** The P-384 public key of the key goldens. */
export const PUBLIC_KEY = path.join(KEYS, 'signing-key-pub.pem');
/** The root CA of the certificate goldens. */
export const CA_CERT = path.join(KEYS, 'ca-cert.pem');

/** A key or certificate golden and how §10.3 verifies it. */
export interface Golden {
  /** Directory under {@link SIGNATURES}. */
  readonly dir: string;
  /** `key` or `certificate`. */
  readonly method: 'key' | 'certificate';
  /** The model path, relative to {@link SIGNATURES}. */
  readonly model: string;
  /** Extra `--ignore-paths`, relative to {@link SIGNATURES}. */
  readonly ignore: readonly string[];
  /** Whether the bundle predates the key hint (old-format warning). */
  readonly oldKeyFormat?: boolean;
}

/** Every key and certificate golden with the arguments of format-and-behaviour §10.3. */
export const GOLDENS: readonly Golden[] = [
  { dir: 'v0.2.0-certificate', method: 'certificate', model: 'v0.2.0-certificate', ignore: [] },
  { dir: 'v0.3.1-certificate', method: 'certificate', model: 'v0.3.1-certificate', ignore: [] },
  {
    dir: 'v0.3.1-elliptic-key',
    method: 'key',
    model: 'v0.3.1-elliptic-key/signme-1',
    ignore: [],
    oldKeyFormat: true,
  },
  { dir: 'v1.0.0-certificate', method: 'certificate', model: 'v1.0.0-certificate', ignore: [] },
  {
    dir: 'v1.0.0-elliptic-key',
    method: 'key',
    model: 'v1.0.0-elliptic-key/signme-1',
    ignore: [],
    oldKeyFormat: true,
  },
  {
    dir: 'v1.0.1-certificate',
    method: 'certificate',
    model: 'v1.0.1-certificate',
    ignore: ['v1.0.1-certificate/ignore-me'],
  },
  {
    dir: 'v1.0.1-elliptic-key',
    method: 'key',
    model: 'v1.0.1-elliptic-key',
    ignore: ['v1.0.1-elliptic-key/ignore-me'],
    oldKeyFormat: true,
  },
  { dir: 'v1.1.0-certificate', method: 'certificate', model: 'v1.1.0-certificate', ignore: [] },
  { dir: 'v1.1.0-elliptic-key', method: 'key', model: 'v1.1.0-elliptic-key', ignore: [] },
];
