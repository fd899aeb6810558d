// Loopback Sigstore stand-in, run as a CHILD PROCESS by ./index.ts (never imported in-process: the
// @tufjs/repo-mock index loads nock 14, which breaks make-fetch-happen in the same process).
//
// One node:http server on 127.0.0.1 serves:
//   POST /api/v2/signingCert     fake Fulcio  (@sigstore/mock fulcioHandler, SAN from the token's `email`)
//   POST /api/v1/log/entries     fake Rekor v1 (@sigstore/mock tlog, with a dsse canonicaliser in front)
//   POST /api/v1/timestamp       fake TSA     (@sigstore/mock tsaHandler)
//   GET  /tuf/...                TUF repository (@tufjs/repo-mock) with trusted_root.json + signing_config.v0.2.json
//   GET  /oidc/...               fake OIDC issuer: discovery, authorize (auto-approves), token (PKCE checked)
// It writes trusted_root.json, signing_config.v0.2.json, trust_config.json and tuf-root.json into the
// directory given as argv[2], then prints one JSON line {"url": ...} on stdout.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, tsaHandler } =
  require('@sigstore/mock');
// Deep imports on purpose: the package index pulls in nock 14 (see above).
const { KeyPair } = require('@tufjs/repo-mock/dist/key.js');
const {
  createSnapshotMeta,
  createTargetsMeta,
  createRootMeta,
} = require('@tufjs/repo-mock/dist/metadata.js');
const { collectTargets } = require('@tufjs/repo-mock/dist/target.js');
// @tufjs/models is repo-mock's own dependency: resolve it from there.
const models = createRequire(require.resolve('@tufjs/repo-mock/dist/repo.js'))('@tufjs/models');

const dir = process.argv[2];
const options = JSON.parse(process.argv[3] ?? '{}');
const email = options.email ?? 'alice@example.com';

const sha256 = (data) => createHash('sha256').update(data).digest();
const b64 = (data) => Buffer.from(data).toString('base64');
const b64url = (data) => Buffer.from(data).toString('base64url');
const der = (view) => Buffer.from(view.buffer, view.byteOffset, view.byteLength);

const routes = { GET: new Map(), POST: new Map() };
let oidc; // filled once the URL is known

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      if (url.pathname.startsWith('/oidc/')) return oidc(req, res, url, body);
      const handler = routes[req.method ?? 'GET']?.get(url.pathname);
      if (!handler) {
        res.writeHead(404).end('not found');
        return;
      }
      const result = await handler(body);
      res.writeHead(result.statusCode, { 'content-type': result.contentType ?? 'application/octet-stream' });
      res.end(typeof result.response === 'string' ? result.response : der(result.response));
    } catch (error) {
      res.writeHead(500).end(String(error));
    }
  });
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  const base = `http://127.0.0.1:${port}`;
  const issuer = `${base}/oidc`;
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ctlog = await initializeCTLog(keyPair);
  const ca = await initializeCA(keyPair, ctlog);
  const tlog = await initializeTLog(base, keyPair);
  const tsa = await initializeTSA(keyPair);
  // The mock TSA writes genTime with milliseconds and DER drops trailing zeros (".12Z"), which @sigstore/core's
  // parser refuses ("invalid time") about one time in ten. Whole seconds encode without a fraction.
  tsa.getCurrentTime = () => new Date(Math.floor(Date.now() / 1000) * 1000);

  const fulcio = fulcioHandler(ca, { strict: true, subjectClaim: 'email' });
  routes.POST.set(fulcio.path, fulcio.fn);
  const timestamp = tsaHandler(tsa);
  routes.POST.set(timestamp.path, timestamp.fn);
  // Mock Rekor stores the proposed entry verbatim; real Rekor stores a canonical dsse body (envelope hash, payload
  // hash, signatures with their verifier). Without this the verifier fails with TLOG_BODY_ERROR.
  routes.POST.set('/api/v1/log/entries', async (body) => {
    let entry = JSON.parse(body);
    if (entry.kind === 'dsse' && entry.spec?.proposedContent) {
      const { envelope, verifiers } = entry.spec.proposedContent;
      const env = JSON.parse(envelope);
      entry = {
        apiVersion: '0.0.1',
        kind: 'dsse',
        spec: {
          envelopeHash: { algorithm: 'sha256', value: sha256(envelope).toString('hex') },
          payloadHash: {
            algorithm: 'sha256',
            value: sha256(Buffer.from(env.payload, 'base64')).toString('hex'),
          },
          signatures: env.signatures.map((s) => ({ signature: s.sig, verifier: verifiers[0] })),
        },
      };
    }
    return {
      statusCode: 201,
      response: JSON.stringify(await tlog.log(entry)),
      contentType: 'application/json',
    };
  });

  // validFor.start lies in the past: integratedTime is truncated to seconds.
  const start = new Date(Date.now() - 60_000).toISOString();
  const authority = (certs) => ({
    subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
    uri: base,
    certChain: { certificates: certs.map((c) => ({ rawBytes: b64(der(c)) })) },
    validFor: { start },
  });
  const log = (spki) => ({
    baseUrl: base,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: b64(spki), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: b64(sha256(spki)) },
  });
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [log(tlog.publicKey)],
    certificateAuthorities: [authority([ca.rootCertificate])],
    ctlogs: [log(ctlog.publicKey)],
    timestampAuthorities: [authority([tsa.intCertificate, tsa.rootCertificate])],
  };
  const service = (url) => ({ url, majorApiVersion: 1, validFor: { start }, operator: 'stand-in.example' });
  const signingConfig = {
    mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
    caUrls: [service(base)],
    oidcUrls: [service(issuer)],
    rekorTlogUrls: [service(base)],
    tsaUrls: [service(`${base}/api/v1/timestamp`)],
    rekorTlogConfig: { selector: 'ANY' },
    tsaConfig: { selector: 'ANY' },
  };
  const tuf = tufRepository([
    { name: 'trusted_root.json', content: JSON.stringify(trustedRoot) },
    { name: 'signing_config.v0.2.json', content: JSON.stringify(signingConfig) },
  ]);
  for (const [path, respond] of tuf.routes) routes.GET.set(path, respond);
  // Test control: re-issue timestamp.json (version 2) already expired, to exercise the expiry error.
  routes.POST.set('/control/expire-tuf', async () => {
    tuf.expireTimestamp();
    return { statusCode: 204, response: '' };
  });

  oidc = oidcIssuer(issuer, email);

  writeFileSync(join(dir, 'trusted_root.json'), JSON.stringify(trustedRoot));
  writeFileSync(join(dir, 'signing_config.v0.2.json'), JSON.stringify(signingConfig));
  writeFileSync(
    join(dir, 'trust_config.json'),
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.clienttrustconfig.v0.1+json',
      trustedRoot,
      signingConfig,
    }),
  );
  writeFileSync(join(dir, 'tuf-root.json'), JSON.stringify(tuf.root.toJSON()));
  process.stdout.write(`${JSON.stringify({ url: base, issuer, tufUrl: `${base}/tuf` })}\n`);
});

/**
 * A TUF repository (one ECDSA key for all roles, no consistent snapshots) served under /tuf, built from
 * @tufjs/repo-mock's pieces so that the timestamp can be re-issued (initializeTUFRepo keeps its key private), with the same layout.
 */
function tufRepository(targets) {
  const keyPair = new KeyPair();
  const targetsMeta = createTargetsMeta(collectTargets(targets), keyPair);
  const snapshotMeta = createSnapshotMeta(targetsMeta, keyPair);
  const root = createRootMeta(keyPair);
  const metaFile = (meta) => {
    const text = JSON.stringify(meta);
    return new models.MetaFile({
      version: 1,
      length: text.length,
      hashes: { sha256: sha256(text).toString('hex') },
    });
  };
  const makeTimestamp = (version, expires) => {
    const meta = new models.Metadata(
      new models.Timestamp({ version, specVersion: '1.0.0', expires, snapshotMeta: metaFile(snapshotMeta) }),
    );
    meta.sign((data) => keyPair.sign(data));
    return meta;
  };
  const inAYear = new Date(Date.now() + 365 * 86_400_000).toISOString();
  let timestamp = makeTimestamp(1, inAYear);
  const json = (meta) => async () => ({
    statusCode: 200,
    response: JSON.stringify(meta().toJSON()),
    contentType: 'application/json',
  });
  const routes = new Map([
    ['/tuf/1.root.json', json(() => root)],
    ['/tuf/2.root.json', async () => ({ statusCode: 404, response: '' })],
    ['/tuf/timestamp.json', json(() => timestamp)],
    ['/tuf/snapshot.json', json(() => snapshotMeta)],
    ['/tuf/targets.json', json(() => targetsMeta)],
  ]);
  for (const target of targets) {
    routes.set(`/tuf/targets/${target.name}`, async () => ({ statusCode: 200, response: target.content }));
  }
  return {
    root,
    routes,
    expireTimestamp() {
      timestamp = makeTimestamp(2, new Date(Date.now() - 86_400_000).toISOString());
    },
  };
}

/** A fake OIDC issuer: auto-approving authorization endpoint, PKCE-checking token endpoint, unsigned id tokens. */
function oidcIssuer(issuer, subjectEmail) {
  const codes = new Map();
  const OOB = 'urn:ietf:wg:oauth:2.0:oob';
  return (req, res, url, body) => {
    const path = url.pathname.slice('/oidc'.length);
    if (path === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }),
      );
      return;
    }
    if (path === '/authorize') {
      const q = url.searchParams;
      const required = ['client_id', 'redirect_uri', 'state', 'nonce', 'code_challenge'];
      const missing = required.filter((k) => !q.get(k));
      if (
        q.get('response_type') !== 'code' ||
        q.get('code_challenge_method') !== 'S256' ||
        missing.length > 0
      ) {
        res.writeHead(400).end(`bad authorization request: ${missing.join(',')}`);
        return;
      }
      const code = b64url(randomBytes(16));
      codes.set(code, {
        challenge: q.get('code_challenge'),
        nonce: q.get('nonce'),
        redirect: q.get('redirect_uri'),
        clientId: q.get('client_id'),
      });
      if (q.get('redirect_uri') === OOB) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`code=${code}`);
        return;
      }
      const target = new URL(q.get('redirect_uri'));
      target.searchParams.set('code', code);
      target.searchParams.set('state', q.get('state'));
      res.writeHead(302, { location: target.toString() }).end();
      return;
    }
    if (path === '/token' && req.method === 'POST') {
      const form = new URLSearchParams(body);
      const grant = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      const verifier = form.get('code_verifier') ?? '';
      if (
        !grant ||
        form.get('grant_type') !== 'authorization_code' ||
        form.get('redirect_uri') !== grant.redirect ||
        b64url(sha256(verifier)) !== grant.challenge
      ) {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: 'invalid_grant' }));
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: issuer,
        sub: 'stand-in-subject',
        aud: grant.clientId,
        email: subjectEmail,
        email_verified: true,
        nonce: grant.nonce,
        iat: now,
        exp: now + 300,
      };
      const idToken = `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}.`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: 'stand-in-access', token_type: 'Bearer', id_token: idToken }));
      return;
    }
    res.writeHead(404).end('not found');
  };
}

process.on('SIGTERM', () => process.exit(0));
// The parent went away without stopping us (crashed test run): do not linger.
process.on('disconnect', () => process.exit(0));
