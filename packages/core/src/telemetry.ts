import type { Attributes, Span } from '@opentelemetry/api';

// The global that @opentelemetry/api (major version 1) sets once an SDK registers a provider. Without it the API
// is a no-op, so it is not even loaded: some fifty modules, about 25 ms of every `verify key`.
const OTEL_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/** What the API's own non-recording span does when no SDK is registered: nothing, and never records. */
const NOOP_SPAN: Span = {
  spanContext: () => ({
    traceId: '00000000000000000000000000000000',
    spanId: '0000000000000000',
    traceFlags: 0,
  }),
  setAttribute: () => NOOP_SPAN,
  setAttributes: () => NOOP_SPAN,
  addEvent: () => NOOP_SPAN,
  addLink: () => NOOP_SPAN,
  addLinks: () => NOOP_SPAN,
  setStatus: () => NOOP_SPAN,
  updateName: () => NOOP_SPAN,
  end: () => {},
  isRecording: () => false,
  recordException: () => {},
};

/**
 * Runs `fn` inside an OpenTelemetry span (a no-op without an SDK); the span records failures and always ends.
 */
export async function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if ((globalThis as Record<symbol, unknown>)[OTEL_GLOBAL] === undefined) return fn(NOOP_SPAN);
  const { SpanStatusCode, trace } = await import('@opentelemetry/api');
  return trace.getTracer('@model-signing/core').startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
