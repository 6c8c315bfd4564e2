/**
 * useTracing: one OpenTelemetry span per GraphQL operation, the parent of the
 * operation's loader batches (src/modules/batching.ts) and SQL statements
 * (src/db/sql-counter.ts). Spans go nowhere, and nothing here runs, unless
 * src/telemetry/tracing.ts `startTracing` installed a provider.
 *
 * Two halves, because an Apollo plugin cannot make its span the active
 * context of the hooks and resolvers Apollo calls:
 * - `traceGraphqlRequests()`, the HTTP front's wrapper of /graphql: starts
 *   the span (kind SERVER, child of an incoming W3C `traceparent`) and runs
 *   the rest of the request inside it, so everything the request awaits sees
 *   it as the active span. Ends it when the response closes, if the plugin
 *   has not (a request answered before Apollo, e.g. a persisted query not found).
 * - `useTracing()`, the Apollo plugin: names and annotates that span once the
 *   operation is resolved, and ends it in willSendResponse. Without the
 *   middleware (`executeOperation`), it makes a span of its own, which is
 *   then not the parent of the loaders' spans.
 *
 * Span `graphql.operation <name>` (`graphql.operation <type>` when anonymous,
 * `graphql.operation` when no operation was resolved), attributes:
 *   graphql.operation.name, graphql.operation.type, graphql.document.hash
 *   (sha256 of the document text), graphql.outcome (`ok` or the first error
 *   code), graphql.error.codes, gateway.sql.statements, gateway.cache.hits,
 *   gateway.cache.misses, gateway.request.id, http.request.method,
 *   http.response.status_code. Status ERROR for INTERNAL_SERVER_ERROR and
 *   SERVICE_UNAVAILABLE (faults of the server, not of the request).
 *
 * Options: none. Register it last in Apollo's plugin list (it reads the
 * codes the other plugins settled), and the middleware before the body parser.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { tracer, tracingEnabled } from '../telemetry/tracing.js';
import { errorCodesOf } from './metrics.js';

export const OPERATION_SPAN = 'graphql.operation';

/** Codes that mean the server failed, not the request: the span's status is ERROR. */
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE']);

/** Spans started by the middleware, which the plugin adopts instead of starting its own. */
const requestSpans = new WeakSet<Span>();

export function traceGraphqlRequests(): (req: IncomingMessage, res: ServerResponse, next: () => unknown) => unknown {
  return (req, res, next) => {
    if (!tracingEnabled()) return next();
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(
      OPERATION_SPAN,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } },
      parent,
    );
    requestSpans.add(span);
    res.once('close', () => {
      if (!span.isRecording()) return;
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

export function useTracing(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request }) {
      if (!tracingEnabled()) return;
      const active = trace.getActiveSpan();
      const span =
        active && requestSpans.has(active)
          ? active
          : tracer.startSpan(OPERATION_SPAN, {
              kind: SpanKind.SERVER,
              ...(request.http ? { attributes: { 'http.request.method': request.http.method } } : {}),
            });
      return {
        async didResolveOperation({ operation, operationName, queryHash }) {
          if (!operation) return;
          span.updateName(`${OPERATION_SPAN} ${operationName ?? operation.operation}`);
          span.setAttributes({
            'graphql.operation.type': operation.operation,
            'graphql.document.hash': queryHash,
            ...(operationName ? { 'graphql.operation.name': operationName } : {}),
          });
        },
        async willSendResponse({ response, contextValue }) {
          // Already ended by the middleware when the response closed first (e.g. answered at a deadline).
          if (!span.isRecording()) return;
          // Synchronously, like the x-sql-statements header: the same count for the same request.
          const sqlCount = contextValue.sql?.count;
          const codes = errorCodesOf(response);
          const stats = contextValue.cacheSession?.stats;
          span.setAttributes({
            'graphql.outcome': codes[0] ?? 'ok',
            'gateway.request.id': contextValue.requestId,
            'http.response.status_code': response.http.status ?? 200,
            ...(codes.length > 0 ? { 'graphql.error.codes': [...new Set(codes)] } : {}),
            ...(sqlCount !== undefined ? { 'gateway.sql.statements': sqlCount } : {}),
            ...(stats ? { 'gateway.cache.hits': stats.hits, 'gateway.cache.misses': stats.misses } : {}),
          });
          const fault = codes.find((code) => SERVER_FAULTS.has(code));
          if (fault) span.setStatus({ code: SpanStatusCode.ERROR, message: fault });
          span.end();
        },
      };
    },
  };
}
