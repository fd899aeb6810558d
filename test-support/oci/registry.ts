/**
 * Starts Debian's `docker-registry` (distribution 2.8) on loopback, on a free port, in a temporary directory:
 * over TLS with a CA made for the test, or over plain HTTP; optionally with htpasswd (Basic) authentication.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePki, type TestPki } from './tls.js';
import { run } from './tools.js';

/** A running registry. */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: what goes in image references. */
  readonly host: string;
  /** `https://…` or `http://…`. */
  readonly url: string;
  /** True when served over plain HTTP. */
  readonly plainHttp: boolean;
  /** The CA (TLS only). */
  readonly pki?: TestPki;
  /** A directory holding `ca.crt`, for `skopeo --dest-cert-dir` (TLS only). */
  readonly certDir?: string;
  /** The htpasswd user, when authentication is on. */
  readonly credentials?: { username: string; password: string };
  /** Stops the registry and removes its directory. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function probe(url: string, ca: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? httpsRequest : httpRequest;
    const req = send(`${url}/v2/`, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitUntilUp(url: string, ca: string | undefined, child: ChildProcess, log: () => string) {
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log()}`);
    const status = await probe(url, ca).catch(() => 0);
    if (status === 200 || status === 401) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not start: ${log()}`);
}

/** Starts `docker-registry serve` with a generated config. */
export async function startRegistry(options: { tls: boolean; htpasswd?: boolean }): Promise<TestRegistry> {
  // The free port may be taken by another test between probing and binding: try a few times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test((error as Error).message)) throw error;
    }
  }
}

async function startOnce(options: { tls: boolean; htpasswd?: boolean }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ms-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const pki = options.tls ? makePki(dir) : undefined;
  let certDir: string | undefined;
  if (pki) {
    certDir = join(dir, 'certs.d');
    run('mkdir', ['-p', certDir]);
    run('cp', [pki.caFile, join(certDir, 'ca.crt')]);
  }
  const credentials = options.htpasswd ? { username: 'tester', password: `pw-${port}-secret` } : undefined;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (pki) lines.push('  tls:', `    certificate: ${pki.certFile}`, `    key: ${pki.keyFile}`);
  if (credentials) {
    const file = join(dir, 'htpasswd');
    run('htpasswd', ['-Bbc', file, credentials.username, credentials.password]);
    lines.push('auth:', '  htpasswd:', '    realm: model-signing-test', `    path: ${file}`);
  }
  const config = join(dir, 'config.yml');
  writeFileSync(config, `${lines.join('\n')}\n`);
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `${pki ? 'https' : 'http'}://${host}`;
  try {
    await waitUntilUp(url, pki?.caPem, child, () => stderr);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    host,
    url,
    plainHttp: !pki,
    pki,
    certDir,
    credentials,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
