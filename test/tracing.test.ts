/**
 * OpenTelemetry spans of a real request (HTTP, MariaDB), collected by an
 * InMemorySpanExporter: one operation span per request, the loader batches
 * its children, every SQL statement a child of a batch, as many SQL spans as
 * the request's x-sql-statements header counts, an incoming W3C traceparent
 * continued, and nothing traced outside an operation.
 *
 * The provider is registered globally: Vitest runs each test file in its own
 * process, so no other file sees it.
 */
import { createHash } from 'node:crypto';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect } from 'vitest';
import { startTracing, TRACER_NAME } from '../src/telemetry/tracing.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { insertPatients, insertRecords, listen } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('tracing', { env: { MAX_COST: '200' } });
const exporter = new InMemorySpanExporter();
let stopTracing: () => Promise<void>;
let gw: TestGateway;
let origin: string;
let authorization: string;

// Tracing starts before the gateway is created (the hook below is the first to ask for it).
beforeAll(async () => {
  stopTracing = await startTracing({ otlpEndpoint: null, serviceName: 'gateway-under-test', exporter });
});

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const patients = await insertPatients(gw.database.pool, [{ name: 'Tia Trace' }, { name: 'Uli Trace' }, { name: 'Vic Trace' }]);
  await insertRecords(
    gw.database.pool,
    patients.flatMap((patientId) => [1, 2, 3].map((n) => ({ patientId, diagnosis: `Traced ${n}` }))),
  );
  ({ origin } = await listen(gw));
  authorization = (await gw.authorizationFor('admin'))!;
});

afterAll(async () => {
  await stopTracing?.();
});

beforeEach(() => exporter.reset());

async function post(query: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization, ...headers },
    body: JSON.stringify({ query }),
  });
  const body = (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, body, sql: Number(response.headers.get('x-sql-statements')) };
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const byPrefix = (spans: readonly ReadableSpan[], prefix: string) => spans.filter((span) => span.name.startsWith(prefix));

const NESTED = /* GraphQL */ `
  query PatientsWithRecords {
    patients(first: 3) { totalCount nodes { name records(first: 2) { nodes { diagnosis } } } }
  }
`;

describe('a nested query', () => {
  test('is one operation span, its loader batches are children, each SQL statement a child of a batch', async () => {
    const { status, body, sql } = await post(NESTED);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.patients.nodes).toHaveLength(3);
    expect(sql).toBe(3); // the page, the count, every patient's records in one statement

    const spans = exporter.getFinishedSpans();
    const operations = byPrefix(spans, 'graphql.operation');
    expect(operations).toHaveLength(1);
    const operation = operations[0]!;
    expect(operation.name).toBe('graphql.operation PatientsWithRecords');
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(operation.instrumentationScope.name).toBe(TRACER_NAME);
    expect(operation.resource.attributes['service.name']).toBe('gateway-under-test');
    expect(operation.attributes).toMatchObject({
      'graphql.operation.name': 'PatientsWithRecords',
      'graphql.operation.type': 'query',
      'graphql.document.hash': createHash('sha256').update(NESTED).digest('hex'),
      'graphql.outcome': 'ok',
      'gateway.sql.statements': sql,
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(operation.attributes['graphql.error.codes']).toBeUndefined();
    expect(operation.status.code).toBe(SpanStatusCode.UNSET);
    expect(parentOf(operation)).toBeUndefined();

    const batches = byPrefix(spans, 'dataloader.batch');
    expect(batches.map((span) => span.name).sort()).toEqual([
      'dataloader.batch Patient.recordsPage',
      'dataloader.batch patients',
      'dataloader.batch patients.count',
    ]);
    for (const batch of batches) {
      expect(parentOf(batch)).toBe(idOf(operation));
      expect(batch.attributes['dataloader.name']).toBe(batch.name.slice('dataloader.batch '.length));
    }
    const recordsBatch = batches.find((span) => span.name === 'dataloader.batch Patient.recordsPage')!;
    expect(recordsBatch.attributes['dataloader.batch.keys']).toBe(3);

    const statements = byPrefix(spans, 'mysql ');
    expect(statements).toHaveLength(sql);
    const batchIds = new Set(batches.map(idOf));
    for (const statement of statements) {
      expect(batchIds.has(parentOf(statement)!)).toBe(true);
      expect(statement.kind).toBe(SpanKind.CLIENT);
      expect(statement.name).toBe('mysql SELECT');
      expect(statement.attributes['db.system']).toBe('mysql');
      expect(statement.attributes['db.operation']).toBe('SELECT');
      const text = String(statement.attributes['db.statement']);
      expect(text).toMatch(/^select /i);
      expect(text).not.toContain('Trace'); // parameters stay out
      expect(statement.spanContext().traceId).toBe(operation.spanContext().traceId);
    }
    // Every batch ran exactly one statement here (cold, one chunk each).
    expect(new Set(statements.map(parentOf)).size).toBe(batches.length);
    expect(spans).toHaveLength(1 + batches.length + statements.length);
  });

  test('continues the trace of an incoming traceparent header', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parentId = '00f067aa0ba902b7';
    const { body } = await post('query Typename { __typename }', { traceparent: `00-${traceId}-${parentId}-01` });
    expect(body.errors).toBeUndefined();
    const [operation, ...others] = exporter.getFinishedSpans();
    expect(others).toEqual([]);
    expect(operation!.name).toBe('graphql.operation Typename');
    expect(operation!.spanContext().traceId).toBe(traceId);
    expect(parentOf(operation!)).toBe(parentId);
    expect(operation!.attributes['gateway.sql.statements']).toBe(0);
  });
});

describe('errors and work outside operations', () => {
  test('a refused operation is one span with its error code and no SQL spans', async () => {
    const { status, body } = await post('query Costly { patients(first: 100) { nodes { records(first: 5) { nodes { id } } } } }');
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['graphql.operation Costly']);
    expect(spans[0]!.attributes).toMatchObject({
      'graphql.outcome': 'COST_LIMIT_EXCEEDED',
      'graphql.error.codes': ['COST_LIMIT_EXCEEDED'],
      'gateway.sql.statements': 0,
      'http.response.status_code': 400,
    });
    // A refusal is the client's doing, not a fault of the server.
    expect(spans[0]!.status.code).toBe(SpanStatusCode.UNSET);
  });

  test('an anonymous operation is named by its type; a document that does not parse keeps the bare name', async () => {
    await post('{ __typename }');
    const broken = await post('query Broken { patients(');
    expect(broken.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name)).toEqual(['graphql.operation query', 'graphql.operation']);
    expect(spans[0]!.attributes['graphql.operation.name']).toBeUndefined();
    expect(spans[1]!.attributes['graphql.outcome']).toBe('GRAPHQL_PARSE_FAILED');
  });

  test('SQL outside any operation (readiness probe, fixtures) makes no spans', async () => {
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
    await gw.database.pool.query('SELECT 1');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
