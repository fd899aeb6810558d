import { readFile } from 'node:fs/promises';
import { fileErrorReason } from '@model-signing/manifest';
import { SigningConfig, TrustedRoot } from '@sigstore/protobuf-specs';
import { SigstoreError } from './errors.js';

/** Trusted-root media types the verifier understands. */
export const TRUSTED_ROOT_MEDIA_TYPES: readonly string[] = [
  'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  'application/vnd.dev.sigstore.trustedroot.v0.2+json',
];

/** The signing-config media type the signer understands (service lists with API versions and selectors). */
export const SIGNING_CONFIG_MEDIA_TYPE = 'application/vnd.dev.sigstore.signingconfig.v0.2+json';

/** What a Sigstore instance's trust material consists of. */
export interface SigstoreTrust {
  /** Keys and certificates of the CAs, transparency logs, CT logs and TSAs: all verification needs. */
  readonly trustedRoot: TrustedRoot;
  /** Service URLs for signing; absent in a verify-only trust config. */
  readonly signingConfig?: SigningConfig;
  /** Where this came from, for messages (a file path or an instance URL). */
  readonly source: string;
}

const snakeToCamel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Renames proto snake_case keys to camelCase recursively. ts-proto's `fromJSON` reads only camelCase and silently
 * drops the rest, so the Python fixture's `signing_config` would vanish. These protos have no map fields, so every
 * object key is a field name; enum values (`SHA2_256`) are values and stay untouched.
 */
export function normaliseProtoJsonKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normaliseProtoJsonKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[snakeToCamel(key)] = normaliseProtoJsonKeys(inner);
    return out;
  }
  return value;
}

/** Parses and checks a trusted root (`TrustedRoot` proto JSON, either key spelling). */
export function parseTrustedRoot(json: unknown, source: string): TrustedRoot {
  const root = TrustedRoot.fromJSON(normaliseProtoJsonKeys(json));
  if (!TRUSTED_ROOT_MEDIA_TYPES.includes(root.mediaType)) {
    throw new SigstoreError(
      'TRUST_CONFIG_ERROR',
      `${source}: unsupported trusted root format: ${root.mediaType || '(none)'}`,
    );
  }
  return root;
}

/** Parses and checks a signing config (`SigningConfig` v0.2 proto JSON, either key spelling). */
export function parseSigningConfig(json: unknown, source: string): SigningConfig {
  const config = SigningConfig.fromJSON(normaliseProtoJsonKeys(json));
  if (config.mediaType !== SIGNING_CONFIG_MEDIA_TYPE) {
    throw new SigstoreError(
      'TRUST_CONFIG_ERROR',
      `${source}: unsupported signing config format: ${config.mediaType || '(none)'}`,
    );
  }
  return config;
}

/**
 * Parses a ClientTrustConfig object (`trustedRoot` + optional `signingConfig`; snake_case keys such as
 * `signing_config` accepted). The outer media type is not checked, as in the Python tool.
 */
export function parseClientTrustConfig(json: unknown, source: string): SigstoreTrust {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new SigstoreError('TRUST_CONFIG_ERROR', `${source}: a trust config must be a JSON object`);
  }
  const normalised = normaliseProtoJsonKeys(json) as { trustedRoot?: unknown; signingConfig?: unknown };
  if (normalised.trustedRoot === undefined || normalised.trustedRoot === null) {
    throw new SigstoreError('TRUST_CONFIG_ERROR', `${source}: the trust config has no trustedRoot`);
  }
  const trustedRoot = parseTrustedRoot(normalised.trustedRoot, source);
  if (normalised.signingConfig === undefined || normalised.signingConfig === null)
    return { trustedRoot, source };
  return { trustedRoot, signingConfig: parseSigningConfig(normalised.signingConfig, source), source };
}

/** Reads and parses a ClientTrustConfig JSON file (`--trust-config`). */
export async function loadClientTrustConfig(path: string): Promise<SigstoreTrust> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const reason = fileErrorReason(error);
    throw new SigstoreError('TRUST_CONFIG_ERROR', `Cannot read trust config ${path}: ${reason}`, {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SigstoreError(
      'TRUST_CONFIG_ERROR',
      `Trust config ${path} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseClientTrustConfig(json, path);
}
