import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { Config as SigningConfig } from '@model-signing/signing';
import { Config } from '@model-signing/verifying';
import {
  type Attributes,
  type Span,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { beforeAll, describe, expect, it } from 'vitest';
import { temp, writeModel } from './helpers.js';

interface Recorded {
  name: string;
  attributes: Attributes;
  status?: SpanStatus;
}

const ended: Recorded[] = [];

/** A minimal recording tracer: enough of the API for the library's spans (no SDK is installed). */
function recordingSpan(name: string, attributes: Attributes = {}): Span {
  const record: Recorded = { name, attributes: { ...attributes } };
  const span = {
    spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
    setAttribute: (key: string, value: unknown) => {
      record.attributes[key] = value as never;
      return span;
    },
    setAttributes: (values: Attributes) => {
      Object.assign(record.attributes, values);
      return span;
    },
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: (status: SpanStatus) => {
      record.status = status;
      return span;
    },
    updateName: () => span,
    end: () => {
      ended.push(record);
    },
    isRecording: () => true,
    recordException: () => undefined,
  };
  return span as unknown as Span;
}

const tracer = {
  startSpan: (name: string, options?: { attributes?: Attributes }) =>
    recordingSpan(name, options?.attributes),
  startActiveSpan: (name: string, ...args: unknown[]) => {
    const fn = args[args.length - 1] as (span: Span) => unknown;
    const options = (args.length > 1 ? args[0] : {}) as { attributes?: Attributes };
    return fn(recordingSpan(name, options.attributes));
  },
} as unknown as Tracer;

beforeAll(() => {
  trace.setGlobalTracerProvider({ getTracer: () => tracer } as TracerProvider);
});

describe('OpenTelemetry spans', () => {
  it('sign and verify open spans around the nested hash', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const dir = temp();
    const model = writeModel(dir, { a: 'a' });
    const signature = path.join(dir, 'model.sig');
    await new SigningConfig()
      .useEllipticKeySigner({
        privateKey: Buffer.from(keys.privateKey.export({ type: 'pkcs8', format: 'pem' })),
      })
      .sign(model, signature);
    expect(ended.map((s) => s.name)).toEqual(['hash', 'sign']);
    expect(ended[1]?.attributes).toMatchObject({
      'model_signing.method': 'key',
      'model_signing.signature': signature,
    });

    ended.length = 0;
    const verifier = new Config().useEllipticKeyVerifier({
      publicKey: Buffer.from(keys.publicKey.export({ type: 'spki', format: 'pem' })),
    });
    await verifier.verify(model, signature);
    expect(ended.map((s) => s.name)).toEqual(['hash', 'verify']);

    ended.length = 0;
    writeModel(dir, { b: 'b' });
    await expect(verifier.verify(model, signature)).rejects.toThrow(/Extra files/);
    expect(ended.at(-1)).toMatchObject({ name: 'verify', status: { code: 2 } });
  });
});
