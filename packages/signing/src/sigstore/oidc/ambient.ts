import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { redact, SigstoreError } from '@model-signing/core';

/** The audience Fulcio expects in identity tokens. */
export const SIGSTORE_AUDIENCE = 'sigstore';

/** What ambient detection may read and call; injectable for tests. */
export interface AmbientContext {
  /** Environment variables (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** HTTP client (default global `fetch`). */
  readonly fetch?: typeof fetch;
  /** Per-request timeout in milliseconds (default 10 s). */
  readonly timeoutMs?: number;
}

type Detector = (ctx: Required<AmbientContext>) => Promise<string | undefined>;

/** GitHub Actions: the job's OIDC endpoint (needs `permissions: id-token: write`). */
const github: Detector = async ({ env, fetch: get, timeoutMs }) => {
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!url || !bearer) return undefined;
  const target = new URL(url);
  target.searchParams.set('audience', SIGSTORE_AUDIENCE);
  const res = await get(target, {
    headers: { authorization: `bearer ${bearer}`, accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`GitHub Actions OIDC endpoint answered HTTP ${res.status}`);
  const body = (await res.json()) as { value?: unknown };
  if (typeof body.value !== 'string') throw new Error('GitHub Actions OIDC endpoint returned no token');
  return body.value;
};

/** GitLab CI: an `id_tokens:` entry named SIGSTORE_ID_TOKEN with `aud: sigstore` in .gitlab-ci.yml. */
const gitlab: Detector = async ({ env }) => (env.GITLAB_CI ? env.SIGSTORE_ID_TOKEN || undefined : undefined);

/** Buildkite: the agent mints a token for the job. */
const buildkite: Detector = async ({ env, timeoutMs }) => {
  if (env.BUILDKITE !== 'true') return undefined;
  const { stdout } = await promisify(execFile)(
    'buildkite-agent',
    ['oidc', 'request-token', '--audience', SIGSTORE_AUDIENCE],
    { timeout: timeoutMs, env },
  );
  return stdout.trim() || undefined;
};

/**
 * Google Cloud: the metadata server of a GCE/GKE/Cloud Run workload. Asked only on Google hardware (the DMI product
 * name says so), so that no other machine ever resolves metadata.google.internal.
 */
const gcp: Detector = async ({ fetch: get, timeoutMs }) => {
  const product = await readFile('/sys/class/dmi/id/product_name', 'utf8').catch(() => '');
  if (!/Google/.test(product)) return undefined;
  const url = new URL(
    'http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity',
  );
  url.searchParams.set('audience', SIGSTORE_AUDIENCE);
  url.searchParams.set('format', 'full');
  const res = await get(url, {
    headers: { 'Metadata-Flavor': 'Google' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!res.ok) throw new Error(`GCP metadata server answered HTTP ${res.status}`);
  return (await res.text()).trim() || undefined;
};

/** Any CI or script: a token put into SIGSTORE_ID_TOKEN (as sigstore-js reads it). */
const environment: Detector = async ({ env }) => env.SIGSTORE_ID_TOKEN || undefined;

const DETECTORS: readonly [string, Detector][] = [
  ['GitHub Actions', github],
  ['GitLab CI', gitlab],
  ['Buildkite', buildkite],
  ['Google Cloud', gcp],
  ['SIGSTORE_ID_TOKEN', environment],
];

/** The outcome of ambient detection. */
export interface AmbientToken {
  /** The token. */
  readonly token: string;
  /** Which source gave it. */
  readonly source: string;
}

/**
 * Looks for an ambient CI identity token, in order: GitHub Actions, GitLab CI, Buildkite, Google Cloud,
 * `SIGSTORE_ID_TOKEN`. Returns undefined when no source applies. A source that applies but fails throws (an
 * explicit failure beats silently falling back to a browser flow in CI). Written here because
 * `@sigstore/sign`'s CIContextProvider covers only GitHub, Buildkite and the variable, and rejects with a string.
 */
export async function detectAmbientToken(context: AmbientContext = {}): Promise<AmbientToken | undefined> {
  const ctx: Required<AmbientContext> = {
    env: context.env ?? process.env,
    fetch: context.fetch ?? fetch,
    timeoutMs: context.timeoutMs ?? 10_000,
  };
  for (const [source, detect] of DETECTORS) {
    let token: string | undefined;
    try {
      token = await detect(ctx);
    } catch (error) {
      const reason = redact((error as Error).message);
      throw new SigstoreError(
        'IDENTITY_TOKEN_ERROR',
        `Ambient credentials from ${source} failed: ${reason}`,
        { cause: error },
      );
    }
    if (token) return { token, source };
  }
  return undefined;
}
