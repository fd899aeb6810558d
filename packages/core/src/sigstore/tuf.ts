import { cp, lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTUF, type TUF, TUFError } from '@sigstore/tuf';
import { SigstoreError } from './errors.js';
import { STAGING_TUF_ROOT } from './staging-root.js';
import { parseSigningConfig, parseTrustedRoot, type SigstoreTrust } from './trust-config.js';

/** The public-good (production) Sigstore TUF repository. */
export const PRODUCTION_TUF_URL = 'https://tuf-repo-cdn.sigstore.dev';
/** The Sigstore staging TUF repository. */
export const STAGING_TUF_URL = 'https://tuf-repo-cdn.sigstage.dev';

const TRUSTED_ROOT_TARGET = 'trusted_root.json';
const SIGNING_CONFIG_TARGET = 'signing_config.v0.2.json';

/** Network and cache options for TUF operations. */
export interface TufOptions {
  /** Cache directory; default {@link defaultTufCachePath}. */
  readonly cachePath?: string;
  /** Per-request timeout in milliseconds (default 5000). */
  readonly timeoutMs?: number;
  /** Retries per request (default 2). */
  readonly retries?: number;
}

/**
 * Our own TUF cache, never sigstore-js's shared `sigstore-js` directory: `$XDG_DATA_HOME/model-signing/tuf`
 * (default `~/.local/share/model-signing/tuf`) on Linux, `~/Library/Application Support/model-signing/tuf` on
 * macOS, `%LOCALAPPDATA%\model-signing\tuf` on Windows.
 */
export function defaultTufCachePath(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') {
    return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'model-signing', 'tuf');
  }
  if (process.platform === 'darwin') {
    return join(homedir(), 'Library', 'Application Support', 'model-signing', 'tuf');
  }
  const dataHome =
    env.XDG_DATA_HOME && env.XDG_DATA_HOME.length > 0
      ? env.XDG_DATA_HOME
      : join(homedir(), '.local', 'share');
  return join(dataHome, 'model-signing', 'tuf');
}

/** Strips trailing slashes, which would otherwise name a second cache directory for the same instance. */
export function normaliseInstanceUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    throw new SigstoreError('TUF_ERROR', `Invalid instance URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new SigstoreError('TUF_ERROR', `Invalid instance URL (must be http or https): ${url}`);
  }
  return trimmed;
}

const requireFromHere = createRequire(import.meta.url);

/**
 * The production trusted root embedded in `@sigstore/tuf` (its `seeds.json`), read without any network access.
 * It changes only with `@sigstore/tuf` releases; verification of public-good signatures uses it offline.
 */
export function embeddedProductionTrust(): SigstoreTrust {
  const seeds = requireFromHere('@sigstore/tuf/seeds.json') as Record<
    string,
    { targets?: Record<string, string> } | undefined
  >;
  const encoded = seeds[PRODUCTION_TUF_URL]?.targets?.[TRUSTED_ROOT_TARGET];
  if (!encoded)
    throw new SigstoreError('TUF_ERROR', '@sigstore/tuf ships no embedded production trusted root');
  const json: unknown = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  return {
    trustedRoot: parseTrustedRoot(json, 'the embedded production trusted root'),
    source: PRODUCTION_TUF_URL,
  };
}

function tufFailure(url: string, error: unknown, action: string): SigstoreError {
  const reason = error instanceof Error ? error.message : String(error);
  const code = error instanceof TUFError ? ` (${error.code})` : '';
  return new SigstoreError('TUF_ERROR', `${action} for ${url}${code}: ${reason}`, { cause: error });
}

async function readTargets(tuf: TUF, url: string, requireSigningConfig: boolean): Promise<SigstoreTrust> {
  let rootText: string;
  try {
    rootText = await tuf.getTarget(TRUSTED_ROOT_TARGET);
  } catch (error) {
    throw tufFailure(
      url,
      error,
      `Unsupported TUF configuration: no trusted root; reading ${TRUSTED_ROOT_TARGET}`,
    );
  }
  const trustedRoot = parseTrustedRoot(JSON.parse(rootText), `${url} ${TRUSTED_ROOT_TARGET}`);
  let configText: string;
  try {
    configText = await tuf.getTarget(SIGNING_CONFIG_TARGET);
  } catch (error) {
    if (!requireSigningConfig) return { trustedRoot, source: url };
    throw tufFailure(
      url,
      error,
      `Unsupported TUF configuration: no signing config; reading ${SIGNING_CONFIG_TARGET}`,
    );
  }
  const signingConfig = parseSigningConfig(JSON.parse(configText), `${url} ${SIGNING_CONFIG_TARGET}`);
  return { trustedRoot, signingConfig, source: url };
}

function fetchOptions(options: TufOptions): { timeout: number; retry: { retries: number } } {
  return { timeout: options.timeoutMs ?? 5000, retry: { retries: options.retries ?? 2 } };
}

/**
 * Bootstraps trust in a Sigstore instance (`trust-instance --instance URL ROOT_JSON`): a full TUF update from
 * `rootJsonPath`, then both targets (`trusted_root.json`, `signing_config.v0.2.json`) must download and verify.
 * The update runs in a scratch cache that replaces the instance's cached state only on success, so a wrong root
 * never poisons an instance that was trusted before. For the production and staging URLs the embedded roots are
 * used and `rootJsonPath` is ignored, as in the Python tool.
 */
export async function trustInstance(
  instanceUrl: string,
  rootJsonPath: string,
  options: TufOptions = {},
): Promise<SigstoreTrust> {
  const url = normaliseInstanceUrl(instanceUrl);
  const stat = await lstat(rootJsonPath).catch(() => undefined);
  if (!stat?.isFile()) throw new SigstoreError('TUF_ERROR', `ROOT_JSON must be a file: ${rootJsonPath}`);
  const cachePath = options.cachePath ?? defaultTufCachePath();
  const scratch = await mkdtemp(join(tmpdir(), 'model-signing-tuf-'));
  try {
    const rootPath = await anchorFor(url, rootJsonPath, scratch);
    let tuf: TUF;
    try {
      tuf = await initTUF({
        mirrorURL: url,
        cachePath: join(scratch, 'cache'),
        forceInit: true,
        ...fetchOptions(options),
        ...(rootPath ? { rootPath } : {}),
      });
    } catch (error) {
      throw tufFailure(url, error, 'Failed to refresh TUF metadata');
    }
    const trust = await readTargets(tuf, url, true);
    await cp(join(scratch, 'cache'), cachePath, { recursive: true, force: true });
    return trust;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The trust anchor to seed an instance with: embedded for the two public instances, else the user's file. */
async function anchorFor(
  url: string,
  userRoot: string | undefined,
  scratch: string,
): Promise<string | undefined> {
  if (url === PRODUCTION_TUF_URL) return undefined; // @sigstore/tuf seeds it from seeds.json
  if (url === STAGING_TUF_URL) {
    const path = join(scratch, 'staging-root.json');
    await writeFile(path, JSON.stringify(STAGING_TUF_ROOT));
    return path;
  }
  return userRoot;
}

/**
 * Loads an instance's trust material through TUF from our cache (`--instance URL`, `--use-staging`, production
 * signing). Needs network access to the instance's TUF repository. An instance never bootstrapped fails with
 * `INSTANCE_NOT_TRUSTED` naming the `trust-instance` command to run.
 */
export async function loadInstanceTrust(
  instanceUrl: string,
  options: TufOptions & { readonly requireSigningConfig?: boolean } = {},
): Promise<SigstoreTrust> {
  const url = normaliseInstanceUrl(instanceUrl);
  const cachePath = options.cachePath ?? defaultTufCachePath();
  const scratch = await mkdtemp(join(tmpdir(), 'model-signing-tuf-'));
  try {
    // Public instances are seeded from the embedded roots on first use; private ones need trust-instance first.
    const rootPath = await anchorFor(url, undefined, scratch);
    let tuf: TUF;
    try {
      tuf = await initTUF({
        mirrorURL: url,
        cachePath,
        ...fetchOptions(options),
        ...(rootPath ? { rootPath } : {}),
      });
    } catch (error) {
      if (error instanceof TUFError && error.code === 'TUF_INIT_CACHE_ERROR') {
        throw new SigstoreError(
          'INSTANCE_NOT_TRUSTED',
          `The instance ${url} is not trusted yet: run \`model-signing trust-instance --instance ${url} ROOT_JSON\` first`,
          { cause: error },
        );
      }
      throw tufFailure(url, error, 'Failed to refresh TUF metadata');
    }
    return await readTargets(tuf, url, options.requireSigningConfig ?? false);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
