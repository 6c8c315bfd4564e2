/**
 * The cache's basic promises, with real Redis and MariaDB: a repeated read
 * runs no SQL (whole response, then fragments), another caller never gets the
 * first caller's private data, a read after a mutation is fresh, 200
 * concurrent cold reads run one MySQL load per fragment, and the development
 * `extensions.cache` report. Every test runs on one Redis and on a real Redis
 * Cluster (describe.each; test/support/redis-cluster.ts).
 */
import { describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { totalStatements } from '../src/db/sql-counter.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import { insertEvent, insertPatients, insertRecords, insertSelections, manyPatients } from './support/fixtures.js';
import { listen } from './support/http.js';

/** This file's gateway on one Redis (its own database); the cluster mode starts its own next to it. */
const test = gatewayTest('cache', { cache: true });
const MODES = ['one Redis', 'a Redis Cluster'] as const;

const PATIENT_PAGE = /* GraphQL */ `
  query ($first: Int) {
    patients(first: $first) {
      totalCount
      nodes { id name recordCount records(first: 2) { nodes { id diagnosis } } }
    }
  }
`;

const OWN_PATIENT = /* GraphQL */ `
  query ($id: ID!) { patient(id: $id) { id name records { nodes { diagnosis } } } }
`;

/** The same rows for each mode's gateway. */
async function seed(gw: TestGateway): Promise<{ patients: number[]; eventId: number }> {
  const patients = await insertPatients(gw.database.pool, manyPatients(5, 'Cached'));
  await insertRecords(
    gw.database.pool,
    patients.flatMap((patientId) => [0, 1, 2].map((n) => ({ patientId, diagnosis: `Diagnosis ${patientId}.${n}` }))),
  );
  const event = await insertEvent(gw.database.pool, { title: 'Cached event', days: 2, slotsPerDay: 4 });
  await insertSelections(
    gw.database.pool,
    patients.map((patientId, index) => ({ patientId, scheduleId: event.scheduleIds[index]!, eventId: event.eventId })),
  );
  return { patients, eventId: event.eventId };
}

describe.each(MODES)('on %s', (mode) => {
  let gw: TestGateway;
  let patients: number[];
  let eventId: number;
  let cluster: RedisCluster | null = null;
  let own: TestGateway | null = null;

  test.beforeAll(async ({ gateway }) => {
    if (mode === 'a Redis Cluster') {
      cluster = await startRedisCluster();
      own = await createTestGateway({ name: 'cache_cluster', cache: true, env: { REDIS_CLUSTER_NODES: cluster.nodesSetting } });
    }
    gw = own ?? gateway;
    ({ patients, eventId } = await seed(gw));
  });

  test.afterAll(async () => {
    await own?.close();
    await cluster?.stop();
  });

  describe('a repeated read', () => {
    test('over HTTP: the hit writes the miss’s bytes, newline and Content-Length included, non-ASCII too', async () => {
      const [named] = await insertPatients(gw.database.pool, [{ name: 'Zoë Ångström "quoted"' }]);
      const { url } = await listen(gw);
      const authorization = (await gw.authorizationFor('admin')) as string;
      const ask = async () => {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ query: OWN_PATIENT, variables: { id: toGlobalId('Patient', named!) } }),
        });
        const bytes = Buffer.from(await response.arrayBuffer());
        return { bytes, length: response.headers.get('content-length'), outcome: response.headers.get('x-sql-statements') };
      };
      const miss = await ask();
      const hit = await ask();
      expect(miss.outcome).not.toBe('0');
      expect(hit.outcome).toBe('0');
      // Outside production each answer ends with its own `extensions.cache` report (MISS, then HIT): the data
      // before it is the same bytes, written from the stored body on the hit.
      const data = JSON.stringify({ data: { patient: { id: toGlobalId('Patient', named!), name: 'Zoë Ångström "quoted"', records: { nodes: [] } } } }).slice(0, -1);
      for (const answer of [miss, hit]) {
        const text = answer.bytes.toString('utf8');
        expect(text.startsWith(`${data},"extensions":{"cache":{"response":"${answer === miss ? 'MISS' : 'HIT'}"`)).toBe(true);
        expect(text.endsWith('}\n')).toBe(true);
        expect(text.indexOf('\n')).toBe(text.length - 1);
        expect(answer.length).toBe(String(answer.bytes.length));
      }
    });

    test('runs no SQL the second time', async () => {
      const cold = await gw.run(PATIENT_PAGE, { first: 5 });
      expect(cold.errors).toBeUndefined();
      // The page, its count, the records pages (their window count answers recordCount), the authors.
      expect(cold.sqlCount).toBe(3);
      const warm = await gw.run(PATIENT_PAGE, { first: 5 });
      expect(warm.errors).toBeUndefined();
      expect(warm.sqlCount).toBe(0);
      expect(warm.data).toEqual(cold.data);
    });

    test('runs no SQL from fragments alone when the response differs (another alias, same fields)', async () => {
      await gw.run(PATIENT_PAGE, { first: 5 });
      const other = await gw.run(
        `query ($first: Int) { list: patients(first: $first) { totalCount nodes { id name recordCount records(first: 2) { nodes { id diagnosis } } } } }`,
        { first: 5 },
      );
      expect(other.errors).toBeUndefined();
      expect(other.sqlCount).toBe(0);
    });

    test('by another patient does not see the first patient’s data', async () => {
      const [first, second] = patients as [number, number];
      const own = await gw.run(OWN_PATIENT, { id: toGlobalId('Patient', first) }, { as: { patientId: first } });
      expect(own.data?.patient?.name).toBeTruthy();
      const again = await gw.run(OWN_PATIENT, { id: toGlobalId('Patient', first) }, { as: { patientId: first } });
      expect(again.sqlCount).toBe(0);
      const stranger = await gw.run(OWN_PATIENT, { id: toGlobalId('Patient', first) }, { as: { patientId: second } });
      expect(stranger.errors).toBeUndefined();
      expect(stranger.data).toEqual({ patient: null });
      const strangerAgain = await gw.run(OWN_PATIENT, { id: toGlobalId('Patient', first) }, { as: { patientId: second } });
      expect(strangerAgain.data).toEqual({ patient: null });
    });
  });

  describe('after a mutation', () => {
    test('the next read is fresh', async () => {
      const id = toGlobalId('Patient', patients[0]!);
      const read = () => gw.run(`query ($id: ID!) { patient(id: $id) { name version } }`, { id });
      const before = await read();
      await read();
      const update = await gw.run(
        `mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { version } }`,
        { input: { id, expectedVersion: before.data?.patient.version, name: 'Renamed through the API' } },
      );
      expect(update.errors).toBeUndefined();
      const after = await read();
      expect(after.data?.patient).toEqual({ name: 'Renamed through the API', version: before.data?.patient.version + 1 });
      expect(after.sqlCount).toBeGreaterThan(0);
    });
  });

  describe('stampede protection', () => {
    test('200 concurrent cold reads of one event page run one MySQL load per fragment', async () => {
      const query = `query ($id: ID!) { event(id: $id) { title schedules { date selectionCount } } }`;
      const variables = { id: toGlobalId('Event', eventId) };
      const before = totalStatements();
      const results = await Promise.all(Array.from({ length: 200 }, () => gw.run(query, variables)));
      const statements = totalStatements() - before;
      expect(results.every((result) => result.errors === undefined)).toBe(true);
      expect(new Set(results.map((result) => JSON.stringify(result.data))).size).toBe(1);
      // event, schedules, selection counts: one statement each for all 200 requests.
      expect(statements).toBe(3);
    });
  });

  describe('extensions.cache', () => {
    test('reports the response outcome and fragment statistics in development', async () => {
      const query = `query ($id: ID!) { event(id: $id) { title participantCount } }`;
      const response = await gw.gateway.apollo.executeOperation(
        { query, variables: { id: toGlobalId('Event', eventId) } },
        { contextValue: await gw.gateway.createContext({ authorization: await gw.authorizationFor('admin') }) },
      );
      const body = response.body.kind === 'single' ? response.body.singleResult : null;
      expect(body?.extensions?.cache).toMatchObject({ response: expect.stringMatching(/HIT|MISS/) });
    });
  });
});
