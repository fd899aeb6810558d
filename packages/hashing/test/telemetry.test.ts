// The OpenTelemetry span `hash` around Config.hash (decision 29): recorded when a provider is registered.
import * as path from 'node:path';
import { Config } from '@model-signing/hashing';
import { type Span, type Tracer, trace } from '@opentelemetry/api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeModel, TempDirs } from './support.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());
afterEach(() => trace.disable());

interface Recorded {
  name: string;
  attributes: Record<string, unknown>;
  status?: { code: number; message?: string };
  exceptions: unknown[];
  ended: boolean;
}

// A minimal tracer that records spans (no SDK is installed in this repository).
function recordingTracer(spans: Recorded[]): Tracer {
  const startSpan = (name: string): Span => {
    const record: Recorded = { name, attributes: {}, exceptions: [], ended: false };
    spans.push(record);
    const span = {
      setAttribute: (key: string, value: unknown) => {
        record.attributes[key] = value;
        return span;
      },
      setAttributes: (values: Record<string, unknown>) => {
        Object.assign(record.attributes, values);
        return span;
      },
      setStatus: (status: { code: number; message?: string }) => {
        record.status = status;
        return span;
      },
      recordException: (error: unknown) => {
        record.exceptions.push(error);
      },
      end: () => {
        record.ended = true;
      },
      isRecording: () => true,
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 1 }),
      addEvent: () => span,
      addLink: () => span,
      addLinks: () => span,
      updateName: () => span,
    };
    return span as unknown as Span;
  };
  return {
    startSpan,
    startActiveSpan: (name: string, ...rest: unknown[]) => {
      const fn = rest.at(-1) as (span: Span) => unknown;
      return fn(startSpan(name));
    },
  } as unknown as Tracer;
}

describe('telemetry', () => {
  it('records a hash span with the serialization and resource count', async () => {
    const spans: Recorded[] = [];
    const tracer = recordingTracer(spans);
    trace.setGlobalTracerProvider({ getTracer: () => tracer });
    const model = makeModel(temp.make(), 'sample_model_folder');
    await new Config().useShardSerialization({ shardSize: 8 }).hash(model);
    expect(spans).toHaveLength(1);
    expect(spans[0]).toMatchObject({
      name: 'hash',
      ended: true,
      attributes: {
        'model_signing.serialization': 'shards',
        'model_signing.hash_algorithm': 'sha256',
        'model_signing.resources': 30,
      },
    });
  });

  it('marks the span as failed when hashing fails', async () => {
    const spans: Recorded[] = [];
    const tracer = recordingTracer(spans);
    trace.setGlobalTracerProvider({ getTracer: () => tracer });
    await expect(new Config().hash(path.join(temp.make(), 'missing'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(spans[0]?.status?.code).toBe(2);
    expect(spans[0]?.exceptions).toHaveLength(1);
    expect(spans[0]?.ended).toBe(true);
  });

  it('records nothing without a provider', async () => {
    const model = makeModel(temp.make(), 'sample_model_file');
    expect((await new Config().hash(model)).size).toBe(1);
  });
});
