import { logger } from './log.js';

/** A started OpenTelemetry SDK, reduced to what the CLI needs: flushing it before exit. */
interface StartedSdk {
  shutdown(): Promise<void>;
}

interface NodeSdkModule {
  NodeSDK: new (options?: Record<string, unknown>) => { start(): void; shutdown(): Promise<void> };
}

function telemetryRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter && exporter !== 'none') return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry Node SDK when it is installed and the standard `OTEL_*` variables ask for tracing
 * (decision 29). The libraries only use `@opentelemetry/api`, which is a no-op without an SDK. A failure to
 * start warns and goes on: telemetry never decides whether signing succeeds.
 */
export async function startTelemetry(env: NodeJS.ProcessEnv = process.env): Promise<StartedSdk | undefined> {
  if (!telemetryRequested(env)) return undefined;
  // A variable specifier: the SDK is an optional install, not a dependency of the CLI.
  const specifier = '@opentelemetry/sdk-node';
  let module: NodeSdkModule;
  try {
    module = (await import(specifier)) as NodeSdkModule;
  } catch {
    logger.debug('OpenTelemetry SDK not installed. Tracing is disabled.');
    return undefined;
  }
  try {
    const sdk = new module.NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'model-signing' });
    sdk.start();
    return sdk;
  } catch (error) {
    logger.warn(`Failed to initialize OpenTelemetry: ${(error as Error).message}; tracing is disabled.`);
    return undefined;
  }
}
