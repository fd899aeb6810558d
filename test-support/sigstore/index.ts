/**
 * A loopback Sigstore for tests: fake Fulcio, Rekor v1, TSA, a TUF repository and an OIDC issuer on one
 * `http://127.0.0.1:<port>` server, run in a child process (`server.mjs`). Nothing here talks to a public service.
 *
 * ```ts
 * const sigstore = await startSigstoreStandIn();           // { email: 'bob@example.com' } to change the identity
 * const token = sigstore.token();                           // unsigned JWT Fulcio accepts (iss = sigstore.issuer)
 * // sign with trustConfig: sigstore.trustConfigPath, identityToken: token
 * // or: trustInstance(sigstore.tufUrl, sigstore.tufRootPath) then instance: sigstore.tufUrl
 * // verify with identity: sigstore.email, oidcIssuer: sigstore.issuer
 * await sigstore.stop();
 * ```
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Options of {@link startSigstoreStandIn}. */
export interface StandInOptions {
  /** The email the stand-in OIDC issuer puts into the id tokens it issues (default `alice@example.com`). */
  readonly email?: string;
}

/** A running stand-in. */
export interface SigstoreStandIn {
  /** Base URL: Fulcio, Rekor and the TSA (`/api/v1/timestamp`) live here. */
  readonly url: string;
  /** The OIDC issuer URL (`iss` of the tokens; discovery at `/.well-known/openid-configuration`). */
  readonly issuer: string;
  /** The TUF repository URL (for `trust-instance` / `--instance`). */
  readonly tufUrl: string;
  /** The email the issuer's interactive flow certifies. */
  readonly email: string;
  /** Scratch directory holding the files below; removed by {@link SigstoreStandIn.stop}. */
  readonly dir: string;
  /** ClientTrustConfig (trusted root + signing config) for `--trust-config`. */
  readonly trustConfigPath: string;
  /** The instance's trusted root alone. */
  readonly trustedRootPath: string;
  /** The instance's signing config alone. */
  readonly signingConfigPath: string;
  /** The TUF `root.json` to bootstrap the instance with (`trust-instance --instance tufUrl tufRootPath`). */
  readonly tufRootPath: string;
  /** Makes an unsigned id token Fulcio accepts; `claims` override the defaults (iss, email, exp, ...). */
  token(claims?: Record<string, unknown>): string;
  /** Re-issues the TUF `timestamp.json` already expired: later TUF refreshes of this instance fail. */
  expireTuf(): Promise<void>;
  /** Stops the server and removes {@link SigstoreStandIn.dir}. */
  stop(): Promise<void>;
}

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));

/** Builds an unsigned JWT (`alg: none`) with the given claims. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** Starts the stand-in in a child process and waits until it serves. */
export async function startSigstoreStandIn(options: StandInOptions = {}): Promise<SigstoreStandIn> {
  const email = options.email ?? 'alice@example.com';
  const dir = await mkdtemp(join(tmpdir(), 'sigstore-stand-in-'));
  const child: ChildProcess = spawn(process.execPath, [SERVER, dir, JSON.stringify({ email })], {
    // The IPC channel lets the server exit when the test process dies without calling stop().
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  // The channel exists only so the child notices our death; it must not keep this process alive.
  child.channel?.unref();
  let info: { url: string; issuer: string; tufUrl: string };
  try {
    info = await new Promise((resolve, reject) => {
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) =>
        resolve(JSON.parse(line) as { url: string; issuer: string; tufUrl: string }),
      );
      child.once('exit', (code) => reject(new Error(`the Sigstore stand-in exited early (code ${code})`)));
      child.once('error', reject);
    });
  } catch (error) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...info,
    email,
    dir,
    trustConfigPath: join(dir, 'trust_config.json'),
    trustedRootPath: join(dir, 'trusted_root.json'),
    signingConfigPath: join(dir, 'signing_config.v0.2.json'),
    tufRootPath: join(dir, 'tuf-root.json'),
    token(claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return unsignedJwt({
        iss: info.issuer,
        sub: 'stand-in-subject',
        aud: 'sigstore',
        email,
        email_verified: true,
        iat: now,
        exp: now + 300,
        ...claims,
      });
    },
    async expireTuf() {
      const res = await fetch(`${info.url}/control/expire-tuf`, { method: 'POST' });
      if (res.status !== 204)
        throw new Error(`the stand-in refused to expire its TUF timestamp (${res.status})`);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
