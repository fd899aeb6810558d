import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  createSigstoreSigner,
  detectAmbientToken,
  interactiveIdentityToken,
  obtainIdentityToken,
} from '@model-signing/signing';
import { createSigstoreVerifier, readBundle } from '@model-signing/verifying';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SigstoreStandIn, startSigstoreStandIn } from '../../../test-support/sigstore/index.js';

let sigstore: SigstoreStandIn;
beforeAll(async () => {
  sigstore = await startSigstoreStandIn({ email: 'bob@example.com' });
});
afterAll(async () => {
  await sigstore?.stop();
});

const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

/** Plays the browser: follows the authorization URL, whose redirect lands on our loopback callback. */
const browser = async (url: string): Promise<void> => {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/Sign-in complete/);
};

/** Plays the user of the out-of-band flow: reads the printed URL, gets the code, types it into `input`. */
function oobUser(): { input: PassThrough; output: PassThrough; printed: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', async (chunk: Buffer) => {
    text += chunk.toString();
    const match = /\t(http\S+)\n/.exec(text);
    if (match && text.includes('Enter verification code')) {
      text = '';
      const page = await (await fetch(match[1]!)).text();
      input.write(`${page.replace(/^code=/, '')}\n`);
    }
  });
  let all = '';
  output.on('data', (chunk: Buffer) => {
    all += chunk.toString();
  });
  return { input, output, printed: () => all };
}

describe('identity token precedence', () => {
  it('an explicit token wins over ambient credentials', async () => {
    const explicit = sigstore.token({ sub: 'explicit' });
    const ambient = sigstore.token({ sub: 'ambient' });
    const got = await obtainIdentityToken({
      identityToken: explicit,
      useAmbientCredentials: true,
      ambient: { env: { SIGSTORE_ID_TOKEN: ambient } },
    });
    expect(got).toEqual({ token: explicit, origin: 'explicit' });
  });

  it('ambient credentials are used only when enabled, before the interactive flow', async () => {
    const ambient = sigstore.token({ sub: 'ambient' });
    const enabled = await obtainIdentityToken({
      useAmbientCredentials: true,
      ambient: { env: { SIGSTORE_ID_TOKEN: ambient } },
      oidcIssuer: sigstore.issuer,
    });
    expect(enabled).toEqual({ token: ambient, origin: 'ambient:SIGSTORE_ID_TOKEN' });

    const user = oobUser();
    const disabled = await obtainIdentityToken({
      useAmbientCredentials: false,
      ambient: { env: { SIGSTORE_ID_TOKEN: ambient } },
      oidcIssuer: sigstore.issuer,
      oauthForceOob: true,
      interactive: { input: user.input, output: user.output },
    });
    expect(disabled.origin).toBe('interactive');
    expect(claimsOf(disabled.token).email).toBe('bob@example.com');
  });

  it('without any source and without an OIDC issuer, says so', async () => {
    await expect(obtainIdentityToken({ useAmbientCredentials: true, ambient: { env: {} } })).rejects.toThrow(
      'No valid OIDC provider found in signing config',
    );
  });

  it('reads GitHub Actions tokens from the job OIDC endpoint with audience sigstore', async () => {
    const token = sigstore.token({ sub: 'repo:octo/model' });
    let seen: { audience: string | null; auth: string | undefined } | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen = { audience: url.searchParams.get('audience'), auth: req.headers.authorization };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const env = {
        ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${port}/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret',
        SIGSTORE_ID_TOKEN: sigstore.token({ sub: 'lower-precedence' }),
      };
      expect(await detectAmbientToken({ env })).toEqual({ token, source: 'GitHub Actions' });
      expect(seen).toEqual({ audience: 'sigstore', auth: 'bearer runner-secret' });
    } finally {
      server.close();
    }
  });

  it('asks the Buildkite agent for a token with audience sigstore', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ms-buildkite-'));
    try {
      const token = sigstore.token({ sub: 'buildkite' });
      const agent = join(dir, 'buildkite-agent');
      await writeFile(agent, `#!/bin/sh\necho "$@" > "${dir}/args"\necho ${token}\n`);
      await chmod(agent, 0o755);
      const found = await detectAmbientToken({ env: { BUILDKITE: 'true', PATH: dir } });
      expect(found).toEqual({ token, source: 'Buildkite' });
      expect((await readFile(join(dir, 'args'), 'utf8')).trim()).toBe(
        'oidc request-token --audience sigstore',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads GitLab CI id_tokens and reports none outside CI', async () => {
    const token = sigstore.token();
    expect(await detectAmbientToken({ env: { GITLAB_CI: 'true', SIGSTORE_ID_TOKEN: token } })).toEqual({
      token,
      source: 'GitLab CI',
    });
    expect(await detectAmbientToken({ env: {} })).toBeUndefined();
  });

  it('a failing ambient source is an error, not a silent fallback, and does not leak the runner token', async () => {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-secret',
    };
    const error = (await detectAmbientToken({ env, timeoutMs: 2000 }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'IDENTITY_TOKEN_ERROR',
      message: expect.stringMatching(/GitHub Actions/),
    });
    expect(error.message).not.toContain('runner-secret');
  });
});

describe('interactive OAuth with PKCE against the stand-in issuer', () => {
  it('loopback redirect: the browser is sent back to our callback and the code is exchanged', async () => {
    const output = new PassThrough();
    const token = await interactiveIdentityToken({ issuer: sigstore.issuer, openBrowser: browser, output });
    expect(claimsOf(token)).toMatchObject({
      iss: sigstore.issuer,
      email: 'bob@example.com',
      aud: 'sigstore',
    });
    expect(output.read()?.toString()).toMatch(/Waiting for browser sign-in/);
  });

  it('loopback redirect: a callback with a forged state is refused', async () => {
    const forged = async (url: string): Promise<void> => {
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
      redirect.searchParams.set('code', 'stolen');
      redirect.searchParams.set('state', 'forged');
      const res = await fetch(redirect);
      expect(res.status).toBe(400);
    };
    await expect(
      interactiveIdentityToken({ issuer: sigstore.issuer, openBrowser: forged, output: new PassThrough() }),
    ).rejects.toThrow(/wrong state/);
  });

  it('out of band: prints the URL and reads the code from the input stream', async () => {
    const user = oobUser();
    const token = await interactiveIdentityToken({
      issuer: sigstore.issuer,
      forceOob: true,
      input: user.input,
      output: user.output,
    });
    expect(claimsOf(token).email).toBe('bob@example.com');
    expect(user.printed()).toMatch(/redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2\.0%3Aoob/);
    expect(user.printed()).toMatch(/code_challenge_method=S256/);
  });

  it('out of band: a wrong code fails without echoing it', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    output.on('data', () => {});
    setTimeout(() => input.write('not-the-code-1234\n'), 10);
    const error = (await interactiveIdentityToken({
      issuer: sigstore.issuer,
      forceOob: true,
      input,
      output,
    }).catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({
      code: 'OIDC_ERROR',
      message: expect.stringMatching(/token exchange failed/),
    });
    expect(error.message).not.toContain('not-the-code-1234');
  });

  it('out of band: closed input is an error', async () => {
    const input = new PassThrough();
    input.end();
    await expect(
      interactiveIdentityToken({ issuer: sigstore.issuer, forceOob: true, input, output: new PassThrough() }),
    ).rejects.toThrow(/No verification code/);
  });

  it('signs end to end with the interactive flow, the issuer taken from the signing config', async () => {
    const signer = await createSigstoreSigner({
      trustConfig: sigstore.trustConfigPath,
      interactive: { openBrowser: browser, output: new PassThrough() },
    });
    const bundle = await signer.sign(Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}'));
    const verifier = await createSigstoreVerifier({
      identity: 'bob@example.com',
      oidcIssuer: sigstore.issuer,
      trustConfig: sigstore.trustConfigPath,
    });
    await expect(verifier.verify(readBundle(JSON.stringify(bundle)))).resolves.toBeDefined();
  });
});
