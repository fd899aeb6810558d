// `verify certificate` on a hostile bundle: a leaf plus 30 CA certificates that share one name and key, which
// an unbounded path search tries in every order. The CLI must fail with the path-search line, exit 1.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { hostileChain } from '../../verifying/test/hostile-chain.js';
import { issue } from '../../verifying/test/pki.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'ms-cli-hostile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('verify certificate: hostile certificate sets', () => {
  it('fails at once with one line on a leaf and 30 look-alike CA certificates', async () => {
    const { cas, leaf, leafKeyPem } = await hostileChain(30);
    const model = path.join(work, 'model');
    mkdirSync(model);
    writeFileSync(path.join(model, 'w.bin'), 'weights');
    writeFileSync(path.join(work, 'leaf.key'), leafKeyPem);
    writeFileSync(path.join(work, 'leaf.pem'), leaf.toString('pem'));
    writeFileSync(path.join(work, 'cas.pem'), cas.map((c) => c.toString('pem')).join('\n'));
    writeFileSync(path.join(work, 'root.pem'), (await issue({ name: 'unrelated-root', ca: true })).pem);
    const signature = path.join(work, 'model.sig');
    const signed = await runCli([
      ...['sign', 'certificate', '--private-key', path.join(work, 'leaf.key')],
      ...[
        '--signing-certificate',
        path.join(work, 'leaf.pem'),
        '--certificate-chain',
        path.join(work, 'cas.pem'),
      ],
      ...['--signature', signature, model],
    ]);
    expect(signed.code, signed.stderr).toBe(0);
    const result = await runCli([
      ...['verify', 'certificate', '--certificate-chain', path.join(work, 'root.pem')],
      ...['--signature', signature, model],
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^Verification failed with error: Certificate path search exceeded 1000 issuer checks in the bundle's 31 certificates; .*\n$/,
    );
  });
});
