/**
 * GET /metrics over a real socket, with MariaDB and Redis: the request
 * histogram by operation and outcome, the SQL-per-operation histogram (its
 * sum is exactly what the x-sql-statements headers reported), limit
 * rejections by code (cost, and a token limit caught before any operation
 * exists), the pool gauges, the cache counters, and the Redis breaker gauge,
 * which a TCP proxy holding Redis' replies opens and releasing them closes.
 *
 * No assertion is about time: waits are bounded by tries, assertions are
 * about the exposed values.
 */
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { insertPatients, insertRecords, listen, startTcpProxy, type TcpProxy, waitFor } from './support/index.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, endpointOf, TEST_REDIS_URL, via, type TestGateway } from '../src/testing/index.js';

interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text format (enough of it: no escaped quotes in our label values). */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`Unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels[pair[1]!] = pair[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

class Scrape {
  constructor(readonly samples: readonly Sample[]) {}

  /** The value of the series with exactly these labels, or undefined when absent. */
  get(name: string, labels: Record<string, string> = {}): number | undefined {
    const wanted = Object.entries(labels);
    return this.samples.find(
      (sample) =>
        sample.name === name &&
        Object.keys(sample.labels).length === wanted.length &&
        wanted.every(([key, value]) => sample.labels[key] === value),
    )?.value;
  }

  /** Like get, 0 when the series does not exist yet (a labelled counter before its first increment). */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.get(name, labels) ?? 0;
  }

  /** Every label value `label` takes in the series `name`. */
  labelValues(name: string, label: string): string[] {
    return [...new Set(this.samples.filter((sample) => sample.name === name).map((sample) => sample.labels[label]!))];
  }
}

async function scrape(origin: string): Promise<Scrape> {
  const response = await fetch(`${origin}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return new Scrape(parseMetrics(await response.text()));
}

interface Posted {
  readonly status: number;
  readonly sql: number;
  readonly body: { data?: Record<string, any> | null; errors?: { extensions?: Record<string, unknown> }[] };
}

function client(graphqlUrl: string, authorization: string) {
  return async (query: string, variables?: Record<string, unknown>): Promise<Posted> => {
    const response = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query, ...(variables ? { variables } : {}) }),
    });
    const body = (await response.json()) as Posted['body'];
    return { status: response.status, sql: Number(response.headers.get('x-sql-statements')), body };
  };
}

const PATIENT_PAGE = /* GraphQL */ `
  query PatientPage($first: Int) {
    patients(first: $first) {
      totalCount
      nodes { id name recordCount records(first: 2) { nodes { id diagnosis } } }
    }
  }
`;
const ONE_PATIENT = 'query OnePatient($id: ID!) { patient(id: $id) { id name version } }';

/**
 * This file's gateways (each its own database and metrics registry): `metrics`, scraped over HTTP, and
 * `capped`, with METRICS_MAX_OPERATION_NAMES 2. The breaker's gateway reaches Redis through a proxy whose
 * port exists only at run time, so its block makes and closes it by hand.
 */
const test = gatewaysTest('metrics', {
  metrics: { cache: true, env: { MAX_COST: '200' } },
  capped: { env: { METRICS_MAX_OPERATION_NAMES: '2' } },
});

describe('GET /metrics', () => {
  let gw: TestGateway;
  let origin: string;
  let post: ReturnType<typeof client>;
  let patients: number[];

  test.beforeAll(async ({ metrics }) => {
    gw = metrics;
    patients = await insertPatients(gw.database.pool, [{ name: 'Ann Metric' }, { name: 'Bo Metric' }, { name: 'Cy Metric' }]);
    await insertRecords(
      gw.database.pool,
      patients.flatMap((patientId) => [1, 2, 3].map((n) => ({ patientId, diagnosis: `Diagnosis ${n}` }))),
    );
    ({ origin } = await listen(gw));
    post = client(`${origin}/graphql`, (await gw.authorizationFor('admin'))!);
  });

  test('times each request by operation name and outcome, and counts its SQL statements', async () => {
    const before = await scrape(origin);
    const cold = await post(PATIENT_PAGE, { first: 3 });
    expect(cold.body.errors).toBeUndefined();
    expect(cold.sql).toBe(3);
    const warm = await post(PATIENT_PAGE, { first: 3 });
    expect(warm.body.data).toEqual(cold.body.data);
    expect(warm.sql).toBe(0);
    const anonymous = await post('{ patients(first: 1) { nodes { name } } }');
    expect(anonymous.body.errors).toBeUndefined();
    const badId = await post(ONE_PATIENT, { id: 'not-a-global-id' });
    expect(badId.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const syntax = await post('query Broken { patients(');
    expect(syntax.status).toBe(400);
    expect(syntax.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    const after = await scrape(origin);

    const requests = (operation: string, outcome: string) =>
      after.count('gateway_graphql_request_duration_seconds_count', { operation, outcome }) -
      before.count('gateway_graphql_request_duration_seconds_count', { operation, outcome });
    expect(requests('PatientPage', 'ok')).toBe(2);
    expect(requests('anonymous', 'ok')).toBe(1);
    expect(requests('OnePatient', 'BAD_USER_INPUT')).toBe(1);
    expect(requests('OnePatient', 'ok')).toBe(0);
    expect(requests('unknown', 'GRAPHQL_PARSE_FAILED')).toBe(1);
    expect(after.get('gateway_graphql_request_duration_seconds_bucket', { operation: 'PatientPage', outcome: 'ok', le: '+Inf' })).toBe(
      after.get('gateway_graphql_request_duration_seconds_count', { operation: 'PatientPage', outcome: 'ok' }),
    );
    expect(after.get('gateway_graphql_request_duration_seconds_sum', { operation: 'PatientPage', outcome: 'ok' })).toBeGreaterThan(0);

    // The SQL histogram: exactly what the headers said, one observation per request.
    const sql = (series: string, labels: Record<string, string>) => after.count(series, labels) - before.count(series, labels);
    expect(sql('gateway_graphql_sql_statements_sum', { operation: 'PatientPage' })).toBe(cold.sql + warm.sql);
    expect(sql('gateway_graphql_sql_statements_count', { operation: 'PatientPage' })).toBe(2);
    expect(sql('gateway_graphql_sql_statements_bucket', { operation: 'PatientPage', le: '0' })).toBe(1);
    expect(sql('gateway_graphql_sql_statements_bucket', { operation: 'PatientPage', le: '2' })).toBe(1);
    expect(sql('gateway_graphql_sql_statements_bucket', { operation: 'PatientPage', le: '3' })).toBe(2);
    expect(sql('gateway_graphql_sql_statements_sum', { operation: 'anonymous' })).toBe(anonymous.sql);
    expect(sql('gateway_graphql_sql_statements_sum', { operation: 'OnePatient' })).toBe(badId.sql);
    expect(sql('gateway_graphql_sql_statements_count', { operation: 'unknown' })).toBe(1);
    expect(sql('gateway_graphql_sql_statements_sum', { operation: 'unknown' })).toBe(0);
    expect(after.labelValues('gateway_graphql_sql_statements_bucket', 'le')).toEqual(
      ['0', '1', '2', '3', '5', '8', '13', '21', '50', '100', '+Inf'],
    );
    // The process-wide counter moved at least by what these requests sent (fixtures and probes send more).
    expect(sql('gateway_sql_statements_total', {})).toBeGreaterThanOrEqual(cold.sql + anonymous.sql + badId.sql);
  });

  test('counts limit rejections by code, from the errors the response ends with', async () => {
    const before = await scrape(origin);
    for (const code of ['COST_LIMIT_EXCEEDED', 'DEPTH_LIMIT_EXCEEDED', 'TOKEN_LIMIT_EXCEEDED', 'RATE_LIMITED']) {
      expect(before.get('gateway_limit_rejections_total', { code })).toBeDefined();
    }
    // A hundred patients with five records each: well over MAX_COST 200.
    const costly = await post('query Costly { patients(first: 100) { nodes { records(first: 5) { nodes { id } } } } }');
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', limit: 200 });
    expect(costly.sql).toBe(0);
    // Over MAX_TOKENS (2000): the lexer stops, so no operation was ever resolved.
    const long = await post(`query Long { ${'__typename '.repeat(2100)}}`);
    expect(long.body.errors?.[0]?.extensions?.code).toBe('TOKEN_LIMIT_EXCEEDED');
    const after = await scrape(origin);

    const delta = (name: string, labels: Record<string, string>) => after.count(name, labels) - before.count(name, labels);
    expect(delta('gateway_limit_rejections_total', { code: 'COST_LIMIT_EXCEEDED' })).toBe(1);
    expect(delta('gateway_limit_rejections_total', { code: 'TOKEN_LIMIT_EXCEEDED' })).toBe(1);
    expect(delta('gateway_limit_rejections_total', { code: 'DEPTH_LIMIT_EXCEEDED' })).toBe(0);
    expect(delta('gateway_graphql_request_duration_seconds_count', { operation: 'Costly', outcome: 'COST_LIMIT_EXCEEDED' })).toBe(1);
    expect(delta('gateway_graphql_request_duration_seconds_count', { operation: 'unknown', outcome: 'TOKEN_LIMIT_EXCEEDED' })).toBe(1);
    expect(delta('gateway_graphql_sql_statements_sum', { operation: 'Costly' })).toBe(0);
  });

  test('reports the pool: its size, connections in use and callers waiting', async () => {
    const idle = await scrape(origin);
    expect(idle.get('gateway_db_pool_size')).toBe(gw.config.dbPoolSize);
    expect(idle.get('gateway_db_pool_connections_in_use')).toBe(0);
    expect(idle.get('gateway_db_pool_waiting')).toBe(0);
    const held = await gw.database.pool.getConnection();
    try {
      expect((await scrape(origin)).get('gateway_db_pool_connections_in_use')).toBe(1);
    } finally {
      held.release();
    }
    expect((await scrape(origin)).get('gateway_db_pool_connections_in_use')).toBe(0);
  });

  test('moves the cache counters: misses and fills when cold, hits when warm, invalidations after a mutation', async () => {
    const id = toGlobalId('Patient', patients[1]!);
    const before = await scrape(origin);
    const cold = await post(ONE_PATIENT, { id });
    expect(cold.body.data?.patient).toMatchObject({ name: 'Bo Metric' });
    const afterCold = await scrape(origin);
    const moved = (from: Scrape, to: Scrape, name: string, kind: string) => to.count(name, { kind }) - from.count(name, { kind });
    expect(moved(before, afterCold, 'gateway_cache_misses_total', 'fragment')).toBeGreaterThanOrEqual(1);
    expect(moved(before, afterCold, 'gateway_cache_fills_total', 'fragment')).toBeGreaterThanOrEqual(1);
    expect(moved(before, afterCold, 'gateway_cache_misses_total', 'response')).toBeGreaterThanOrEqual(1);
    expect(moved(before, afterCold, 'gateway_cache_fills_total', 'response')).toBe(1);

    const warm = await post(ONE_PATIENT, { id });
    expect(warm.sql).toBe(0);
    const afterWarm = await scrape(origin);
    expect(moved(afterCold, afterWarm, 'gateway_cache_hits_total', 'response')).toBe(1);
    expect(moved(afterCold, afterWarm, 'gateway_cache_misses_total', 'fragment')).toBe(0);

    const version = (cold.body.data?.patient as { version: number }).version;
    const updated = await post('mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { version } }', {
      input: { id, expectedVersion: version, name: 'Bo Metric II' },
    });
    expect(updated.body.errors).toBeUndefined();
    const afterWrite = await scrape(origin);
    expect(moved(afterWarm, afterWrite, 'gateway_cache_invalidations_total', 'tags')).toBeGreaterThanOrEqual(1);
  });

  test('reports the Redis breaker closed and the connection ready', async () => {
    const metrics = await scrape(origin);
    expect(metrics.get('gateway_redis_breaker_open')).toBe(0);
    expect(metrics.get('gateway_redis_connected')).toBe(1);
  });

  test('labels at most METRICS_MAX_OPERATION_NAMES distinct names; later ones are `other`', async ({ capped }) => {
    for (const name of ['First', 'Second', 'Third', 'Fourth', 'First']) {
      const result = await capped.run(`query ${name} { __typename }`);
      expect(result.errors).toBeUndefined();
    }
    const text = await capped.gateway.metrics.getSingleMetricAsString('gateway_graphql_request_duration_seconds');
    const metrics = new Scrape(parseMetrics(text));
    expect(metrics.get('gateway_graphql_request_duration_seconds_count', { operation: 'First', outcome: 'ok' })).toBe(2);
    expect(metrics.get('gateway_graphql_request_duration_seconds_count', { operation: 'Second', outcome: 'ok' })).toBe(1);
    expect(metrics.get('gateway_graphql_request_duration_seconds_count', { operation: 'other', outcome: 'ok' })).toBe(2);
    expect(metrics.labelValues('gateway_graphql_request_duration_seconds_count', 'operation').sort()).toEqual([
      'First',
      'Second',
      'other',
    ]);
  });
});

describe('the Redis breaker gauge', () => {
  let proxy: TcpProxy;
  let gw: TestGateway;

  beforeAll(async () => {
    proxy = await startTcpProxy(endpointOf(TEST_REDIS_URL));
    gw = await createTestGateway({
      name: 'metrics_breaker',
      cache: true,
      // Commands give up soon enough to open the breaker quickly, not so soon that a loaded machine trips them.
      env: { REDIS_URL: via(TEST_REDIS_URL, proxy.port), REDIS_COMMAND_TIMEOUT_MS: '500', REDIS_BREAKER_COOLDOWN_MS: '200' },
    });
    await insertPatients(gw.database.pool, [{ name: 'Di Breaker' }]);
  });

  afterAll(async () => {
    proxy?.release();
    await gw?.close();
    await proxy?.stop();
  });

  const read = () => gw.run('query Page { patients(first: 1) { nodes { name } } }');
  const gauge = async (name: string) =>
    new Scrape(parseMetrics(await gw.gateway.metrics.getSingleMetricAsString(name))).get(name);
  const counter = async (name: string) =>
    new Scrape(parseMetrics(await gw.gateway.metrics.getSingleMetricAsString(name))).count(name, { kind: 'redis' });

  test('is 1 while Redis does not answer, and 0 again once it does; reads never fail', { timeout: 30_000 }, async () => {
    expect((await read()).errors).toBeUndefined();
    expect(await gauge('gateway_redis_breaker_open')).toBe(0);
    const errorsBefore = await counter('gateway_redis_errors_total');

    proxy.hold();
    let opened = false;
    for (let attempt = 0; attempt < 20 && !opened; attempt += 1) {
      const result = await read();
      expect(result.errors).toBeUndefined();
      expect(result.data?.patients.nodes).toEqual([{ name: 'Di Breaker' }]);
      opened = (await gauge('gateway_redis_breaker_open')) === 1;
    }
    expect(opened).toBe(true);
    expect(await counter('gateway_redis_errors_total')).toBeGreaterThan(errorsBefore);

    proxy.release();
    await waitFor(
      async () => {
        expect((await read()).errors).toBeUndefined();
        return (await gauge('gateway_redis_breaker_open')) === 0;
      },
      { what: 'the breaker to close once Redis replies again', intervalMs: 25 },
    );
    expect(await gauge('gateway_redis_breaker_open')).toBe(0);
    expect(await gauge('gateway_redis_connected')).toBe(1);
  });
});
