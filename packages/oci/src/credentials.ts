import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OciError } from './errors.js';

/** A user name and password (or access token used as a password) for a registry. */
export interface BasicCredentials {
  /** The user name. */
  readonly username: string;
  /** The password or access token. Never logged. */
  readonly password: string;
}

/** An OAuth2 refresh token (`identitytoken` in auth files), exchanged at the token endpoint. */
export interface IdentityTokenCredentials {
  /** The refresh token. Never logged. */
  readonly identityToken: string;
}

/** Credentials for one registry. */
export type RegistryCredentials = BasicCredentials | IdentityTokenCredentials;

/** Credentials together with where they came from, so errors can name the source (never the secret). */
export interface ResolvedCredentials {
  /** The credentials. */
  readonly credentials: RegistryCredentials;
  /** A description of the source: `explicit credentials`, an auth file path, or a helper name. */
  readonly source: string;
}

/** Where {@link resolveCredentials} looks. */
export interface CredentialLookupOptions {
  /** Explicit credentials (API option or CLI flags); they win over every file. */
  readonly credentials?: RegistryCredentials;
  /** An explicit auth file, read instead of the default list. */
  readonly authFile?: string;
  /** The environment to read `REGISTRY_AUTH_FILE`, `XDG_*`, `DOCKER_CONFIG` and `HOME` from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives warnings (a helper that failed, a malformed file). Never receives secrets. */
  readonly warn?: (message: string) => void;
}

/**
 * The auth files to read, first hit wins: `REGISTRY_AUTH_FILE`, podman's runtime and config files, then
 * Docker's (decisions 26, the containers-auth.json order).
 */
export function authFilePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env.HOME ?? homedir();
  const paths: string[] = [];
  if (env.REGISTRY_AUTH_FILE) paths.push(env.REGISTRY_AUTH_FILE);
  if (env.XDG_RUNTIME_DIR) paths.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  paths.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'containers', 'auth.json'));
  paths.push(join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'));
  return paths;
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A registry key of an auth file reduced to `host[:port][/path]`, with Docker Hub's aliases folded. */
export function canonicalRegistryKey(key: string): string {
  let text = key.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  text = text.replace(/\/+$/, '');
  const slash = text.indexOf('/');
  const host = (slash < 0 ? text : text.slice(0, slash)).toLowerCase();
  let path = slash < 0 ? '' : text.slice(slash);
  // Docker's legacy key `https://index.docker.io/v1/` carries an API path, not a namespace.
  if (/^\/v[12]$/.test(path)) path = '';
  return (DOCKER_HUB_HOSTS.has(host) ? 'docker.io' : host) + path;
}

function hostVariants(registry: string): string[] {
  const host = canonicalRegistryKey(registry);
  const variants = [host];
  if (host.startsWith('localhost')) variants.push(`127.0.0.1${host.slice('localhost'.length)}`);
  else if (host.startsWith('127.0.0.1')) variants.push(`localhost${host.slice('127.0.0.1'.length)}`);
  return variants;
}

interface AuthFileEntry {
  auth?: unknown;
  identitytoken?: unknown;
  username?: unknown;
  password?: unknown;
}

interface AuthFile {
  auths?: Record<string, AuthFileEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fromEntry(entry: AuthFileEntry, where: string): RegistryCredentials | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
    return { identityToken: entry.identitytoken };
  }
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new OciError('CREDENTIALS', `The auth entry in ${where} is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

/** Runs `docker-credential-<helper> get` with the host on stdin (the Docker credential-helper protocol). */
export function runCredentialHelper(helper: string, host: string): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(helper)) {
    return Promise.reject(new OciError('CREDENTIALS', `Invalid credential helper name '${helper}'`));
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      `docker-credential-${helper}`,
      ['get'],
      { timeout: 30_000, maxBuffer: 1 << 20 },
      (error, stdout) => {
        if (error) {
          // The helper's output may hold a secret: only its name and exit status are reported.
          const status = (error as NodeJS.ErrnoException).code ?? 'error';
          if (/credentials not found/i.test(stdout)) resolve(undefined);
          else
            reject(
              new OciError('CREDENTIALS', `Credential helper docker-credential-${helper} failed (${status})`),
            );
          return;
        }
        try {
          const reply: unknown = JSON.parse(stdout);
          if (!isRecord(reply) || typeof reply.Secret !== 'string') throw new Error('no Secret');
          const username = typeof reply.Username === 'string' ? reply.Username : '';
          resolve(
            username === '<token>' ? { identityToken: reply.Secret } : { username, password: reply.Secret },
          );
        } catch {
          reject(
            new OciError(
              'CREDENTIALS',
              `Credential helper docker-credential-${helper} printed no credentials`,
            ),
          );
        }
      },
    );
    // A helper that exits without reading its input must not crash the process with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(host);
  });
}

function findEntry(auths: Record<string, AuthFileEntry>, names: string[]): AuthFileEntry | undefined {
  // Keys may be `host` or `host/namespace/...` (containers-auth.json); the longest matching prefix wins.
  let best: { length: number; entry: AuthFileEntry } | undefined;
  for (const [key, entry] of Object.entries(auths)) {
    if (!isRecord(entry)) continue;
    const canonical = canonicalRegistryKey(key);
    for (const name of names) {
      if (name === canonical || name.startsWith(`${canonical}/`)) {
        if (!best || canonical.length > best.length) best = { length: canonical.length, entry };
      }
    }
  }
  return best?.entry;
}

async function lookInFile(
  path: string,
  registry: string,
  repository: string | undefined,
  warn: (message: string) => void,
): Promise<ResolvedCredentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') warn(`Cannot read auth file ${path}; skipped`);
    return undefined;
  }
  let file: AuthFile;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed)) throw new Error('not an object');
    file = parsed as AuthFile;
  } catch {
    warn(`Auth file ${path} is not valid JSON; skipped`);
    return undefined;
  }
  const hosts = hostVariants(registry);
  const names = hosts.flatMap((host) => (repository ? [`${host}/${repository}`, host] : [host]));
  if (isRecord(file.auths)) {
    const entry = findEntry(file.auths, names);
    const credentials = entry ? fromEntry(entry, path) : undefined;
    if (credentials) return { credentials, source: path };
  }
  const helpers: string[] = [];
  if (isRecord(file.credHelpers)) {
    for (const [key, helper] of Object.entries(file.credHelpers)) {
      if (typeof helper === 'string' && hosts.includes(canonicalRegistryKey(key))) helpers.push(helper);
    }
  }
  if (typeof file.credsStore === 'string' && file.credsStore !== '') helpers.push(file.credsStore);
  for (const helper of helpers) {
    for (const host of hostVariants(registry).map((h) =>
      h === 'docker.io' ? 'https://index.docker.io/v1/' : h,
    )) {
      try {
        const credentials = await runCredentialHelper(helper, host);
        if (credentials) return { credentials, source: `docker-credential-${helper} (from ${path})` };
      } catch (error) {
        warn(`${(error as Error).message}; continuing without it`);
      }
    }
  }
  return undefined;
}

/**
 * Finds the credentials for `registry` (decisions 26): explicit credentials, then the auth files of
 * {@link authFilePaths} (entries `auth`, `identitytoken`, `credHelpers`, `credsStore`). Undefined when none.
 */
export async function resolveCredentials(
  registry: string,
  repository: string | undefined,
  options: CredentialLookupOptions = {},
): Promise<ResolvedCredentials | undefined> {
  if (options.credentials)
    return { credentials: options.credentials, source: 'the explicit registry credentials' };
  const warn = options.warn ?? (() => {});
  const paths = options.authFile ? [options.authFile] : authFilePaths(options.env ?? process.env);
  for (const path of paths) {
    const found = await lookInFile(path, registry, repository, warn);
    if (found) return found;
  }
  return undefined;
}
