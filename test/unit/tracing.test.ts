/**
 * The tracing plugin (src/plugins/tracing.ts `useTracing` and the HTTP
 * wrapper `traceGraphqlRequests`) alone, on an in-memory schema, with spans
 * collected by an InMemorySpanExporter (src/telemetry/tracing.ts
 * `startTracing`; Vitest runs each file in its own process): nothing is
 * traced before tracing starts; one span per operation, named after it, with
 * the documented attributes; ERROR status for server faults only; and behind
 * the HTTP wrapper the plugin adopts the wrapper's span, which continues an
 * incoming W3C traceparent.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap } from '@apollo/server';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CacheSession } from '../../src/cache/cache.js';
import { newSqlTrace } from '../../src/db/sql-counter.js';
import { OPERATION_SPAN, traceGraphqlRequests, useTracing } from '../../src/plugins/tracing.js';
import { startTracing, tracingEnabled } from '../../src/telemetry/tracing.js';
import { fakeContext, run, startServer } from './helpers.js';

const exporter = new InMemorySpanExporter();
let stopTracing: (() => Promise<void>) | undefined;

afterAll(async () => {
  await stopTracing?.();
});

beforeEach(() => exporter.reset());

describe('without a tracer provider', () => {
  it('makes no span', async () => {
    expect(tracingEnabled()).toBe(false);
    const server = await startServer([useTracing()]);
    await run(server, { query: '{ hello }' });
    expect(exporter.getFinishedSpans()).toEqual([]);
    await server.stop();
  });
});

describe('with tracing started', () => {
  beforeAll(async () => {
    stopTracing = await startTracing({ otlpEndpoint: null, serviceName: 'unit', exporter });
  });

  it('one span per operation, with the documented attributes', async () => {
    expect(tracingEnabled()).toBe(true);
    const server = await startServer([useTracing()]);
    const sql = newSqlTrace();
    sql.count = 4;
    const cacheSession = new CacheSession();
    cacheSession.stats.hits = 2;
    cacheSession.stats.misses = 1;
    const query = 'query Greeting { hello }';
    await run(server, { query, operationName: 'Greeting' }, fakeContext({ requestId: 'req-span', sql, cacheSession }));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span!.name).toBe(`${OPERATION_SPAN} Greeting`);
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.attributes).toEqual({
      'http.request.method': 'POST',
      'graphql.operation.type': 'query',
      'graphql.operation.name': 'Greeting',
      'graphql.document.hash': createHash('sha256').update(query).digest('hex'),
      'graphql.outcome': 'ok',
      'gateway.request.id': 'req-span',
      'http.response.status_code': 200,
      'gateway.sql.statements': 4,
      'gateway.cache.hits': 2,
      'gateway.cache.misses': 1,
    });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
    await server.stop();
  });

  it('names anonymous operations by type and unresolved ones plainly; errors are outcomes, server faults are ERROR', async () => {
    const server = await startServer([useTracing()]);
    await run(server, { query: 'mutation { bump(by: 1) }' });
    await run(server, { query: '{ hello' });
    await run(server, { query: 'mutation { failing(code: "NOT_FOUND") }' });
    await run(server, { query: 'mutation { a: failing(code: "SERVICE_UNAVAILABLE") b: failing(code: "NOT_FOUND") }' });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual([
      'graphql.operation mutation',
      'graphql.operation',
      'graphql.operation mutation',
      'graphql.operation mutation',
    ]);
    expect(spans[1]!.attributes['graphql.outcome']).toBe('GRAPHQL_PARSE_FAILED');
    expect(spans[1]!.attributes['http.response.status_code']).toBe(400);
    expect(spans[1]!.attributes['graphql.operation.type']).toBeUndefined();
    expect(spans[2]!.attributes['graphql.outcome']).toBe('NOT_FOUND');
    expect(spans[2]!.status.code).toBe(SpanStatusCode.UNSET);
    expect(spans[3]!.attributes['graphql.error.codes']).toEqual(['SERVICE_UNAVAILABLE', 'NOT_FOUND']);
    expect(spans[3]!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'SERVICE_UNAVAILABLE' });
    await server.stop();
  });

  it('behind traceGraphqlRequests, the plugin names the request\'s span, which continues an incoming traceparent', async () => {
    const apollo = await startServer([useTracing()]);
    const traceRequest = traceGraphqlRequests();
    const server = http.createServer((req, res) =>
      traceRequest(req, res, async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers = new HeaderMap(Object.entries(req.headers).map(([key, value]) => [key, String(value)]));
        const response = await apollo.executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method ?? 'POST', headers, search: '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) },
          context: async () => fakeContext({ requestId: 'req-http' }),
        });
        res.statusCode = response.status ?? 200;
        res.end(response.body.kind === 'complete' ? response.body.string : '');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const traceId = '0af7651916cd43dd8448eb211c80319c';
      const parentId = 'b7ad6b7169203331';
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-${parentId}-01` },
        body: JSON.stringify({ query: 'query Viaduct { hello }' }),
      });
      expect(response.status).toBe(200);
      await response.text();
      await expect.poll(() => exporter.getFinishedSpans().length).toBe(1);
      const [span] = exporter.getFinishedSpans();
      expect(span!.name).toBe('graphql.operation Viaduct');
      expect(span!.spanContext().traceId).toBe(traceId);
      expect(span!.parentSpanContext?.spanId).toBe(parentId);
      expect(span!.attributes['gateway.request.id']).toBe('req-http');
      expect(span!.attributes['http.request.method']).toBe('POST');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await apollo.stop();
    }
  });
});
