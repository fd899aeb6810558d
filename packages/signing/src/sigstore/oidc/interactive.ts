import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { redact, SigstoreError } from '@model-signing/core';

/** The redirect URI of the out-of-band flow: the issuer shows the code and the user pastes it. */
export const OOB_REDIRECT_URI = 'urn:ietf:wg:oauth:2.0:oob';

/** Options of the interactive OAuth 2.0 / OIDC authorization-code flow with PKCE. */
export interface InteractiveOidcOptions {
  /** The issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
  readonly issuer: string;
  /** The OAuth client id (default `sigstore`). */
  readonly clientId?: string;
  /** The client secret; sent with HTTP Basic authentication when given. */
  readonly clientSecret?: string;
  /** Out of band: print the URL and read the code from `input` instead of a browser and a loopback redirect. */
  readonly forceOob?: boolean;
  /** Where the code is read from in the out-of-band flow (default stdin). */
  readonly input?: Readable;
  /** Where instructions go (default stderr). */
  readonly output?: Writable;
  /** Opens the authorization URL (default: `$BROWSER`, else xdg-open / open / start). */
  readonly openBrowser?: (url: string) => void | Promise<void>;
  /** How long to wait for the user, in milliseconds (default 5 minutes). */
  readonly timeoutMs?: number;
  /** HTTP client (default global `fetch`). */
  readonly fetch?: typeof fetch;
}

interface Discovery {
  authorization_endpoint: string;
  token_endpoint: string;
}

const b64url = (bytes: Buffer): string => bytes.toString('base64url');
const fail = (message: string, cause?: unknown): never => {
  throw new SigstoreError('OIDC_ERROR', message, cause === undefined ? undefined : { cause });
};

async function discover(issuer: string, get: typeof fetch): Promise<Discovery> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let res: Response;
  try {
    res = await get(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return fail(`Cannot reach the OIDC issuer ${issuer}: ${(error as Error).message}`, error);
  }
  if (!res.ok) return fail(`OIDC discovery at ${url} answered HTTP ${res.status}`);
  const doc = (await res.json().catch(() => ({}))) as Partial<Discovery>;
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') {
    return fail(`OIDC discovery at ${url} names no authorization or token endpoint`);
  }
  return { authorization_endpoint: doc.authorization_endpoint, token_endpoint: doc.token_endpoint };
}

function defaultOpenBrowser(url: string): void {
  const browser = process.env.BROWSER;
  const [command, args] = browser
    ? [browser, [url]]
    : process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '', url]]
        : ['xdg-open', [url]];
  const child = spawn(command, args, { stdio: 'ignore', detached: true });
  child.on('error', () => {}); // no browser: the printed URL remains
  child.unref();
}

/** Waits for the authorization server to redirect the browser to our loopback callback. */
function awaitCallback(server: Server, state: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SigstoreError('OIDC_ERROR', 'Timed out waiting for the browser sign-in')),
      timeoutMs,
    );
    timer.unref();
    server.on('request', (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== '/auth/callback') {
        res.writeHead(404).end();
        return;
      }
      const error = url.searchParams.get('error');
      const code = url.searchParams.get('code');
      const ok = !error && code && url.searchParams.get('state') === state;
      res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        ok
          ? '<!doctype html><title>Signed in</title><p>Sign-in complete. You can close this tab and return to model-signing.</p>'
          : '<!doctype html><title>Sign-in failed</title><p>Sign-in failed. Return to model-signing for details.</p>',
      );
      clearTimeout(timer);
      if (error)
        reject(new SigstoreError('OIDC_ERROR', `The OIDC issuer refused the sign-in: ${redact(error)}`));
      else if (!code)
        reject(new SigstoreError('OIDC_ERROR', 'The OIDC redirect carried no authorization code'));
      else if (url.searchParams.get('state') !== state) {
        reject(new SigstoreError('OIDC_ERROR', 'The OIDC redirect carried a wrong state (possible forgery)'));
      } else resolve(code);
    });
  });
}

async function readCode(input: Readable, output: Writable, timeoutMs: number): Promise<string> {
  output.write('Enter verification code: ');
  const lines = createInterface({ input, terminal: false });
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new SigstoreError('OIDC_ERROR', 'Timed out waiting for the code')),
        timeoutMs,
      );
      timer.unref();
      lines.once('line', (line) => {
        clearTimeout(timer);
        resolve(line.trim());
      });
      lines.once('close', () => {
        clearTimeout(timer);
        reject(new SigstoreError('OIDC_ERROR', 'No verification code was entered (input closed)'));
      });
    });
  } finally {
    lines.close();
  }
}

function nonceOf(idToken: string): unknown {
  try {
    return (
      JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        nonce?: unknown;
      }
    ).nonce;
  } catch {
    return undefined;
  }
}

/**
 * Gets an identity token interactively: OIDC discovery, authorization code with PKCE (S256), `state` and `nonce`,
 * scope `openid email`; the browser returns to a loopback server (`http://localhost:<port>/auth/callback`), or,
 * out of band, the user pastes the code. Written by hand: no maintained npm library does this for Sigstore
 * (`@sigstore/cli` keeps an unexported copy on openid-client v5, whose API no longer exists in v6).
 */
export async function interactiveIdentityToken(options: InteractiveOidcOptions): Promise<string> {
  const get = options.fetch ?? fetch;
  const output = options.output ?? process.stderr;
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const clientId = options.clientId || 'sigstore';
  const endpoints = await discover(options.issuer, get);
  const verifier = b64url(randomBytes(32));
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));

  let server: Server | undefined;
  let redirectUri = OOB_REDIRECT_URI;
  if (!options.forceOob) {
    server = createServer();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(0, '127.0.0.1', resolve);
    });
    redirectUri = `http://localhost:${(server.address() as AddressInfo).port}/auth/callback`;
  }
  try {
    const auth = new URL(endpoints.authorization_endpoint);
    auth.searchParams.set('response_type', 'code');
    auth.searchParams.set('client_id', clientId);
    auth.searchParams.set('redirect_uri', redirectUri);
    auth.searchParams.set('scope', 'openid email');
    auth.searchParams.set('state', state);
    auth.searchParams.set('nonce', nonce);
    auth.searchParams.set('code_challenge', b64url(createHash('sha256').update(verifier).digest()));
    auth.searchParams.set('code_challenge_method', 'S256');

    let code: string;
    if (server) {
      const callback = awaitCallback(server, state, timeoutMs);
      // The redirect may fail while the browser hook is still running; it is awaited below.
      callback.catch(() => {});
      output.write(`Waiting for browser sign-in. If no browser opens, visit:\n${auth.toString()}\n`);
      await (options.openBrowser ?? defaultOpenBrowser)(auth.toString());
      code = await callback;
    } else {
      output.write(`Go to the following link in a browser:\n\n\t${auth.toString()}\n\n`);
      code = await readCode(options.input ?? process.stdin, output, timeoutMs);
    }
    if (!code) fail('No verification code was entered');

    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: clientId,
    });
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (options.clientSecret) {
      const basic = `${encodeURIComponent(clientId)}:${encodeURIComponent(options.clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await get(endpoints.token_endpoint, {
        method: 'POST',
        headers,
        body: form,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      return fail(
        `Cannot reach the OIDC token endpoint ${endpoints.token_endpoint}: ${(error as Error).message}`,
        error,
      );
    }
    const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
    if (!res.ok || typeof body.id_token !== 'string') {
      const why =
        typeof body.error === 'string'
          ? redact(body.error, [code, options.clientSecret])
          : `HTTP ${res.status}`;
      return fail(`The OIDC token exchange failed: ${why}`);
    }
    if (nonceOf(body.id_token) !== nonce)
      fail('The identity token from the OIDC issuer carries a wrong nonce');
    return body.id_token;
  } finally {
    server?.close();
    server?.closeAllConnections();
  }
}
