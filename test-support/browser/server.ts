import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { FIXTURES } from '../paths.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/** A generated file the server streams without storing it: `size` bytes of zeros. */
export interface GeneratedFile {
  /** Its length. */
  readonly size: number;
}

/** The test server and what it serves. */
export interface TestServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Serves the folder `dir` under `/<prefix>/`. */
  mount(prefix: string, dir: string): void;
  /** Serves `bytes` at `urlPath`. */
  put(urlPath: string, bytes: Uint8Array | string): void;
  /** Streams `size` zero bytes at `urlPath`, generated as they are sent. */
  generate(urlPath: string, size: number): void;
  /** Stops the server. */
  close(): Promise<void>;
}

const ZEROS = Buffer.alloc(1 << 20);

// Writes `size` zeros, waiting for the socket to drain: the memory of the server stays one chunk.
function sendZeros(res: import('node:http').ServerResponse, size: number): void {
  let left = size;
  const pump = () => {
    while (left > 0) {
      const chunk = left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left);
      left -= chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

/**
 * Starts a static server on 127.0.0.1: the demo page at `/` (from `site`), the shared fixtures at
 * `/fixtures/` (read only), folders mounted by tests, bytes put by tests and generated streams.
 */
export async function startServer(site: string): Promise<TestServer> {
  const mounts = new Map<string, string>([
    ['', site],
    ['fixtures', FIXTURES],
  ]);
  const blobs = new Map<string, Uint8Array | string>();
  const generated = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const urlPath = decodeURIComponent(url.pathname);
    const put = blobs.get(urlPath);
    if (put !== undefined)
      return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(put);
    const size = generated.get(urlPath);
    if (size !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
      return sendZeros(res, size);
    }
    const [, first = '', ...rest] = urlPath.split('/');
    const [root, relative] =
      mounts.has(first) && first !== '' ? [mounts.get(first)!, rest.join('/')] : [site, urlPath.slice(1)];
    const file = path.join(root, relative || 'index.html');
    if (!file.startsWith(root) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      return void res.writeHead(404).end('not found');
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    mount: (prefix, dir) => void mounts.set(prefix, dir),
    put: (urlPath, bytes) => void blobs.set(urlPath, bytes),
    generate: (urlPath, size) => void generated.set(urlPath, size),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
