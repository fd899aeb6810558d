/**
 * A small in-memory registry stand-in on loopback, for what Debian's docker-registry cannot do: the OCI 1.1
 * referrers API (with `OCI-Subject` and the `artifactType` filter), a Bearer token service, and faults
 * (a 400 on manifest push, a corrupted blob). Only what the spec needs; plain HTTP.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** Behaviour switches of the stand-in. */
export interface StandinOptions {
  /** Serve `GET /v2/<name>/referrers/<digest>` (default true). */
  readonly referrers?: boolean;
  /** Require a Bearer token from the built-in token service, issued for these credentials. */
  readonly bearer?: { username: string; password: string; refreshToken?: string };
}

/** A running stand-in. */
export interface Standin {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  /** Manifests by `<repo>@<digest>`, and tags by `<repo>:<tag>` → digest. */
  readonly manifests: Map<string, { bytes: Buffer; mediaType: string }>;
  /** Tags: `<repo>:<tag>` → digest. */
  readonly tags: Map<string, string>;
  /** Blobs by digest. */
  readonly blobs: Map<string, Buffer>;
  /** Every request line seen, `METHOD path` (for assertions). */
  readonly log: string[];
  /** Answer the next manifest PUTs with this status and a registry error body. */
  failManifestPush?: { status: number; code: string; message: string };
  /** Serve the referrers list in pages of this many entries, linked with `Link: rel="next"`. */
  referrersPageSize?: number;
  /** Refuse manifests that carry a `subject` with 400 (a registry that predates OCI 1.1). */
  refuseSubject?: boolean;
  /** Answer blob GETs with a 307 to `<blobRedirect>/<digest>` (blob storage on another origin). */
  blobRedirect?: string;
  /** Serve these bytes instead of the stored blob with that digest. */
  readonly corruptBlobs: Map<string, Buffer>;
  /** Stores a manifest (and tag) directly. */
  putManifest(repo: string, reference: string, bytes: Buffer, mediaType: string): string;
  /** Stops the server. */
  stop(): Promise<void>;
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ errors: [{ code, message }] }));
}

/** Starts the stand-in on a free loopback port. */
export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  const tags = new Map<string, string>();
  const blobs = new Map<string, Buffer>();
  const uploads = new Map<string, string>();
  const tokens = new Map<string, string>(); // token → scope
  const log: string[] = [];
  let host = '';

  const state: Standin = {
    get host() {
      return host;
    },
    manifests,
    tags,
    blobs,
    log,
    corruptBlobs: new Map(),
    putManifest(repo, reference, bytes, mediaType) {
      const digest = sha256(bytes);
      manifests.set(`${repo}@${digest}`, { bytes, mediaType });
      if (!reference.includes(':')) tags.set(`${repo}:${reference}`, digest);
      return digest;
    },
    async stop() {
      await new Promise((r) => server.close(r));
    },
  };

  function authorized(req: IncomingMessage, res: ServerResponse, repo: string, push: boolean): boolean {
    if (!options.bearer) return true;
    const scope = `repository:${repo}:${push ? 'pull,push' : 'pull'}`;
    const header = req.headers.authorization ?? '';
    const granted = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
    if (granted && (granted === scope || (!push && granted === `repository:${repo}:pull,push`))) return true;
    error(res, 401, 'UNAUTHORIZED', 'authentication required', {
      'WWW-Authenticate': `Bearer realm="http://${host}/token",service="standin",scope="${scope}"`,
    });
    return false;
  }

  async function token(req: IncomingMessage, res: ServerResponse, url: URL) {
    const expected = options.bearer!;
    if (req.method === 'POST') {
      // OAuth2 refresh-token grant: how Docker uses an `identitytoken`.
      const form = new URLSearchParams((await body(req)).toString());
      if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== expected.refreshToken) {
        return error(res, 401, 'UNAUTHORIZED', 'bad refresh token');
      }
      const value = randomBytes(16).toString('hex');
      tokens.set(value, form.get('scope') ?? '');
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ access_token: value, expires_in: 300 }));
    }
    const header = req.headers.authorization ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString() : '';
    if (given !== `${expected.username}:${expected.password}`)
      return error(res, 401, 'UNAUTHORIZED', 'bad credentials');
    const value = randomBytes(16).toString('hex');
    tokens.set(value, url.searchParams.get('scope') ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: value, expires_in: 300 }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', `http://${host}`);
    const method = req.method ?? 'GET';
    log.push(`${method} ${url.pathname}${url.search}`);
    if (url.pathname === '/token' && options.bearer) return token(req, res, url);
    if (url.pathname === '/v2/') {
      res.writeHead(200);
      return res.end('{}');
    }
    const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(url.pathname);
    if (upload) {
      const repo = upload[1]!;
      if (!authorized(req, res, repo, true)) return;
      if (method === 'POST') {
        const id = randomBytes(8).toString('hex');
        uploads.set(id, repo);
        res.writeHead(202, { Location: `/v2/${repo}/blobs/uploads/${id}?state=x` });
        return res.end();
      }
      if (method === 'PUT' && uploads.has(upload[2]!)) {
        const data = await body(req);
        const digest = url.searchParams.get('digest') ?? '';
        if (sha256(data) !== digest) return error(res, 400, 'DIGEST_INVALID', 'digest mismatch');
        blobs.set(digest, data);
        res.writeHead(201, { Location: `/v2/${repo}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        return res.end();
      }
      return error(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'unknown upload');
    }
    const match = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(url.pathname);
    if (!match) return error(res, 404, 'NAME_UNKNOWN', 'not found');
    const [, repo, kind, reference] = match as unknown as [string, string, string, string];
    const push = method === 'PUT' || method === 'POST' || method === 'DELETE';
    if (!authorized(req, res, repo, push)) return;
    if (kind === 'blobs') {
      if (state.blobRedirect && method === 'GET') {
        res.writeHead(307, { Location: `${state.blobRedirect}/${reference}` });
        return res.end();
      }
      const data = state.corruptBlobs.get(reference) ?? blobs.get(reference);
      if (!data) return error(res, 404, 'BLOB_UNKNOWN', 'blob unknown');
      res.writeHead(200, { 'Content-Length': String(data.length), 'Docker-Content-Digest': reference });
      return res.end(method === 'HEAD' ? undefined : data);
    }
    if (kind === 'referrers') {
      if (options.referrers === false) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        return res.end('404 page not found');
      }
      const filter = url.searchParams.get('artifactType');
      const list = [];
      for (const [key, value] of manifests) {
        if (!key.startsWith(`${repo}@`)) continue;
        const json = JSON.parse(value.bytes.toString());
        if (json.subject?.digest !== reference) continue;
        const artifactType = json.artifactType ?? json.config?.mediaType;
        if (filter && artifactType !== filter) continue;
        list.push({
          mediaType: value.mediaType,
          digest: sha256(value.bytes),
          size: value.bytes.length,
          artifactType,
        });
      }
      // Pagination with `Link: <…?page=N>; rel="next"` when a page size is set.
      const page = Number(url.searchParams.get('page') ?? '0');
      const size = state.referrersPageSize ?? list.length;
      const shown = size > 0 ? list.slice(page * size, (page + 1) * size) : list;
      const more = size > 0 && (page + 1) * size < list.length;
      const next = new URLSearchParams(url.searchParams);
      next.set('page', String(page + 1));
      res.writeHead(200, {
        'Content-Type': 'application/vnd.oci.image.index.v1+json',
        ...(filter ? { 'OCI-Filters-Applied': 'artifactType' } : {}),
        ...(more ? { Link: `<${url.pathname}?${next}>; rel="next"` } : {}),
      });
      list.splice(0, list.length, ...shown);
      return res.end(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: list,
        }),
      );
    }
    if (method === 'PUT') {
      const data = await body(req);
      if (state.refuseSubject && data.includes('"subject"')) {
        return error(res, 400, 'MANIFEST_INVALID', 'unknown field subject');
      }
      if (state.failManifestPush) {
        const { status, code, message } = state.failManifestPush;
        return error(res, status, code, message);
      }
      const json = JSON.parse(data.toString());
      for (const d of [json.config, ...(json.layers ?? [])]) {
        if (d && !blobs.has(d.digest))
          return error(res, 400, 'MANIFEST_BLOB_UNKNOWN', `blob unknown ${d.digest}`);
      }
      const digest = state.putManifest(repo, reference, data, String(req.headers['content-type']));
      const headers: Record<string, string> = {
        'Docker-Content-Digest': digest,
        Location: `/v2/${repo}/manifests/${digest}`,
      };
      if (json.subject && options.referrers !== false) headers['OCI-Subject'] = json.subject.digest;
      res.writeHead(201, headers);
      return res.end();
    }
    const digest = reference.includes(':') ? reference : tags.get(`${repo}:${reference}`);
    const stored = digest ? manifests.get(`${repo}@${digest}`) : undefined;
    if (!stored) return error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown');
    res.writeHead(200, { 'Content-Type': stored.mediaType, 'Docker-Content-Digest': digest! });
    return res.end(method === 'HEAD' ? undefined : stored.bytes);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => error(res, 500, 'INTERNAL', e.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  host = `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return state;
}

/** Pushes an image (from `layout.ts` shapes) straight into the stand-in's storage. */
export function storeImage(
  standin: Standin,
  repo: string,
  tag: string,
  image: {
    layers: { bytes: Uint8Array; mediaType?: string; annotations?: Record<string, string> }[];
    config?: { bytes: Uint8Array; mediaType: string };
  },
): { digest: string; bytes: Buffer } {
  const config = image.config ?? {
    bytes: Buffer.from('{}'),
    mediaType: 'application/vnd.oci.image.config.v1+json',
  };
  const put = (b: Uint8Array) => {
    const buf = Buffer.from(b);
    const d = sha256(buf);
    standin.blobs.set(d, buf);
    return d;
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: config.mediaType, digest: put(config.bytes), size: config.bytes.byteLength },
    layers: image.layers.map((l) => ({
      mediaType: l.mediaType ?? 'application/vnd.oci.image.layer.v1.tar',
      digest: put(l.bytes),
      size: l.bytes.byteLength,
      ...(l.annotations ? { annotations: l.annotations } : {}),
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { digest: standin.putManifest(repo, tag, bytes, manifest.mediaType), bytes };
}
