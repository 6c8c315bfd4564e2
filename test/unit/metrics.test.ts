/**
 * The metrics plugin (src/plugins/metrics.ts `usePrometheusMetrics`) alone,
 * on an in-memory schema with its own prom-client Registry: the request
 * duration histogram by operation and outcome, the per-operation SQL count
 * histogram (from the context's trace), the limit rejection counter (every
 * code present at 0 from the start), the pool gauges read from `poolStats`
 * at scrape time (a real ConnectionGate's stats), the bounded `operation`
 * label (`anonymous`, `unknown`, `other` past `maxOperationNames` or for a
 * name over 100 characters) and the `durationBuckets` option and default.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ConnectionGate } from '../../src/db/connection-gate.js';
import { newSqlTrace, observeStatement, totalStatements } from '../../src/db/sql-counter.js';
import { DEFAULT_MAX_OPERATION_NAMES, LIMIT_CODES, operationLabeller, usePrometheusMetrics } from '../../src/plugins/metrics.js';
import { fakeContext, run, startServer } from './helpers.js';

async function setup(options: { maxOperationNames?: number; durationBuckets?: number[] } = {}) {
  const registry = new Registry();
  const gate = new ConnectionGate({ size: 4, queueLimit: 2, acquireTimeoutMs: 60_000 });
  const server = await startServer([usePrometheusMetrics({ registry, poolStats: () => gate.stats(), ...options })]);
  const scrape = () => registry.metrics();
  return { server, gate, registry, scrape };
}

/** The value of one series line, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('usePrometheusMetrics', () => {
  it('observes each request by operation and outcome, and its SQL statements from the context trace', async () => {
    const { server, scrape } = await setup();
    const sql = newSqlTrace();
    sql.count = 3;
    await run(server, { query: 'query Hello { hello }', operationName: 'Hello' }, fakeContext({ sql }));
    await run(server, { query: 'query Hello { hello }', operationName: 'Hello' }, fakeContext({ sql: newSqlTrace() }));
    await run(server, { query: 'mutation Fail { failing(code: "NOT_FOUND") }' });
    const text = await scrape();
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="Hello",outcome="ok"}')).toBe(2);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="Fail",outcome="NOT_FOUND"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_sql_statements_count{operation="Hello"}')).toBe(2);
    expect(sample(text, 'gateway_graphql_sql_statements_sum{operation="Hello"}')).toBe(3);
    expect(sample(text, 'gateway_graphql_sql_statements_bucket{le="2",operation="Hello"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_sql_statements_bucket{le="3",operation="Hello"}')).toBe(2);
    // The documented SQL buckets.
    const buckets = [...text.matchAll(/^gateway_graphql_sql_statements_bucket\{le="([^"]+)",operation="Hello"\}/gm)].map((match) => match[1]);
    expect(buckets).toEqual(['0', '1', '2', '3', '5', '8', '13', '21', '50', '100', '+Inf']);
  });

  it('labels anonymous operations, requests without an operation, and bounds the names', async () => {
    const { server, scrape } = await setup({ maxOperationNames: 2 });
    await run(server, { query: '{ hello }' });
    await run(server, { query: '{ hello' });
    for (const name of ['A', 'B', 'C', 'A']) await run(server, { query: `query ${name} { hello }`, operationName: name });
    const long = `L${'x'.repeat(100)}`;
    const text = await scrape();
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="anonymous",outcome="ok"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="unknown",outcome="GRAPHQL_PARSE_FAILED"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="A",outcome="ok"}')).toBe(2);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="B",outcome="ok"}')).toBe(1);
    expect(sample(text, 'gateway_graphql_request_duration_seconds_count{operation="other",outcome="ok"}')).toBe(1);
    expect(text).not.toContain('operation="C"');

    const label = operationLabeller(10);
    expect(label({ operation: {}, operationName: long })).toBe('other');
    expect(label({ operation: {}, operationName: 'x'.repeat(100) })).toBe('x'.repeat(100));
    expect(DEFAULT_MAX_OPERATION_NAMES).toBe(200);
  });

  it('counts limit rejections by code, every code at 0 from the start', async () => {
    const { server, scrape } = await setup();
    const before = await scrape();
    for (const code of LIMIT_CODES) expect(sample(before, `gateway_limit_rejections_total{code="${code}"}`)).toBe(0);
    expect(LIMIT_CODES).toHaveLength(7);
    await run(server, { query: 'mutation { failing(code: "RATE_LIMITED") }' });
    await run(server, { query: 'mutation { failing(code: "RATE_LIMITED") }' });
    await run(server, { query: 'mutation { failing(code: "NOT_FOUND") }' });
    const after = await scrape();
    expect(sample(after, 'gateway_limit_rejections_total{code="RATE_LIMITED"}')).toBe(2);
    expect(sample(after, 'gateway_limit_rejections_total{code="COST_LIMIT_EXCEEDED"}')).toBe(0);
    expect(after).not.toContain('gateway_limit_rejections_total{code="NOT_FOUND"}');
  });

  it('reads the pool gauges from poolStats at each scrape', async () => {
    const { gate, scrape } = await setup();
    let text = await scrape();
    expect([sample(text, 'gateway_db_pool_connections_in_use'), sample(text, 'gateway_db_pool_waiting'), sample(text, 'gateway_db_pool_size')]).toEqual([0, 0, 4]);
    const releases = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire(), gate.acquire()]);
    const waiting = gate.acquire();
    text = await scrape();
    expect([sample(text, 'gateway_db_pool_connections_in_use'), sample(text, 'gateway_db_pool_waiting'), sample(text, 'gateway_db_pool_size')]).toEqual([4, 1, 4]);
    releases.forEach((release) => release());
    (await waiting)();
    text = await scrape();
    expect(sample(text, 'gateway_db_pool_connections_in_use')).toBe(0);
  });

  it('reports the process-wide statement total at scrape time', async () => {
    const { scrape } = await setup();
    await observeStatement('SELECT 1', [], null, async () => 'sent');
    await observeStatement('SELECT 2', [], newSqlTrace(), async () => 'sent');
    const text = await scrape();
    expect(sample(text, 'gateway_sql_statements_total')).toBe(totalStatements());
    expect(totalStatements()).toBeGreaterThanOrEqual(2);
  });

  it('uses the documented duration buckets by default, and durationBuckets when given', async () => {
    const bucketsOf = (text: string) =>
      [...text.matchAll(/^gateway_graphql_request_duration_seconds_bucket\{le="([^"]+)",operation="anonymous",outcome="ok"\}/gm)].map((match) => match[1]);
    const defaults = await setup();
    await run(defaults.server, { query: '{ hello }' });
    expect(bucketsOf(await defaults.scrape())).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    const custom = await setup({ durationBuckets: [0.5, 60] });
    await run(custom.server, { query: '{ hello }' });
    const text = await custom.scrape();
    expect(bucketsOf(text)).toEqual(['0.5', '60', '+Inf']);
    // A request through an in-memory schema takes far less than a minute.
    expect(sample(text, 'gateway_graphql_request_duration_seconds_bucket{le="60",operation="anonymous",outcome="ok"}')).toBe(1);
  });
});
