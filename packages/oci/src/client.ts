/**
 * A small OCI distribution-spec v1.1 client on Node's built-in `fetch`. It is written here because no
 * maintained TypeScript OCI registry client exists (the JavaScript ones are unmaintained or Docker-Hub only),
 * and because the fork's Python client has bugs we must not copy: unchecked push statuses, unchecked blob
 * digests, minutes of blind retries (spec §1.4.1).
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Agent } from 'undici';
import { type RegistryCredentials, type ResolvedCredentials, resolveCredentials } from './credentials.js';
import { checkDigest, digestAlgorithm, digestOf } from './digest.js';
import { OciError } from './errors.js';
import { MANIFEST_ACCEPT, OCI_INDEX } from './media-types.js';

// undici is some hundred modules (about 100 ms): required when the first request is made, so that importing
// this package (image references, for a CLI that checks whether its target is an image) does not load it.
const requireHere = createRequire(import.meta.url);
const loadUndici = () => requireHere('undici') as typeof import('undici');

/** A content descriptor (OCI image-spec). */
export interface Descriptor {
  /** Media type of the referenced content. */
  mediaType: string;
  /** Digest of the referenced content. */
  digest: string;
  /** Size in bytes. */
  size: number;
  /** Artifact type, for referrers. */
  artifactType?: string;
  /** Annotations. */
  annotations?: Record<string, string>;
}

/** A manifest as the registry returned it. */
export interface FetchedManifest {
  /** The exact bytes received. */
  readonly bytes: Uint8Array;
  /** The digest of those bytes (decisions 22), never a re-serialisation. */
  readonly digest: string;
  /** The media type from the body, else from `Content-Type`. */
  readonly mediaType: string;
  /** The parsed JSON. */
  readonly json: Record<string, unknown>;
}

/** The outcome of a referrers query. */
export interface ReferrersResult {
  /** False when the registry has no referrers API (404 on the endpoint). */
  readonly supported: boolean;
  /** The referrer descriptors whose `artifactType` matched, in registry order. */
  readonly manifests: Descriptor[];
}

/** What pushing a manifest returned. */
export interface PushedManifest {
  /** The digest of the bytes pushed. */
  readonly digest: string;
  /** True when the registry answered with an `OCI-Subject` header (it processed the `subject`). */
  readonly ociSubject: boolean;
}

/** How to reach and authenticate to registries. */
export interface RegistryClientOptions {
  /** Speak plain HTTP instead of HTTPS (`--plain-http`). */
  readonly plainHttp?: boolean;
  /**
   * Extra CA certificates (PEM) trusted besides Node's roots and `NODE_EXTRA_CA_CERTS`. Node reads
   * `NODE_EXTRA_CA_CERTS` only at start-up; this option is for CAs known later (tests, API callers).
   */
  readonly ca?: string | readonly string[];
  /** Explicit credentials; they win over every auth file. */
  readonly credentials?: RegistryCredentials;
  /** An auth file read instead of the default list (`--authfile`). */
  readonly authFile?: string;
  /** Environment for the auth-file lookup; defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Total attempts for a request answered with 429 or 5xx (default 3). 4xx are never retried. */
  readonly maxAttempts?: number;
  /** First back-off delay in milliseconds, doubled each attempt (default 500). */
  readonly retryDelayMs?: number;
  /** Time limit for one request in milliseconds, including connecting (default 30 000). */
  readonly timeoutMs?: number;
  /** Receives warnings. Never receives secrets. */
  readonly warn?: (message: string) => void;
}

interface CachedToken {
  readonly header: string;
  readonly expires: number;
}

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  /** The scheme, lower-cased (`bearer`, `basic`). */
  readonly scheme: string;
  /** The auth-params, keys lower-cased (`realm`, `service`, `scope`). */
  readonly params: Record<string, string>;
}

/** A registry action a token is asked for. */
export type Action = 'pull' | 'push';

const MAX_REDIRECTS = 5;
const RETRY_AFTER_CAP_MS = 10_000;

/** Parses one `WWW-Authenticate` header value (`Bearer realm="…",service="…",scope="…"`). */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (match[2] ?? '').matchAll(re)) {
    params[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? '').replace(/\\(.)/g, '$1');
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** undici's time-limit errors. */
const TIMEOUTS = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ABORT_ERR',
]);

/** The largest manifest accepted (the distribution spec lets registries refuse bigger ones too). */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * The API host of a registry: Docker Hub's names map to `registry-1.docker.io`, as the fork's own push URLs
 * do (spec §1.3).
 */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

/** Docker Hub keeps official images under `library/`: `docker.io/ubuntu` is `library/ubuntu` in the API. */
function apiRepository(registry: string, repository: string): string {
  return apiHost(registry) === 'registry-1.docker.io' && !repository.includes('/')
    ? `library/${repository}`
    : repository;
}

/** Errors of the connection that a second attempt may not hit (reset, closed socket). */
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

async function registryErrors(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const json: unknown = JSON.parse(text);
    if (isRecord(json) && Array.isArray(json.errors)) {
      const parts = json.errors
        .filter(isRecord)
        .map((e) => [e.code, e.message].filter((x) => typeof x === 'string' && x !== '').join(': '))
        .filter((x) => x !== '');
      if (parts.length > 0) return ` (${parts.join('; ').slice(0, 300)})`;
    }
  } catch {
    // Not a distribution-spec error body; the status line says enough.
  }
  return '';
}

/**
 * A client for one registry host. Bearer tokens are cached per repository and action set; Basic
 * credentials are sent once a registry asked for them. Credentials are only ever sent to the registry's own
 * origin and to the token realm it names, never along a redirect to another host.
 */
export class RegistryClient {
  /** The registry host as written in the image reference. */
  readonly registry: string;
  readonly #options: RegistryClientOptions;
  readonly #base: string;
  readonly #tokens = new Map<string, CachedToken>();
  #basic: string | undefined;
  #resolved: Promise<ResolvedCredentials | undefined> | undefined;
  #dispatcher: Agent | undefined;

  /** @param registry host[:port] of the registry; @param options transport and credentials. */
  constructor(registry: string, options: RegistryClientOptions = {}) {
    this.registry = registry;
    this.#options = options;
    this.#base = `${options.plainHttp ? 'http' : 'https'}://${apiHost(registry)}`;
  }

  /** Releases the connection pool. */
  async close(): Promise<void> {
    await this.#dispatcher?.close();
    this.#dispatcher = undefined;
  }

  #agent(): Agent {
    if (!this.#dispatcher) {
      const timeout = this.#options.timeoutMs ?? 30_000;
      const extra = this.#options.ca === undefined ? [] : [this.#options.ca].flat();
      let ca: string[] | undefined;
      if (extra.length > 0) {
        // An explicit `ca` replaces Node's default store in TLS, so the defaults are listed again.
        ca = [...(requireHere('node:tls') as typeof import('node:tls')).rootCertificates, ...extra];
        const fromEnv = process.env.NODE_EXTRA_CA_CERTS;
        if (fromEnv) {
          try {
            ca.push(readFileSync(fromEnv, 'utf8'));
          } catch {
            this.#warn(`Cannot read NODE_EXTRA_CA_CERTS file ${fromEnv}`);
          }
        }
      }
      this.#dispatcher = new (loadUndici().Agent)({
        connect: { timeout, ...(ca ? { ca } : {}) },
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    }
    return this.#dispatcher;
  }

  #warn(message: string): void {
    this.#options.warn?.(message);
  }

  #mapPath(path: string, repository: string): string {
    const mapped = apiRepository(this.registry, repository);
    return mapped === repository ? path : path.replace(`/v2/${repository}/`, `/v2/${mapped}/`);
  }

  #url(path: string): string {
    return `${this.#base}${path}`;
  }

  #credentials(repository: string): Promise<ResolvedCredentials | undefined> {
    this.#resolved ??= resolveCredentials(this.registry, repository, {
      credentials: this.#options.credentials,
      authFile: this.#options.authFile,
      env: this.#options.env,
      warn: (m) => this.#warn(m),
    });
    return this.#resolved;
  }

  /** One HTTP exchange with timeouts; redirects are followed by hand so credentials stay on this origin. */
  async #send(method: string, url: string, headers: Record<string, string>, body?: Uint8Array) {
    let current = new URL(url);
    const origin = new URL(this.#base).origin;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = current.origin === origin;
      const sent = { ...headers };
      if (!sameOrigin) delete sent.Authorization;
      let response: Response;
      try {
        response = await fetch(current, {
          method,
          headers: sent,
          body: body === undefined ? undefined : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
          redirect: 'manual',
          dispatcher: this.#agent(),
        });
      } catch (error) {
        const code = causeCode(error);
        // Connect, header and idle-body time limits live in the dispatcher: a whole-request deadline would
        // cut off multi-gigabyte layer downloads that are making progress.
        const what = code && TIMEOUTS.has(code) ? 'timed out' : code;
        throw new OciError(
          'UNREACHABLE',
          `Cannot reach registry ${this.registry} (${method} ${current.origin}${current.pathname}): ${what ?? ((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`,
          { cause: error },
        );
      }
      const location = response.headers.get('location');
      if ([301, 302, 303, 307, 308].includes(response.status) && location) {
        await response.body?.cancel();
        const next = new URL(location, current);
        if (current.protocol === 'https:' && next.protocol !== 'https:') {
          throw new OciError(
            'REGISTRY_ERROR',
            `Registry ${this.registry} redirected ${method} ${current.pathname} to a non-HTTPS URL; refused`,
          );
        }
        current = next;
        if (response.status === 303) method = 'GET';
        continue;
      }
      return response;
    }
    throw new OciError('REGISTRY_ERROR', `Too many redirects from ${this.registry} for ${method} ${url}`);
  }

  /** Sends with retries on 429/5xx and on reset connections, bounded and with back-off. */
  async #sendWithRetry(method: string, url: string, headers: Record<string, string>, body?: Uint8Array) {
    const attempts = Math.max(1, this.#options.maxAttempts ?? 3);
    let delay = this.#options.retryDelayMs ?? 500;
    for (let attempt = 1; ; attempt++) {
      let response: Response | undefined;
      try {
        response = await this.#send(method, url, headers, body);
      } catch (error) {
        const code = causeCode((error as OciError).cause);
        if (attempt >= attempts || !code || !TRANSIENT_NETWORK.has(code)) throw error;
      }
      if (response && response.status !== 429 && response.status < 500) return response;
      if (response && attempt >= attempts) return response;
      let wait = delay;
      const retryAfter = Number(response?.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0)
        wait = Math.min(retryAfter * 1000, RETRY_AFTER_CAP_MS);
      await response?.body?.cancel();
      await sleep(wait);
      delay *= 2;
    }
  }

  /**
   * Performs a request against this registry, answering a 401 with the challenge it carries (Bearer token
   * or Basic) once. `repository` and `actions` decide the token scope.
   */
  async request(
    method: string,
    pathOrUrl: string,
    options: { repository: string; actions: Action[]; headers?: Record<string, string>; body?: Uint8Array },
  ): Promise<Response> {
    const url = pathOrUrl.startsWith('/')
      ? this.#url(this.#mapPath(pathOrUrl, options.repository))
      : pathOrUrl;
    const key = `${options.repository}:${options.actions.join(',')}`;
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const cached = this.#tokens.get(key);
    if (cached && cached.expires > Date.now()) headers.Authorization = cached.header;
    else if (this.#basic) headers.Authorization = this.#basic;
    const response = await this.#sendWithRetry(method, url, headers, options.body);
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate') ?? '');
    await response.body?.cancel();
    if (!challenge) {
      throw new OciError(
        'UNAUTHORIZED',
        `Registry ${this.registry} refused ${method} ${new URL(url).pathname} (401) without an authentication challenge`,
      );
    }
    const resolved = await this.#credentials(options.repository);
    const authorization = await this.#answer(challenge, resolved, options.repository, options.actions, key);
    const retried = await this.#sendWithRetry(
      method,
      url,
      { ...headers, Authorization: authorization },
      options.body,
    );
    if (retried.status === 401 || retried.status === 403) {
      await retried.body?.cancel();
      throw this.#authFailure(retried.status, resolved);
    }
    return retried;
  }

  #authFailure(status: number, resolved: ResolvedCredentials | undefined): OciError {
    if (!resolved) {
      return new OciError(
        'UNAUTHORIZED',
        `Registry ${this.registry} requires authentication (${status}) and no credentials were found; pass --registry-username/--registry-password or log in with podman/docker`,
      );
    }
    return new OciError(
      status === 403 ? 'DENIED' : 'UNAUTHORIZED',
      `Registry ${this.registry} rejected the credentials from ${resolved.source} (${status})`,
    );
  }

  async #answer(
    challenge: Challenge,
    resolved: ResolvedCredentials | undefined,
    repository: string,
    actions: Action[],
    key: string,
  ): Promise<string> {
    if (challenge.scheme === 'basic') {
      const credentials = resolved?.credentials;
      if (!credentials || !('username' in credentials)) throw this.#authFailure(401, resolved);
      this.#basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
      return this.#basic;
    }
    if (challenge.scheme !== 'bearer') {
      throw new OciError(
        'UNAUTHORIZED',
        `Registry ${this.registry} asks for unsupported authentication '${challenge.scheme}'`,
      );
    }
    const token = await this.#fetchToken(challenge, resolved, repository, actions);
    this.#tokens.set(key, token);
    return token.header;
  }

  async #fetchToken(
    challenge: Challenge,
    resolved: ResolvedCredentials | undefined,
    repository: string,
    actions: Action[],
  ): Promise<CachedToken> {
    const realmText = challenge.params.realm;
    if (!realmText)
      throw new OciError('UNAUTHORIZED', `Registry ${this.registry} sent a Bearer challenge without a realm`);
    const realm = new URL(/^[a-z]+:\/\//i.test(realmText) ? realmText : `https://${realmText}`);
    if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && this.#options.plainHttp)) {
      throw new OciError(
        'UNAUTHORIZED',
        `Refusing to send credentials to the non-HTTPS token realm ${realm.origin}`,
      );
    }
    const scope =
      challenge.params.scope ?? `repository:${apiRepository(this.registry, repository)}:${actions.join(',')}`;
    const service = challenge.params.service;
    const credentials = resolved?.credentials;
    let response: Response;
    const fetchOptions = {
      signal: AbortSignal.timeout(this.#options.timeoutMs ?? 30_000),
      redirect: 'error' as const,
      dispatcher: this.#agent(),
    };
    try {
      if (credentials && 'identityToken' in credentials) {
        // An identity token is an OAuth2 refresh token (Docker's token spec, "OAuth2 token authentication").
        const form = new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: credentials.identityToken,
          client_id: 'model-signing',
          scope,
        });
        if (service) form.set('service', service);
        response = await fetch(realm, { method: 'POST', body: form, ...fetchOptions });
      } else {
        const url = new URL(realm);
        if (service) url.searchParams.set('service', service);
        url.searchParams.set('scope', scope);
        const headers: Record<string, string> = {};
        if (credentials)
          headers.Authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
        response = await fetch(url, { headers, ...fetchOptions });
      }
    } catch (error) {
      throw new OciError(
        'UNREACHABLE',
        `Cannot reach the token service ${realm.origin} of ${this.registry}: ${causeCode(error) ?? (error as Error).message}`,
      );
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw this.#authFailure(response.status, resolved);
    }
    if (response.status !== 200) {
      throw new OciError(
        'UNAUTHORIZED',
        `The token service ${realm.origin} of ${this.registry} answered ${response.status}${await registryErrors(response)}`,
      );
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    const token = isRecord(body) ? (body.token ?? body.access_token) : undefined;
    if (typeof token !== 'string' || token === '') {
      throw new OciError(
        'UNAUTHORIZED',
        `The token service ${realm.origin} of ${this.registry} returned no token`,
      );
    }
    const expiresIn = isRecord(body) && typeof body.expires_in === 'number' ? body.expires_in : 60;
    // Renew a little early so a token never expires between the check and the request.
    return { header: `Bearer ${token}`, expires: Date.now() + Math.max(0, expiresIn - 10) * 1000 };
  }

  async #fail(response: Response, method: string, url: string, what: string): Promise<never> {
    const detail = await registryErrors(response);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    const code =
      response.status === 404
        ? 'NOT_FOUND'
        : response.status === 401
          ? 'UNAUTHORIZED'
          : response.status === 403
            ? 'DENIED'
            : 'REGISTRY_ERROR';
    const shown = new URL(url, this.#base);
    throw new OciError(
      code,
      `${what}: ${method} ${shown.origin}${shown.pathname} returned ${status}${detail}`,
      {
        status: response.status,
      },
    );
  }

  /**
   * Reads a manifest by tag or digest. The digest is computed from the exact bytes received, checked
   * against `Docker-Content-Digest` when present and against the requested digest when fetched by digest.
   */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await this.request('GET', path, {
      repository,
      actions: ['pull'],
      headers: { Accept: MANIFEST_ACCEPT },
    });
    if (response.status !== 200) {
      await this.#fail(
        response,
        'GET',
        path,
        `Cannot read manifest ${this.registry}/${repository}:${reference}`,
      );
    }
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > MAX_MANIFEST_BYTES) {
      await response.body?.cancel();
      throw new OciError(
        'INVALID_MANIFEST',
        `Manifest ${this.registry}/${repository}:${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new OciError(
        'INVALID_MANIFEST',
        `Manifest ${this.registry}/${repository}:${reference} is larger than ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    const byDigest = reference.includes(':');
    const algorithm = byDigest ? digestAlgorithm(reference) : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (byDigest && digest !== reference) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `Manifest ${this.registry}/${repository}@${reference}: content digest is ${digest}`,
      );
    }
    const header = response.headers.get('docker-content-digest');
    if (header?.startsWith(`${algorithm}:`) && header !== digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `Manifest ${this.registry}/${repository}:${reference}: content digest is ${digest}, but the registry says ${header}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new OciError(
        'INVALID_MANIFEST',
        `Manifest ${this.registry}/${repository}:${reference} is not valid JSON`,
      );
    }
    if (!isRecord(json))
      throw new OciError(
        'INVALID_MANIFEST',
        `Manifest ${this.registry}/${repository}:${reference} is not a JSON object`,
      );
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const mediaType = typeof json.mediaType === 'string' ? json.mediaType : contentType;
    return { bytes, digest, mediaType, json };
  }

  /** True when the blob exists in the repository. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const response = await this.request('HEAD', path, { repository, actions: ['pull'] });
    await response.body?.cancel();
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    return this.#fail(
      response,
      'HEAD',
      path,
      `Cannot check blob ${digest} in ${this.registry}/${repository}`,
    );
  }

  /** Starts reading a blob; the caller must consume or cancel the body. */
  async openBlob(repository: string, digest: string): Promise<Response> {
    const path = `/v2/${repository}/blobs/${digest}`;
    const response = await this.request('GET', path, { repository, actions: ['pull'] });
    if (response.status !== 200) {
      await this.#fail(
        response,
        'GET',
        path,
        `Cannot read blob ${digest} from ${this.registry}/${repository}`,
      );
    }
    return response;
  }

  /** Reads a whole (small) blob and checks it against its digest. */
  async getBlob(repository: string, digest: string, maxBytes = 64 * 1024 * 1024): Promise<Uint8Array> {
    const response = await this.openBlob(repository, digest);
    const length = Number(response.headers.get('content-length'));
    if (Number.isFinite(length) && length > maxBytes) {
      await response.body?.cancel();
      throw new OciError(
        'REGISTRY_ERROR',
        `Blob ${digest} in ${this.registry}/${repository} is larger than ${maxBytes} bytes`,
      );
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    checkDigest(bytes, digest, `Blob ${digest} from ${this.registry}/${repository}`);
    return bytes;
  }

  /** Uploads a blob monolithically (POST then PUT), unless the registry already has it. */
  async pushBlob(
    repository: string,
    bytes: Uint8Array,
    mediaType = 'application/octet-stream',
  ): Promise<Descriptor> {
    const digest = digestOf(bytes);
    const descriptor = { mediaType, digest, size: bytes.byteLength };
    if (await this.hasBlob(repository, digest)) return descriptor;
    const start = `/v2/${repository}/blobs/uploads/`;
    const started = await this.request('POST', start, { repository, actions: ['pull', 'push'] });
    if (started.status !== 202)
      await this.#fail(
        started,
        'POST',
        start,
        `Cannot start a blob upload to ${this.registry}/${repository}`,
      );
    await started.body?.cancel();
    const location = started.headers.get('location');
    if (!location)
      throw new OciError('REGISTRY_ERROR', `Registry ${this.registry} did not return an upload location`);
    const url = new URL(location, this.#url('/'));
    url.searchParams.set('digest', digest);
    const put = await this.request('PUT', url.toString(), {
      repository,
      actions: ['pull', 'push'],
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    if (put.status !== 201)
      await this.#fail(
        put,
        'PUT',
        url.toString(),
        `Cannot upload blob ${digest} to ${this.registry}/${repository}`,
      );
    await put.body?.cancel();
    return descriptor;
  }

  /** Writes a manifest under a tag or its digest and checks the registry accepted it (201). */
  async pushManifest(
    repository: string,
    reference: string,
    bytes: Uint8Array,
    mediaType: string,
  ): Promise<PushedManifest> {
    const digest = digestOf(bytes);
    const path = `/v2/${repository}/manifests/${reference}`;
    const response = await this.request('PUT', path, {
      repository,
      actions: ['pull', 'push'],
      headers: { 'Content-Type': mediaType },
      body: bytes,
    });
    if (response.status !== 201)
      await this.#fail(
        response,
        'PUT',
        path,
        `Cannot push manifest to ${this.registry}/${repository}:${reference}`,
      );
    await response.body?.cancel();
    const header = response.headers.get('docker-content-digest');
    if (header?.startsWith('sha256:') && header !== digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `Registry ${this.registry} stored manifest ${header}, but ${digest} was pushed`,
      );
    }
    return { digest, ociSubject: response.headers.has('oci-subject') };
  }

  /**
   * Lists the referrers of `digest` with the OCI 1.1 referrers API, asking the registry to filter by
   * `artifactType` and filtering again here; follows `Link` pagination. `supported` is false on 404.
   */
  async listReferrers(repository: string, digest: string, artifactType?: string): Promise<ReferrersResult> {
    let path: string | undefined =
      `/v2/${repository}/referrers/${digest}${artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : ''}`;
    const manifests: Descriptor[] = [];
    for (let page = 0; path && page < 100; page++) {
      const response = await this.request('GET', path, {
        repository,
        actions: ['pull'],
        headers: { Accept: OCI_INDEX },
      });
      if (response.status === 404 && page === 0) {
        await response.body?.cancel();
        return { supported: false, manifests: [] };
      }
      if (response.status !== 200)
        await this.#fail(
          response,
          'GET',
          path,
          `Cannot list referrers of ${digest} in ${this.registry}/${repository}`,
        );
      let json: unknown;
      try {
        json = await response.json();
      } catch {
        throw new OciError(
          'INVALID_MANIFEST',
          `The referrers list of ${digest} in ${this.registry}/${repository} is not JSON`,
        );
      }
      if (!isRecord(json) || !Array.isArray(json.manifests)) {
        throw new OciError(
          'INVALID_MANIFEST',
          `The referrers list of ${digest} in ${this.registry}/${repository} is not an image index`,
        );
      }
      for (const entry of json.manifests) {
        if (!isRecord(entry) || typeof entry.digest !== 'string') continue;
        if (artifactType && entry.artifactType !== artifactType) continue;
        manifests.push(entry as unknown as Descriptor);
      }
      path = nextLink(response.headers.get('link'), this.#url('/'));
    }
    return { supported: true, manifests };
  }
}

function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header);
  if (!match) return undefined;
  const url = new URL(match[1]!, base);
  if (url.origin !== new URL(base).origin) return undefined;
  return `${url.pathname}${url.search}`;
}
