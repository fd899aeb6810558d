/**
 * Test fixture: a SoftHSM2 token in a temporary directory (SOFTHSM2_CONF), keys made with opensc's
 * pkcs11-tool, public keys exported independently with gnutls' p11tool. Shared by the pkcs11, signing and
 * cli tests (import it by relative path).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian/Ubuntu (and a few others) install SoftHSM2's module. */
const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib64/pkcs11/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
];

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The SoftHSM2 module path, when softhsm2, pkcs11-tool, p11tool and openssl are all installed. */
export function softHsmModule(): string | undefined {
  const module = MODULE_CANDIDATES.find((file) => existsSync(file));
  if (module === undefined) return undefined;
  return ['softhsm2-util', 'pkcs11-tool', 'p11tool', 'openssl'].every(onPath) ? module : undefined;
}

/**
 * Why the SoftHSM tests are skipped, or `undefined` when they run. On CI they never skip: a missing
 * tool is then a failure of the test run, so the reason is thrown instead.
 */
export function softHsmSkipReason(): string | undefined {
  if (softHsmModule() !== undefined) return undefined;
  const reason = 'softhsm2, opensc (pkcs11-tool), gnutls-bin (p11tool) or openssl is not installed';
  if (process.env.CI === 'true') throw new Error(`${reason}, but CI must run the PKCS #11 tests`);
  return reason;
}

/** Curves as pkcs11-tool names them, with the openssl digest that goes with each. */
export const CURVES = [
  { keyType: 'EC:prime256v1', curve: 'P-256', digest: 'sha256' },
  { keyType: 'EC:secp384r1', curve: 'P-384', digest: 'sha384' },
  { keyType: 'EC:secp521r1', curve: 'P-521', digest: 'sha512' },
] as const;

/** A SoftHSM2 token living in a temporary directory. */
export interface SoftHsmToken {
  /** The temporary directory (config, tokens, scratch files). */
  readonly dir: string;
  /** The token label. */
  readonly label: string;
  /** The user PIN. */
  readonly pin: string;
  /** The SoftHSM2 module file. */
  readonly module: string;
  /** The slot id SoftHSM reassigned the token to. */
  readonly slotId: number;
  /** Environment with SOFTHSM2_CONF for child processes. */
  readonly env: NodeJS.ProcessEnv;
  /** Runs pkcs11-tool against this token, logged in; returns stdout. */
  pkcs11Tool(args: readonly string[]): string;
  /** Generates a key pair (`EC:prime256v1`, `rsa:2048`, …) with the given hex id and label. */
  generateKey(keyType: string, idHex: string, label: string): void;
  /** Deletes an object (`pubkey`, `privkey`, `cert`) by hex id. */
  deleteObject(type: string, idHex: string): void;
  /** The public key as PEM, exported by gnutls' p11tool (independent of our code). */
  exportPublicKeyWithP11tool(idHex: string): string;
  /** The key's public-object URI as p11tool lists it (`pkcs11:model=…;token=…;id=…;object=…;type=public`). */
  keyUriFromP11tool(keyLabel: string): string;
  /** A URI for our signer: token label, key selectors, PIN and module path. */
  uri(selector: string, query?: string): string;
  /** Deletes the token directory and restores SOFTHSM2_CONF. */
  cleanup(): Promise<void>;
}

/**
 * Creates a fresh token (`softhsm2-util --init-token --free`) in a temporary directory and points
 * `process.env.SOFTHSM2_CONF` at it, so that the module loaded in this process sees only this token.
 */
export async function createSoftHsmToken(label = 'model-signing-test', pin = '1234'): Promise<SoftHsmToken> {
  const module = softHsmModule();
  if (module === undefined) throw new Error('SoftHSM2 is not installed');
  const dir = await mkdtemp(join(tmpdir(), 'ms-softhsm-'));
  const conf = join(dir, 'softhsm2.conf');
  await writeFile(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  execFileSync('mkdir', ['-p', join(dir, 'tokens')]);
  const previousConf = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const init = execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', pin],
    { env, encoding: 'utf8' },
  );
  const slotMatch = /reassigned to slot (\d+)/.exec(init);
  if (!slotMatch) throw new Error(`softhsm2-util did not report a slot: ${init}`);
  const slotId = Number(slotMatch[1]);

  const pkcs11Tool = (args: readonly string[]): string =>
    execFileSync(
      'pkcs11-tool',
      ['--module', module, '--token-label', label, '--login', '--pin', pin, ...args],
      {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );

  return {
    dir,
    label,
    pin,
    module,
    slotId,
    env,
    pkcs11Tool,
    generateKey(keyType, idHex, keyLabel) {
      pkcs11Tool(['--keypairgen', '--key-type', keyType, '--id', idHex, '--label', keyLabel]);
    },
    deleteObject(type, idHex) {
      pkcs11Tool(['--delete-object', '--type', type, '--id', idHex]);
    },
    exportPublicKeyWithP11tool(idHex) {
      const id = idHex.replace(/(..)/g, '%$1');
      // With --outfile: printing to the screen makes p11tool sleep three seconds after a warning.
      const out = join(dir, `p11tool-${idHex}.pem`);
      execFileSync(
        'p11tool',
        [
          '--provider',
          module,
          '--login',
          '--outfile',
          out,
          '--export-pubkey',
          `pkcs11:token=${label};id=${id};type=public`,
        ],
        { env: { ...env, GNUTLS_PIN: pin }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      return readFileSync(out, 'utf8');
    },
    keyUriFromP11tool(keyLabel) {
      const listing = execFileSync('p11tool', ['--provider', module, '--list-all', `pkcs11:token=${label}`], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const url = listing
        .split('\n')
        .map((line) => /^\s*URL: (pkcs11:.*)$/.exec(line)?.[1])
        .find((candidate) => candidate?.includes(`;object=${keyLabel};`));
      if (url === undefined) throw new Error(`p11tool lists no object ${keyLabel}: ${listing}`);
      return url;
    },
    uri(selector, query) {
      return `pkcs11:token=${label};${selector}?pin-value=${pin}&module-path=${module}${query ? `&${query}` : ''}`;
    },
    async cleanup() {
      if (previousConf === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previousConf;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
