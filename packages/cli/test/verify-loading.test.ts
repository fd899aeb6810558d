import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packagesOf, traceModules } from '../../../test-support/module-trace.js';
import { REPO_ROOT } from '../../../test-support/paths.js';

const entry = path.join(REPO_ROOT, 'packages/cli/dist/main.bundle.js');
const SIGNATURES = path.resolve(REPO_ROOT, '../shared/fixtures/python-upstream/signatures');
const PUBLIC_KEY = path.join(SIGNATURES, 'keys/certificate/signing-key-pub.pem');

// What a verify-only user pays at start-up: signing, @sigstore/sign, pkijs and the certificate libraries are some
// hundreds of modules, the registry client (undici) about a hundred more.
const NEVER_FOR_VERIFY = /^(signing|pkcs11|@sigstore\/sign|pkijs|make-fetch-happen|tuf-js)$/;
const CERTIFICATE_STACK = /^(@peculiar\/|reflect-metadata$|tsyringe$)/;

describe('the CLI verify commands load only what their method needs', () => {
  it('verify key of a Python key golden loads no signing, certificate, Sigstore, registry or tracing code', () => {
    const model = path.join(SIGNATURES, 'v1.1.0-elliptic-key');
    const args = ['verify', 'key', '--public-key', PUBLIC_KEY, '--signature', path.join(model, 'model.sig')];
    const trace = traceModules([entry, ...args, model]);
    expect(trace.status, trace.stderr).toBe(0);
    expect(trace.stdout).toContain('Verification succeeded');
    const loaded = packagesOf(trace.phases.start ?? []);
    expect(loaded).toContain('verifying');
    expect(loaded.filter((name) => NEVER_FOR_VERIFY.test(name))).toEqual([]);
    expect(loaded.filter((name) => CERTIFICATE_STACK.test(name))).toEqual([]);
    expect(
      loaded.filter((name) => /^(@sigstore\/(verify|tuf|bundle)|undici|@opentelemetry\/api)$/.test(name)),
    ).toEqual([]);
  });

  it('verify sigstore of a Python Sigstore golden loads @sigstore/verify but not the signing stack', () => {
    const model = path.join(SIGNATURES, 'v1.1.0-sigstore');
    const trace = traceModules([
      entry,
      'verify',
      'sigstore',
      '--identity',
      'stefanb@us.ibm.com',
      '--identity-provider',
      'https://sigstore.verify.ibm.com/oauth2',
      '--signature',
      path.join(model, 'model.sig'),
      model,
    ]);
    expect(trace.status, trace.stderr).toBe(0);
    const loaded = packagesOf(trace.phases.start ?? []);
    expect(loaded).toContain('@sigstore/verify');
    expect(loaded.filter((name) => NEVER_FOR_VERIFY.test(name))).toEqual([]);
    expect(loaded.filter((name) => CERTIFICATE_STACK.test(name))).toEqual([]);
  });
});
