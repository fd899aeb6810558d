import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createSigstoreVerifier, readBundle, VerificationError } from '@model-signing/verifying';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { PYTHON_SIGNATURES } from '../../../test-support/paths.js';

const IDENTITY = 'stefanb@us.ibm.com';
const ISSUER = 'https://sigstore.verify.ibm.com/oauth2';

interface GoldenJson {
  verificationMaterial: {
    certificate: { rawBytes: string };
    tlogEntries: { canonicalizedBody: string; inclusionProof: { hashes: string[] } }[];
    timestampVerificationData: { rfc3161Timestamps: { signedTimestamp: string }[] };
  };
}

// The Python-made v1.1.0 Sigstore golden: the only one with an RFC 3161 timestamp.
const golden = (): GoldenJson =>
  JSON.parse(readFileSync(resolve(PYTHON_SIGNATURES, 'v1.1.0-sigstore/model.sig'), 'utf8')) as GoldenJson;

// A DER TLV's header length and content length.
function tlv(der: Buffer, at: number): { header: number; length: number } {
  const first = der[at + 1]!;
  if (first < 0x80) return { header: 2, length: first };
  const count = first & 0x7f;
  return { header: 2 + count, length: der.readUIntBE(at + 2, count) };
}

function derSequence(content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([0x30]), length, content]);
}

// The timestamp response cut after its status: well-formed DER, but the token is gone. @sigstore/core reads it
// lazily and fails with `Cannot read properties of undefined (reading 'subs')`.
function withoutToken(der: Buffer): Buffer {
  const outer = tlv(der, 0);
  const status = tlv(der, outer.header);
  return derSequence(der.subarray(outer.header, outer.header + status.header + status.length));
}

async function verifyError(spoil: (json: GoldenJson) => void): Promise<VerificationError> {
  const json = golden();
  spoil(json);
  const verifier = await createSigstoreVerifier({ identity: IDENTITY, oidcIssuer: ISSUER });
  const error = await verifier.verify(readBundle(json as unknown as Record<string, unknown>)).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VerificationError);
  return error as VerificationError;
}

const stamp = (json: GoldenJson) => json.verificationMaterial.timestampVerificationData.rfc3161Timestamps[0]!;
const stampDer = (json: GoldenJson) => Buffer.from(stamp(json).signedTimestamp, 'base64');

describe('malformed parts of a Python-made Sigstore bundle are malformed-bundle errors, not raw ones', () => {
  it.each([
    ['its token removed', (der: Buffer) => withoutToken(der)],
    ['truncated to half', (der: Buffer) => der.subarray(0, der.length / 2)],
    ['its last byte cut', (der: Buffer) => der.subarray(0, der.length - 1)],
    ['empty', () => Buffer.alloc(0)],
  ])('an RFC 3161 timestamp %s', async (_name, cut) => {
    const error = await verifyError((json) => {
      stamp(json).signedTimestamp = cut(stampDer(json)).toString('base64');
    });
    expect(error.code).toBe('INVALID_BUNDLE');
    expect(error.message).toBe(
      'Invalid Sigstore bundle: RFC 3161 timestamp 1 of 1 is malformed and cannot be verified; the signature is damaged: get an intact copy or sign the model again',
    );
    // The dependency's own error is kept for debugging, never shown as the message.
    expect(error.cause).toBeInstanceOf(Error);
    expect(error.cause).not.toBeInstanceOf(VerificationError);
  });

  it('the token-less timestamp fails in the dependency with a TypeError (what reached users)', async () => {
    const error = await verifyError((json) => {
      stamp(json).signedTimestamp = withoutToken(stampDer(json)).toString('base64');
    });
    expect((error.cause as Error).message).toMatch(/Cannot read properties of undefined/);
    expect(error.message).not.toMatch(/Cannot read properties/);
  });

  it('a truncated signing certificate', async () => {
    const error = await verifyError((json) => {
      const der = Buffer.from(json.verificationMaterial.certificate.rawBytes, 'base64');
      json.verificationMaterial.certificate.rawBytes = der.subarray(0, der.length / 2).toString('base64');
    });
    expect(error.code).toBe('INVALID_BUNDLE');
    expect(error.message).toMatch(/^Invalid Sigstore bundle: the signing certificate is malformed/);
  });

  it("a tlog entry field of the wrong type: one line, not the JSON reader's TypeError", async () => {
    const wrongType = await verifyError((json) => {
      (json.verificationMaterial.tlogEntries[0]!.inclusionProof as { hashes: unknown[] }).hashes = [1];
    });
    expect(wrongType.code).toBe('INVALID_BUNDLE');
    expect(wrongType.message).toBe(
      'Invalid Sigstore bundle: a field holds a value of the wrong type; the signature is damaged: get an intact copy or sign the model again',
    );
    expect(wrongType.cause).toBeInstanceOf(TypeError);
    const notAnObject = await verifyError((json) => {
      (json.verificationMaterial.tlogEntries[0] as { inclusionProof: unknown }).inclusionProof = 'x';
    });
    expect(notAnObject.code).toBe('INVALID_BUNDLE');
    expect(notAnObject.message).toMatch(
      /^Invalid Sigstore bundle: invalid bundle.*; the signature is damaged/,
    );
  });

  it('a truncated tlog entry body stays a transparency-log failure of @sigstore/verify', async () => {
    const error = await verifyError((json) => {
      const entry = json.verificationMaterial.tlogEntries[0]!;
      const body = Buffer.from(entry.canonicalizedBody, 'base64');
      entry.canonicalizedBody = body.subarray(0, body.length / 2).toString('base64');
    });
    expect(error.code).toBe('TRANSPARENCY_LOG');
    expect(error.message.split('\n')).toHaveLength(1);
  });
});

describe('the CLI (built) prints the dependency error only at --log-level debug', () => {
  it('one line by default; the cause beneath it with debug', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ms-sigstore-malformed-'));
    try {
      const json = golden();
      stamp(json).signedTimestamp = withoutToken(stampDer(json)).toString('base64');
      const signature = join(dir, 'model.sig');
      writeFileSync(signature, JSON.stringify(json));
      const model = resolve(PYTHON_SIGNATURES, 'v1.1.0-sigstore');
      const args = ['verify', 'sigstore', '--identity', IDENTITY, '--identity-provider', ISSUER];
      const plain = await runCli([...args, '--signature', signature, model]);
      expect(plain.code).toBe(1);
      expect(plain.stderr).toMatch(/Invalid Sigstore bundle: RFC 3161 timestamp 1 of 1 is malformed/);
      expect(plain.stderr).not.toMatch(/Cannot read properties|Caused by/);
      const debug = await runCli(['--log-level', 'debug', ...args, '--signature', signature, model]);
      expect(debug.code).toBe(1);
      expect(debug.stderr).toMatch(
        /^Caused by: TypeError: Cannot read properties of undefined \(reading 'subs'\)$/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
