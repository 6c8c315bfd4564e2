/**
 * OpenTelemetry tracing: one provider per process, installed by `startTracing`
 * only when spans have somewhere to go.
 *
 * - OTEL_EXPORTER_OTLP_ENDPOINT set (config.otlpEndpoint): spans are batched
 *   (BatchSpanProcessor) and sent by OTLP/HTTP to `${endpoint}/v1/traces`,
 *   with the resource attribute service.name = OTEL_SERVICE_NAME.
 * - `exporter` given (tests: an InMemorySpanExporter): each span is handed to
 *   it as it ends (SimpleSpanProcessor).
 * - Neither: nothing is installed, the SDK is not even loaded, and every
 *   helper below returns at its first line (`tracingEnabled()` is false), so
 *   a gateway without a collector pays one boolean test per statement.
 *
 * The provider is a NodeTracerProvider, registered globally: its
 * AsyncLocalStorage context manager carries the active span across awaits, so
 * an operation's span (src/plugins/tracing.ts) is the parent of its loader
 * batches (src/modules/batching.ts) and those of their SQL statements
 * (src/db/sql-counter.ts); its W3C propagator reads an incoming `traceparent`.
 *
 * Child spans (`inSpan`) are only made under a recording parent: SQL sent
 * outside any operation (readiness probes, migrations, fixtures) makes no
 * root spans of its own.
 *
 * Example (src/main.ts):
 *   const stopTracing = await startTracing({ otlpEndpoint: config.otlpEndpoint, serviceName: config.otelServiceName });
 *   ...
 *   await stopTracing(); // flushes what is still buffered
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The instrumentation scope of every span the gateway makes. */
export const TRACER_NAME = 'clinic-graphql-gateway';

/** A proxy: it delegates to whatever provider is registered when a span starts. */
export const tracer = trace.getTracer(TRACER_NAME);

let installed = false;

/** True once `startTracing` has installed a provider (and until its shutdown). */
export function tracingEnabled(): boolean {
  return installed;
}

export interface TracingOptions {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL (OTLP/HTTP), or null. */
  readonly otlpEndpoint: string | null;
  /** OTEL_SERVICE_NAME: the service.name resource attribute. */
  readonly serviceName: string;
  /** Also (or only) hand every ended span to this exporter, synchronously (tests). */
  readonly exporter?: SpanExporter;
}

/**
 * Installs the process's tracer provider when an endpoint or an exporter is
 * given; resolves with a function that flushes and removes it (a no-op when
 * nothing was installed).
 */
export async function startTracing(options: TracingOptions): Promise<() => Promise<void>> {
  if (!options.otlpEndpoint && !options.exporter) return async () => undefined;
  if (installed) throw new Error('Tracing is already started in this process.');
  // Loaded only here: a gateway that does not trace never loads the SDK.
  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const spanProcessors: SpanProcessor[] = [];
  if (options.exporter) spanProcessors.push(new SimpleSpanProcessor(options.exporter));
  if (options.otlpEndpoint) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors,
  });
  provider.register();
  installed = true;
  let stopped: Promise<void> | undefined;
  return () =>
    (stopped ??= (async () => {
      installed = false;
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    })());
}

/** True when tracing is on and a recorded span is active: `inSpan` would make a span here. */
export function tracingActive(): boolean {
  return installed && trace.getActiveSpan()?.isRecording() === true;
}

/** What a failure says on a span: its code or class name, never its message (it may hold SQL or row data). */
export function failureOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code !== '') return code;
  return error instanceof Error ? error.name : typeof error;
}

/**
 * Runs `fn` inside a new active span, child of the active one, and ends it
 * when the returned promise settles (status ERROR and `error.type` on a
 * failure). Without tracing, or outside any recorded operation, it is `fn()`.
 */
export function inSpan<T>(
  name: string,
  attributes: Attributes | (() => Attributes),
  fn: () => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!tracingActive()) return fn();
  const span = tracer.startSpan(name, { kind, attributes: typeof attributes === 'function' ? attributes() : attributes });
  const fail = (error: unknown) => {
    const type = failureOf(error);
    span.setAttribute('error.type', type);
    span.setStatus({ code: SpanStatusCode.ERROR, message: type });
    span.end();
  };
  let running: Promise<T>;
  try {
    running = context.with(trace.setSpan(context.active(), span), fn);
  } catch (error) {
    fail(error);
    throw error;
  }
  return running.then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      fail(error);
      throw error;
    },
  );
}
