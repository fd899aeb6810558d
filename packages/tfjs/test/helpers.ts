import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as signing from '@model-signing/signing';
import * as verifying from '@model-signing/verifying';
import { type CliResult, runCli } from '../../../test-support/cli.js';

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'ms-tfjs-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh P-256 publisher key as a signing config and the matching verifying config. */
export function publisherKey(): {
  signing: signing.Config;
  verifying: verifying.Config;
  privatePem: Buffer;
  publicPem: Buffer;
} {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Bytes are PEM contents (a string would be a file path).
  const privatePem = Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const publicPem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }));
  return {
    signing: new signing.Config().useEllipticKeySigner({ privateKey: privatePem }),
    verifying: new verifying.Config().useEllipticKeyVerifier({ publicKey: publicPem }),
    privatePem,
    publicPem,
  };
}

/** The resources (name → hex digest) of the statement signed in the bundle `bundleJson`. */
export function signedResources(bundleJson: string): Record<string, string> {
  const bundle = JSON.parse(bundleJson) as { dsseEnvelope: { payload: string } };
  const statement = JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8')) as {
    predicate: { resources: { name: string; digest: string }[] };
  };
  return Object.fromEntries(statement.predicate.resources.map((r) => [r.name, r.digest]));
}

/**
 * Runs `model-signing sign key` (with the private key `pem`) or `verify key` (with the public key `pem`) on
 * the model directory `model`, its signature `model.sig` inside it; the key file is written into `work`.
 */
export function cliWithKey(
  action: 'sign' | 'verify',
  pem: Buffer,
  model: string,
  work: string,
): Promise<CliResult> {
  const key = path.join(work, `${path.basename(model)}.${action}.pem`);
  writeFileSync(key, pem);
  const keyOption = action === 'sign' ? '--private-key' : '--public-key';
  return runCli([action, 'key', keyOption, key, '--signature', path.join(model, 'model.sig'), model]);
}
