import { spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runCli } from '../../../test-support/cli.js';
import { CLI_BIN, PYTHON_SIGNATURES } from '../../../test-support/paths.js';
import { type SigstoreStandIn, startSigstoreStandIn } from '../../../test-support/sigstore/index.js';
import { expectShape } from './json-schema.js';

const IDENTITY = 'stefanb@us.ibm.com';
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

let scratch: string;
let env: NodeJS.ProcessEnv;
let sigstore: SigstoreStandIn;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'ms-sigstore-cli-'));
  // Every run gets its own HOME and XDG data dir: the TUF cache lands there, never in the real home.
  env = { HOME: join(scratch, 'home'), XDG_DATA_HOME: join(scratch, 'data'), BROWSER: '' };
  sigstore = await startSigstoreStandIn({ email: 'carol@example.com' });
});
afterAll(async () => {
  await sigstore?.stop();
  await rm(scratch, { recursive: true, force: true });
});

const cli = (
  args: string[],
  options: { cwd?: string; extraEnv?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> =>
  runCli(args, { env: { ...env, ...options.extraEnv }, ...(options.cwd ? { cwd: options.cwd } : {}) });

async function newModel(name: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(join(dir, 'sub'), { recursive: true });
  await writeFile(join(dir, 'weights.bin'), 'weights');
  await writeFile(join(dir, 'sub', 'config.json'), '{}');
  return dir;
}

describe('verify sigstore: the Python goldens, offline', () => {
  const cases: [string, string[]][] = [
    ['v0.3.1-sigstore', []],
    ['v1.0.0-sigstore', []],
    ['v1.0.1-sigstore', ['--ignore-paths', './v1.0.1-sigstore/ignore-me']],
    ['v1.1.0-sigstore', []],
  ];
  it.each(cases)('%s verifies (explicit method)', async (dir, extra) => {
    const result = await cli(
      [
        'verify',
        'sigstore',
        `./${dir}/`,
        '--signature',
        `./${dir}/model.sig`,
        '--identity',
        IDENTITY,
        '--identity-provider',
        ISSUER,
        ...extra,
      ],
      { cwd: PYTHON_SIGNATURES },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('Verification succeeded\n');
    expect(result.code).toBe(0);
  });

  it('verifies through the default method with underscore spellings, from inside the model', async () => {
    const result = await cli(
      ['verify', '.', '--signature', 'model.sig', '--identity', IDENTITY, '--identity_provider', ISSUER],
      { cwd: join(PYTHON_SIGNATURES, 'v1.0.0-sigstore') },
    );
    expect(result.stdout).toBe('Verification succeeded\n');
    expect(result.code).toBe(0);
  });

  it('refuses a wrong identity and a wrong issuer with one line each', async () => {
    const base = ['verify', 'sigstore', './v1.1.0-sigstore', '--signature', './v1.1.0-sigstore/model.sig'];
    const identity = await cli([...base, '--identity', 'stefanb@us.ibm.co', '--identity-provider', ISSUER], {
      cwd: PYTHON_SIGNATURES,
    });
    expect(identity.code).toBe(1);
    expect(identity.stderr).toMatch(
      /^Verification failed with error: Sigstore identity check failed: .*expected stefanb@us\.ibm\.co\n$/,
    );
    const issuer = await cli(
      [...base, '--identity', IDENTITY, '--identity-provider', 'https://accounts.google.com'],
      {
        cwd: PYTHON_SIGNATURES,
      },
    );
    expect(issuer.code).toBe(1);
    expect(issuer.stderr).toMatch(
      /OIDC issuer is https:\/\/sigstore\.verify\.ibm\.com\/oauth2, expected https:\/\/accounts\.google\.com/,
    );
  });

  it('reports a tampered model file', async () => {
    const copy = join(scratch, 'tampered');
    await cp(join(PYTHON_SIGNATURES, 'v1.1.0-sigstore'), copy, { recursive: true });
    await chmod(join(copy, 'signme-1'), 0o644);
    await writeFile(join(copy, 'signme-1'), 'signme-X');
    const result = await cli([
      'verify',
      'sigstore',
      copy,
      '--signature',
      join(copy, 'model.sig'),
      '--identity',
      IDENTITY,
      '--identity-provider',
      ISSUER,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Verification failed with error: /);
    expect(result.stderr).toMatch(/signme-1/);
  });

  it('refuses a key bundle, naming the key method', async () => {
    const result = await cli(
      [
        'verify',
        'sigstore',
        './v1.1.0-elliptic-key',
        '--signature',
        './v1.1.0-elliptic-key/model.sig',
        '--identity',
        IDENTITY,
        '--identity-provider',
        ISSUER,
      ],
      { cwd: PYTHON_SIGNATURES },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/verify key/);
  });

  it('needs --identity and --identity-provider (usage error)', async () => {
    const result = await cli(['verify', 'sigstore', '.', '--signature', 'model.sig'], {
      cwd: PYTHON_SIGNATURES,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--identity/);
  });
});

describe('sign and verify end to end on the loopback Sigstore', () => {
  it('signs with --identity-token through --trust-config (default method) and verifies', async () => {
    const model = await newModel('model-a');
    const sig = join(scratch, 'a.sig');
    const token = sigstore.token();
    const signed = await cli([
      'sign',
      model,
      '--signature',
      sig,
      '--trust_config',
      sigstore.trustConfigPath,
      '--identity_token',
      token,
    ]);
    expect(signed.stderr).toBe('');
    expect(signed.stdout).toBe('Signing succeeded\n');
    expect(signed.code).toBe(0);
    const bundle = JSON.parse(await readFile(sig, 'utf8')) as {
      verificationMaterial: Record<string, unknown>;
    };
    expect(Object.keys(bundle.verificationMaterial)[0]).toBe('certificate');

    const verified = await cli([
      'verify',
      model,
      '--signature',
      sig,
      '--identity',
      sigstore.email,
      '--identity-provider',
      sigstore.issuer,
      '--trust-config',
      sigstore.trustConfigPath,
      '--json',
    ]);
    expect(verified.code).toBe(0);
    expect(expectShape(verified.stdout, 'verify')).toMatchObject({
      status: 'success',
      method: 'sigstore',
      files: ['sub/config.json', 'weights.bin'],
    });

    // The same bundle against the production root (the default) fails: the stand-in is not trusted there.
    const production = await cli([
      'verify',
      model,
      '--signature',
      sig,
      '--identity',
      sigstore.email,
      '--identity-provider',
      sigstore.issuer,
    ]);
    expect(production.code).toBe(1);
  });

  it('trust-instance, then sign and verify with --instance', async () => {
    const never = await cli([
      'sign',
      'sigstore',
      await newModel('model-never'),
      '--signature',
      join(scratch, 'n.sig'),
      '--instance',
      sigstore.tufUrl,
      '--identity-token',
      sigstore.token(),
    ]);
    expect(never.code).toBe(1);
    expect(never.stderr).toMatch(
      /^Signing failed with error: .*run `model-signing trust-instance --instance/,
    );

    const trusted = await cli(['trust-instance', '--instance', `${sigstore.tufUrl}/`, sigstore.tufRootPath]);
    expect(trusted.stderr).toBe('');
    expect(trusted.stdout).toBe(`Trust bootstrapped for ${sigstore.tufUrl}\n`);
    expect(trusted.code).toBe(0);

    const model = await newModel('model-b');
    const sig = join(scratch, 'b.sig');
    const signed = await cli([
      'sign',
      'sigstore',
      model,
      '--signature',
      sig,
      '--instance',
      sigstore.tufUrl,
      '--identity-token',
      sigstore.token(),
    ]);
    expect(signed.code).toBe(0);
    const verified = await cli([
      'verify',
      'sigstore',
      model,
      '--signature',
      sig,
      '--identity',
      sigstore.email,
      '--identity-provider',
      sigstore.issuer,
      '--instance',
      sigstore.tufUrl,
    ]);
    expect(verified.stdout).toBe('Verification succeeded\n');
    expect(verified.code).toBe(0);
  });

  it('trust-instance refuses a missing ROOT_JSON and a root of another instance', async () => {
    const missing = await cli(['trust-instance', '--instance', sigstore.tufUrl, join(scratch, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`Error: ROOT_JSON must be a file: ${join(scratch, 'nope.json')}\n`);
    const other = await startSigstoreStandIn();
    try {
      const wrong = await cli(['trust-instance', '--instance', sigstore.tufUrl, other.tufRootPath], {
        extraEnv: { XDG_DATA_HOME: join(scratch, 'other-data') },
      });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^Bootstrapping instance failed: Failed to refresh TUF metadata/);
    } finally {
      await other.stop();
    }
  });

  it('an expired token fails with one line that does not contain the token', async () => {
    const token = sigstore.token({ exp: Math.floor(Date.now() / 1000) - 10 });
    const result = await cli([
      'sign',
      await newModel('model-c'),
      '--signature',
      join(scratch, 'c.sig'),
      '--trust-config',
      sigstore.trustConfigPath,
      '--identity-token',
      token,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^Signing failed with error: The identity token from .* expired at /);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(token.split('.')[1]);
  });

  it('an unreachable Fulcio fails with one line naming it', async () => {
    const config = JSON.parse(await readFile(sigstore.trustConfigPath, 'utf8')) as {
      signingConfig: { caUrls: { url: string }[] };
    };
    config.signingConfig.caUrls[0]!.url = 'http://127.0.0.1:9';
    const path = join(scratch, 'unreachable.json');
    await writeFile(path, JSON.stringify(config));
    const token = sigstore.token();
    const result = await cli([
      'sign',
      await newModel('model-f'),
      '--signature',
      join(scratch, 'f.sig'),
      '--trust-config',
      path,
      '--identity-token',
      token,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Signing failed with error: .*Fulcio http:\/\/127\.0\.0\.1:9.*ECONNREFUSED/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(token.split('.')[1]);
  });

  it('signs with the out-of-band flow: URL on stderr, code on stdin', async () => {
    const model = await newModel('model-d');
    const sig = join(scratch, 'd.sig');
    const child = spawn(
      CLI_BIN,
      ['sign', model, '--signature', sig, '--trust-config', sigstore.trustConfigPath, '--oauth-force-oob'],
      {
        env: { ...process.env, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let stdout = '';
    let answered = false;
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', async (c: Buffer) => {
      stderr += c.toString();
      const url = /\t(http\S+)\n/.exec(stderr)?.[1];
      if (url && stderr.includes('Enter verification code') && !answered) {
        answered = true;
        const page = await (await fetch(url)).text();
        child.stdin.write(`${page.replace(/^code=/, '')}\n`);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toMatch(/Go to the following link in a browser/);
    expect(stdout).toBe('Signing succeeded\n');
    expect(code).toBe(0);
    const verified = await cli([
      'verify',
      model,
      '--signature',
      sig,
      '--identity',
      'carol@example.com',
      '--identity-provider',
      sigstore.issuer,
      '--trust-config',
      sigstore.trustConfigPath,
    ]);
    expect(verified.code).toBe(0);
  });

  it('signs with the browser flow: $BROWSER follows the sign-in to the loopback callback', async () => {
    const browser = join(scratch, 'browser.sh');
    await writeFile(
      browser,
      `#!/bin/sh\nexec "${process.execPath}" -e 'fetch(process.argv[1]).then((r) => r.text())' "$1"\n`,
    );
    await chmod(browser, 0o755);
    const model = await newModel('model-e');
    const sig = join(scratch, 'e.sig');
    const signed = await cli(
      ['sign', model, '--signature', sig, '--trust-config', sigstore.trustConfigPath],
      {
        extraEnv: { BROWSER: browser },
      },
    );
    expect(signed.stderr).toMatch(/Waiting for browser sign-in/);
    expect(signed.stdout).toBe('Signing succeeded\n');
    expect(signed.code).toBe(0);
  });
});
