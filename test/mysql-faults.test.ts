/**
 * MySQL faults, against the real MariaDB: a saturated pool (bounded queue,
 * acquire timeout), the server-side statement timeout, the request deadline,
 * MySQL taken away (its port refuses) and black-holed (a dead network) through
 * a TCP proxy the test controls, and recovery without a restart. Each failure
 * reaches the client as SERVICE_UNAVAILABLE (503 when no data could be
 * produced, 200 with the partial data otherwise), /readyz tells the truth, and
 * nothing from a failed or partial answer is cached.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, endpointOf, TEST_DATABASE_SERVER, via, type TestGateway } from '../src/testing/index.js';
import { type Answer, codes, insertEvent, insertPatients, post, readiness, startTcpProxy, type TcpProxy, waitFor } from './support/index.js';

/** POSTs one operation as `authorization`. */
const postAs = (url: string, authorization: string, query: string, variables?: Record<string, unknown>) =>
  post(url, { query, variables }, { authorization });

/** Polls `probe` until `check` holds of what it returns (a recovery happens in the background); resolves with that value. */
async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, what = 'a background recovery'): Promise<T> {
  let last: T | undefined;
  await waitFor(async () => check((last = await probe())), { what, intervalMs: 100 });
  return last as T;
}

const PATIENT_NAMES = '{ patients(first: 5) { nodes { name } } }';

describe('a saturated pool', () => {
  let gw: TestGateway;
  let url: string;
  let origin: string;
  let admin: string;

  beforeAll(async () => {
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false,
      name: 'pool_bounds',
      env: { DB_POOL_SIZE: '2', DB_POOL_QUEUE_LIMIT: '1', DB_ACQUIRE_TIMEOUT_MS: '300', DB_STATEMENT_TIMEOUT_MS: '0' },
    });
    await insertPatients(gw.database.pool, [{ name: 'Alice Ames' }]);
    const listening = await gw.gateway.listen();
    url = listening.url;
    origin = `http://127.0.0.1:${listening.port}`;
    admin = (await gw.authorizationFor('admin')) as string;
  });
  afterAll(() => gw?.close());

  it('gives SERVICE_UNAVAILABLE (503) after the acquire timeout, with no SQL sent, while /readyz stays 200', async () => {
    // Both connections busy for 1.5 s.
    const holders = [gw.database.pool.query('SELECT SLEEP(1.5)'), gw.database.pool.query('SELECT SLEEP(1.5)')];
    await eventually(async () => gw.database.poolStats().inUse, (inUse) => inUse === 2);

    const inProcess = await gw.run(PATIENT_NAMES);
    expect(inProcess.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(inProcess.sqlCount).toBe(0);

    const overHttp = await postAs(url, admin, PATIENT_NAMES);
    expect(overHttp.status).toBe(503);
    expect(codes(overHttp)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(overHttp.body.data).toBeNull();
    expect(JSON.stringify(overHttp.body)).not.toMatch(/SLEEP|SELECT|POOL_/);
    // The health probe has a connection of its own.
    expect(await readiness(origin)).toBe(200);
    await Promise.all(holders);
  });

  it('refuses at once past the queue limit, and serves again once connections are free', async () => {
    const holders = [gw.database.pool.query('SELECT SLEEP(1)'), gw.database.pool.query('SELECT SLEEP(1)')];
    await eventually(async () => gw.database.poolStats().inUse, (inUse) => inUse === 2);
    const waiting = gw.run(PATIENT_NAMES); // takes the one queue place
    await eventually(async () => gw.database.poolStats().waiting, (count) => count === 1);
    const refused = await gw.run(PATIENT_NAMES);
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(gw.database.poolStats().waiting).toBe(1); // the refused one never queued
    await Promise.all([...holders, waiting]);

    const served = await gw.run(PATIENT_NAMES);
    expect(served.errors).toBeUndefined();
    expect(served.data?.patients.nodes).toEqual([{ name: 'Alice Ames' }]);
    expect(served.sqlCount).toBe(1);
    expect(gw.database.poolStats()).toEqual({ inUse: 0, waiting: 0, size: 2 });
  });
});

describe('the statement timeout and the request deadline', () => {
  let gw: TestGateway;
  let url: string;
  let admin: string;
  let locker: mysql.Connection;
  let patientId: string;
  let eventId: string;

  beforeAll(async () => {
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false,
      name: 'timeouts',
      cache: true,
      // The locked-table tests need the unlocked root field's read to finish inside the statement timeout, and
      // the cut-off test needs the server's timer to fire before the client gives up: a loaded 2-core host
      // has stalled MariaDB for over a second, so both bounds leave room for that (neither is timed here).
      env: { DB_STATEMENT_TIMEOUT_MS: '1000', DB_CLIENT_TIMEOUT_MARGIN_MS: '10000', REQUEST_TIMEOUT_MS: '15000' },
    });
    const [patient] = (await insertPatients(gw.database.pool, [{ name: 'Alice Ames' }])) as [number];
    const { eventId: event } = await insertEvent(gw.database.pool, { title: 'Flu shots', days: 1, slotsPerDay: 2 });
    patientId = toGlobalId('Patient', patient);
    eventId = toGlobalId('Event', event);
    url = (await gw.gateway.listen()).url;
    admin = (await gw.authorizationFor('admin')) as string;
    locker = await mysql.createConnection({ uri: gw.databaseUrl });
  });
  afterAll(async () => {
    await locker?.end();
    await gw?.close();
  });

  it('detects the server at start: MariaDB, max_statement_time', () => {
    expect(gw.database.statementTimeout).toEqual({
      server: 'mariadb',
      milliseconds: 1000,
      clientMilliseconds: 11_000,
      sql: 'SET SESSION max_statement_time = 1',
    });
  });

  it('cuts off a long statement on the server (ER_STATEMENT_TIMEOUT), on every pooled connection', async () => {
    const attempts = await Promise.allSettled([1, 2, 3].map(() => gw.database.pool.query('SELECT SLEEP(30) AS slept')));
    for (const attempt of attempts) {
      // MariaDB answers SLEEP interrupted by max_statement_time with 1 or an error, by version; either ends early.
      if (attempt.status === 'rejected') expect(attempt.reason).toMatchObject({ errno: 1969 });
      else expect((attempt.value[0] as { slept: number }[])[0]?.slept).toBe(1);
    }
  });

  it('a root field whose table is locked fails alone: partial data, HTTP 200, and neither part of it is cached', async () => {
    const both = `query ($p: ID!, $e: ID!) { patient(id: $p) { name } event(id: $e) { title } }`;
    await locker.query('LOCK TABLES events WRITE');
    let partial: Answer;
    try {
      partial = await postAs(url, admin, both, { p: patientId, e: eventId });
    } finally {
      await locker.query('UNLOCK TABLES');
    }
    expect(partial.status).toBe(200);
    expect(partial.body.data).toEqual({ patient: { name: 'Alice Ames' }, event: null });
    expect(codes(partial)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(partial.body.errors?.[0]?.message).not.toMatch(/events|SELECT|max_statement_time/);

    // Nothing of the failed answer was stored: the event is read from MySQL now, and the whole
    // response is complete; the patient's row was cached by the partial request's fill.
    const complete = await gw.run(both, { p: patientId, e: eventId });
    expect(complete.errors).toBeUndefined();
    expect(complete.data).toEqual({ patient: { name: 'Alice Ames' }, event: { title: 'Flu shots' } });
    expect(complete.sqlCount).toBe(1);
    const warm = await gw.run(both, { p: patientId, e: eventId });
    expect(warm.data).toEqual(complete.data);
    expect(warm.sqlCount).toBe(0);
  });

  it('no data at all: SERVICE_UNAVAILABLE with HTTP 503, and the failure is not cached', async () => {
    const eventOnly = `query ($e: ID!) { event(id: $e) { title schedules { time } } }`;
    await locker.query('LOCK TABLES events WRITE, schedules WRITE');
    let failed: Answer;
    try {
      failed = await postAs(url, admin, eventOnly, { e: eventId });
    } finally {
      await locker.query('UNLOCK TABLES');
    }
    expect(failed.status).toBe(503);
    expect(failed.body.data).toEqual({ event: null });
    expect(codes(failed)).toEqual(['SERVICE_UNAVAILABLE']);
    const after = await gw.run(eventOnly, { e: eventId });
    expect(after.errors).toBeUndefined();
    expect(after.data?.event.title).toBe('Flu shots');
    expect(after.sqlCount).toBeGreaterThan(0);
  });

  it('a mutation whose locking read times out writes nothing and answers SERVICE_UNAVAILABLE (503)', async () => {
    await locker.query('LOCK TABLES patients WRITE');
    let failed: Answer;
    try {
      failed = await postAs(
        url,
        admin,
        'mutation ($id: ID!) { updatePatient(input: { id: $id, expectedVersion: 1, name: "Changed" }) { name } }',
        { id: patientId },
      );
    } finally {
      await locker.query('UNLOCK TABLES');
    }
    expect(failed.status).toBe(503);
    expect(codes(failed)).toEqual(['SERVICE_UNAVAILABLE']);
    const [rows] = await gw.database.pool.query('SELECT name, version FROM patients');
    expect(rows).toEqual([{ name: 'Alice Ames', version: 1 }]);
  });
});

describe('the request deadline', () => {
  let gw: TestGateway;
  let url: string;
  let admin: string;
  let locker: mysql.Connection;

  beforeAll(async () => {
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false,
      name: 'deadline',
      cache: true,
      // A statement may run 3 s, but the client must have its answer after 800 ms.
      env: { DB_STATEMENT_TIMEOUT_MS: '3000', REQUEST_TIMEOUT_MS: '800' },
    });
    await insertPatients(gw.database.pool, [{ name: 'Alice Ames' }]);
    url = (await gw.gateway.listen()).url;
    admin = (await gw.authorizationFor('admin')) as string;
    locker = await mysql.createConnection({ uri: gw.databaseUrl });
  });
  afterAll(async () => {
    await locker?.end();
    await gw?.close();
  });

  it('answers SERVICE_UNAVAILABLE (503, Retry-After) at the deadline; the late result is dropped', async () => {
    await locker.query('LOCK TABLES patients WRITE');
    let late: Answer;
    try {
      late = await postAs(url, admin, PATIENT_NAMES);
    } finally {
      // Let the execution finish after the deadline passed: its result must go nowhere.
      await locker.query("UPDATE patients SET name = 'Alice Ames-Late'");
      await locker.query('UNLOCK TABLES');
    }
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');
    expect(codes(late)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(late.body.errors?.[0]?.message).toMatch(/did not complete within 800 ms/);
    expect(await gw.gateway.metrics.getSingleMetricAsString('gateway_request_deadline_exceeded_total')).toMatch(
      /^gateway_request_deadline_exceeded_total 1$/m,
    );

    const fresh = await postAs(url, admin, PATIENT_NAMES);
    expect(fresh.status).toBe(200);
    expect(fresh.body.data?.patients.nodes).toEqual([{ name: 'Alice Ames-Late' }]);
  });
});

describe('MySQL gone, black-holed, and back', () => {
  let proxy: TcpProxy;
  let gw: TestGateway;
  let url: string;
  let origin: string;
  let admin: string;

  beforeAll(async () => {
    proxy = await startTcpProxy(endpointOf(TEST_DATABASE_SERVER));
    gw = await createTestGateway({
      // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
      compareExecutors: false,
      name: 'mysql_gone',
      serverUrl: via(TEST_DATABASE_SERVER, proxy.port),
      cache: true,
      env: {
        DB_CONNECT_TIMEOUT_MS: '500',
        DB_STATEMENT_TIMEOUT_MS: '500',
        DB_ACQUIRE_TIMEOUT_MS: '500',
        REQUEST_TIMEOUT_MS: '2000',
        READINESS_TIMEOUT_MS: '500',
      },
    });
    await insertPatients(gw.database.pool, [{ name: 'Alice Ames' }]);
    const listening = await gw.gateway.listen();
    url = listening.url;
    origin = `http://127.0.0.1:${listening.port}`;
    admin = (await gw.authorizationFor('admin')) as string;
  });
  afterAll(async () => {
    await proxy?.start();
    proxy?.resume();
    await gw?.close();
    await proxy?.stop();
  });

  it('port refused: /readyz 503, operations SERVICE_UNAVAILABLE (503); back: ready and serving, no restart', async () => {
    expect(await readiness(origin)).toBe(200);
    await proxy.stop();

    expect(await readiness(origin)).toBe(503);
    const down = await postAs(url, admin, PATIENT_NAMES);
    expect(down.status).toBe(503);
    expect(codes(down)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(down.body.errors?.[0]?.message).toBe('The database is unavailable; retry later.');
    expect(await (await fetch(`${origin}/healthz`)).status).toBe(200);

    await proxy.start();
    await eventually(() => readiness(origin), (status) => status === 200);
    const back = await postAs(url, admin, PATIENT_NAMES);
    expect(back.status).toBe(200);
    expect(back.body.data?.patients.nodes).toEqual([{ name: 'Alice Ames' }]);
  });

  it('black-holed (a dead network): answers within the deadline instead of hanging; recovers after', async () => {
    const query = '{ patients(first: 3) { totalCount nodes { name } } }';
    proxy.blackhole();
    const stuck = await postAs(url, admin, query);
    expect(stuck.status).toBe(503);
    expect(codes(stuck)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(await readiness(origin)).toBe(503);

    proxy.resume();
    await eventually(() => readiness(origin), (status) => status === 200);
    const back = await eventually(
      () => postAs(url, admin, query),
      (answer) => answer.status === 200,
    );
    expect(back.body.errors).toBeUndefined();
    expect(back.body.data?.patients).toEqual({ totalCount: 1, nodes: [{ name: 'Alice Ames' }] });
  });
});
