import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagesOf, traceModules } from '../../../test-support/module-trace.js';
import { CA_CERT, PUBLIC_KEY, REPO_ROOT, SIGNATURES } from './fixtures.js';

interface PackageJson {
  readonly name: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const readPackage = (dir: string): PackageJson =>
  JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;

/** The names a published package makes npm install: dependencies, optional ones and required peers. */
function installedNames(manifest: PackageJson): string[] {
  const peers = Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
  );
  return [
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
    ...peers,
  ];
}

/** Where Node finds package `name` from `dir`: the nearest `node_modules/name` up the tree. */
function findPackage(dir: string, name: string): string | undefined {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(current) === current) return undefined;
  }
}

/** Every package installing `root` brings, found the way Node resolves them from each dependent. */
function dependencyClosure(root: string): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const queue = [realpathSync(root)];
  while (queue.length > 0) {
    const dir = queue.pop() as string;
    if (seen.has(dir)) continue;
    seen.add(dir);
    for (const name of installedNames(readPackage(dir))) {
      names.add(name);
      const found = findPackage(dir, name);
      if (found) queue.push(found); // an optional dependency for another platform is not installed
    }
  }
  return names;
}

const VERIFYING = path.join(REPO_ROOT, 'packages/verifying');
const SIGNING_STACK = ['@model-signing/signing', '@sigstore/sign'];

describe('a verify-only install', () => {
  it('@model-signing/verifying does not depend on the signing package or @sigstore/sign', () => {
    expect(installedNames(readPackage(VERIFYING)).filter((name) => SIGNING_STACK.includes(name))).toEqual([]);
  });

  it('nothing it installs, transitively, depends on them either', () => {
    const closure = dependencyClosure(VERIFYING);
    expect(closure.has('@model-signing/core')).toBe(true);
    expect(closure.has('@sigstore/verify')).toBe(true);
    expect([...closure].filter((name) => SIGNING_STACK.includes(name))).toEqual([]);
  });
});

// Between the import of the package and the verification, a marker line tells the two phases' modules apart.
const SCRIPT = `
const [bundle, method, trust, model, signature] = process.argv.slice(1);
const verifying = await import(bundle);
process.stderr.write('phase verify\\n');
const config = new verifying.Config();
if (method === 'key') config.useEllipticKeyVerifier({ publicKey: trust });
else config.useCertificateVerifier({ certificateChain: [trust] });
const result = await config.verify(model, signature);
process.stdout.write(JSON.stringify({ method: result.method, files: result.files }));
`;

interface Run {
  readonly atImport: readonly string[];
  readonly atVerify: readonly string[];
  readonly result: { method: string; files: string[] };
}

describe('the library loads only what a verification method needs', () => {
  // The built bundle, as a user's `import('@model-signing/verifying')` gets it (run `pnpm build` first).
  function verifyIn(method: 'key' | 'certificate', trust: string, golden: string): Run {
    const model = path.join(SIGNATURES, golden);
    const bundle = path.join(VERIFYING, 'dist/index.bundle.js');
    const signature = path.join(model, 'model.sig');
    const trace = traceModules([
      '--input-type=module',
      '-e',
      SCRIPT,
      bundle,
      method,
      trust,
      model,
      signature,
    ]);
    expect(trace.status, trace.stderr).toBe(0);
    return {
      atImport: trace.phases.start ?? [],
      atVerify: trace.phases.verify ?? [],
      result: JSON.parse(trace.stdout) as Run['result'],
    };
  }

  const CERTIFICATE_STACK = /^(pkijs|@peculiar\/|reflect-metadata$|tsyringe$|asn1js$)/;
  const SIGSTORE_STACK = /^(@sigstore\/(verify|sign|tuf|bundle)|tuf-js|make-fetch-happen)$/;
  const OTHERS = /^(signing|oci|undici|tar-stream|@opentelemetry\/api)$/;

  it('importing the package and verify key of a Python key golden load no certificate, Sigstore or OCI code', () => {
    const run = verifyIn('key', PUBLIC_KEY, 'v1.1.0-elliptic-key');
    expect(run.result.method).toBe('key');
    // The files the Python tool signed, read from the bundle's payload without this package's reader.
    const bundle = JSON.parse(readFileSync(path.join(SIGNATURES, 'v1.1.0-elliptic-key/model.sig'), 'utf8'));
    const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'));
    const signed = (statement.predicate.resources as { name: string }[]).map((r) => r.name);
    expect(run.result.files).toEqual(signed);
    const loaded = packagesOf([...run.atImport, ...run.atVerify]);
    expect(loaded).toContain('verifying');
    expect(loaded).toContain('core');
    expect(loaded.filter((name) => CERTIFICATE_STACK.test(name))).toEqual([]);
    expect(loaded.filter((name) => SIGSTORE_STACK.test(name))).toEqual([]);
    expect(loaded.filter((name) => OTHERS.test(name))).toEqual([]);
  });

  it('verify certificate loads @peculiar/x509 when verifying, and still no Sigstore code', () => {
    const run = verifyIn('certificate', CA_CERT, 'v1.1.0-certificate');
    expect(run.result.method).toBe('certificate');
    expect(packagesOf(run.atImport).filter((name) => CERTIFICATE_STACK.test(name))).toEqual([]);
    const atVerify = packagesOf(run.atVerify);
    expect(atVerify).toContain('@peculiar/x509');
    expect(atVerify).toContain('reflect-metadata');
    expect(atVerify.filter((name) => SIGSTORE_STACK.test(name) || name === 'pkijs')).toEqual([]);
  });
});
