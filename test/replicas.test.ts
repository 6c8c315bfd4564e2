/**
 * Read replicas (DATABASE_REPLICA_URLS, src/db/replicas.ts) with real MariaDB
 * and Redis. A second throw-away database stands in for the replica: migrated
 * like the primary, holding the same ids but different text (names and
 * diagnoses suffixed " (replica)"), so every answer shows which database served
 * it. Nothing replicates between them: a write reaches the primary only, as if
 * the replica lagged forever.
 *
 * Proved here, each with the exact SQL count of the operation (statements on
 * the replica's pool are counted like the primary's):
 * - cache off: reads go to the replica;
 * - a request that wrote reads its nested fields after the write from the
 *   primary (on an instance without a read-your-writes window, so that rule
 *   alone is at work), and the principal's next request is back on the replica;
 * - after principal A writes, A reads the primary during the window and the
 *   replica after it, while principal B reads the replica throughout;
 * - the window holds on a second instance sharing the Redis;
 * - cache on: a miss is filled from the primary, a warm hit runs no SQL;
 * - cache on but Redis dead: reads the cache cannot keep go to the replica,
 *   and a write's window is still honoured by the instance that saw it.
 *
 * The only waits are for a window to lapse, and they wait for exactly that:
 * its Redis key gone and the writing instance's own record past its TTL. No
 * assertion is about time.
 */
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertClinicians, insertPatients, insertRecords, nextInstant, PrivateRedis, startTcpProxy, waitFor } from './support/index.js';
import { connectDatabase, migrateDatabase, type Database } from '../src/db/client.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, endpointOf, TEST_DATABASE_SERVER, TEST_REDIS_URL, via, type Caller, type TestGateway } from '../src/testing/index.js';

/** The read-your-writes window of the gateways here; long enough that reads right after a write fall inside it on a loaded machine. */
const WINDOW_MS = 1500;

const REPLICA = ' (replica)';
const PATIENTS = 8;
const RECORDS_PER_PATIENT = 2;

const READ_PATIENT = /* GraphQL */ `
  query ReadPatient($id: ID!) { patient(id: $id) { name records(first: 5) { nodes { diagnosis } } } }
`;
const UPDATE_PATIENT = /* GraphQL */ `
  mutation UpdatePatient($input: UpdatePatientInput!) {
    updatePatient(input: $input) { name version records(first: 5) { nodes { diagnosis } } }
  }
`;

/** Statements of READ_PATIENT with cold caches: the patient by id, then its records page. */
const READ_SQL = 2;

/** Distinct principals (distinct `sub`s): each test writes as its own, so no window leaks between tests. */
const clinician = (n: number): Caller => ({ clinicianId: n });

/** The shared Redis, to watch the windows' keys. */
let redis: Redis;

/** The Redis key of clinician `n`'s read-your-writes window (src/db/replicas.ts: `<prefix>ryw:<principal>`). */
const windowKey = (n: number) => `${primary.name}:ryw:clinician:${toGlobalId('Clinician', n)}`;

/**
 * Waits until clinician `n`'s window, opened by a write that returned at `writtenAt` (performance.now()), has
 * lapsed wherever it is kept: its Redis key has expired (PX, what every instance reads), and the writing
 * instance's in-process record, set before the mutation returned with the same TTL, is older than the window on
 * the monotonic clock lru-cache measures it with (the gateway runs in this process).
 */
async function untilWindowLapsed(n: number, writtenAt: number): Promise<void> {
  await waitFor(async () => performance.now() - writtenAt > WINDOW_MS && (await redis.exists(windowKey(n))) === 0, {
    what: `clinician ${n}'s read-your-writes window to lapse`,
    timeoutMs: WINDOW_MS + 10_000,
  });
}

let primary: TestGateway;
let replica: Database;
let replicaUrl: string;
/** Patient row ids (equal in both databases). */
let patients: number[];
const extra: TestGateway[] = [];

const patientName = (index: number) => `Patient ${index + 1}`;
const diagnosis = (index: number, n: number) => `Dx ${index + 1}.${n}`;

/** The answer READ_PATIENT gives from the primary or from the replica, for patient `index` (records newest first). */
function expected(index: number, source: 'primary' | 'replica', name?: string) {
  const suffix = source === 'replica' ? REPLICA : '';
  return {
    patient: {
      name: name ?? `${patientName(index)}${suffix}`,
      records: {
        nodes: Array.from({ length: RECORDS_PER_PATIENT }, (_, n) => ({
          diagnosis: `${diagnosis(index, RECORDS_PER_PATIENT - 1 - n)}${suffix}`,
        })),
      },
    },
  };
}

/** Writes the same rows (same ids, same times) into a database, with `suffix` on every text the tests read. */
async function fill(database: Database, suffix: string, times: { patients: number[]; records: number[] }): Promise<number[]> {
  const ids = await insertPatients(
    database.pool,
    times.patients.map((createdAt, index) => ({ name: `${patientName(index)}${suffix}`, createdAt })),
  );
  await insertRecords(
    database.pool,
    ids.flatMap((patientId, index) =>
      Array.from({ length: RECORDS_PER_PATIENT }, (_, n) => ({
        patientId,
        diagnosis: `${diagnosis(index, n)}${suffix}`,
        createdAt: times.records[index * RECORDS_PER_PATIENT + n]!,
      })),
    ),
  );
  return ids;
}

beforeAll(async () => {
  redis = new Redis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  replicaUrl = `${TEST_DATABASE_SERVER}/gw_test_replica_${Math.random().toString(16).slice(2, 10)}`;
  replica = await connectDatabase(replicaUrl, { poolSize: 2 });
  await migrateDatabase(replica);
  primary = await createTestGateway({
    name: 'replicas',
    replicaUrls: [replicaUrl],
    env: { REPLICA_READ_YOUR_WRITES_MS: String(WINDOW_MS) },
  });
  const times = {
    patients: Array.from({ length: PATIENTS }, () => nextInstant()),
    records: Array.from({ length: PATIENTS * RECORDS_PER_PATIENT }, () => nextInstant()),
  };
  patients = await fill(primary.database, '', times);
  const replicaIds = await fill(replica, REPLICA, times);
  expect(replicaIds).toEqual(patients);
  // The principals below are clinicians 1..40: their writes need them to exist (on the primary, where writes are decided).
  const clinicianIds = await insertClinicians(primary.database.pool, Array.from({ length: 40 }, (_, index) => `Dr. Replica ${index + 1}`));
  expect(clinicianIds.at(-1)).toBe(40);
});

afterAll(async () => {
  redis?.disconnect();
  for (const gateway of extra) await gateway.close();
  await primary?.close();
  if (replica) {
    await replica.pool.query(`DROP DATABASE IF EXISTS \`${replica.databaseName}\``);
    await replica.close();
  }
});

const read = (gateway: TestGateway, index: number, as: Caller) =>
  gateway.run(READ_PATIENT, { id: toGlobalId('Patient', patients[index]!) }, { as });

const rename = (gateway: TestGateway, index: number, name: string, as: Caller) =>
  gateway.run(UPDATE_PATIENT, { input: { id: toGlobalId('Patient', patients[index]!), expectedVersion: 1, name } }, { as });

describe('with the cache off', () => {
  it('the test gateway is connected to the replica', () => {
    expect(primary.replicas.map((database) => database.databaseName)).toEqual([replica.databaseName]);
    expect(primary.gateway.cache.mode).toBe('off');
  });

  it('a read goes to the replica, and its statements are counted', async () => {
    const result = await read(primary, 0, clinician(10));
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual(expected(0, 'replica'));
    expect(result.sqlCount).toBe(READ_SQL);
  });
});

describe('in a request that wrote', () => {
  it('the fields read after the write come from the primary; the next request is back on the replica', async () => {
    // A second instance without a read-your-writes window: only the request's own write keeps it on the primary.
    const noWindow = await createTestGateway({ shareWith: primary, env: { REPLICA_READ_YOUR_WRITES_MS: '0' } });
    extra.push(noWindow);
    expect(noWindow.config.replicaReadYourWritesMs).toBe(0);
    expect(noWindow.replicas).toHaveLength(1);

    const written = await rename(noWindow, 1, 'Renamed 2', clinician(11));
    expect(written.errors).toBeUndefined();
    expect(written.data).toEqual({ updatePatient: { version: 2, ...expected(1, 'primary', 'Renamed 2').patient } });
    // The writer's clinician row (on the primary), BEGIN, UPDATE, the row read back, COMMIT; then the records page, on the primary.
    expect(written.sqlCount).toBe(6);

    const after = await read(noWindow, 1, clinician(11));
    expect(after.errors).toBeUndefined();
    expect(after.data).toEqual(expected(1, 'replica'));
    expect(after.sqlCount).toBe(READ_SQL);
  });
});

describe('the read-your-writes window', () => {
  it('keeps the writer on the primary until it lapses; another principal reads the replica meanwhile', async () => {
    const a = clinician(12);
    const b = clinician(13);
    const written = await rename(primary, 2, 'Renamed 3', a);
    const writtenAt = performance.now();
    expect(written.errors).toBeUndefined();
    expect(written.data).toEqual({ updatePatient: { version: 2, ...expected(2, 'primary', 'Renamed 3').patient } });
    expect(written.sqlCount).toBe(6); // the clinician check, then as above

    const ownRead = await read(primary, 2, a);
    expect(ownRead.errors).toBeUndefined();
    expect(ownRead.data).toEqual(expected(2, 'primary', 'Renamed 3'));
    expect(ownRead.sqlCount).toBe(READ_SQL);
    // Any of A's reads, not only of what A wrote.
    const otherRow = await read(primary, 3, a);
    expect(otherRow.data).toEqual(expected(3, 'primary'));
    expect(otherRow.sqlCount).toBe(READ_SQL);

    const someoneElse = await read(primary, 2, b);
    expect(someoneElse.errors).toBeUndefined();
    expect(someoneElse.data).toEqual(expected(2, 'replica'));
    expect(someoneElse.sqlCount).toBe(READ_SQL);

    await untilWindowLapsed(12, writtenAt);
    const lapsed = await read(primary, 2, a);
    expect(lapsed.errors).toBeUndefined();
    expect(lapsed.data).toEqual(expected(2, 'replica'));
    expect(lapsed.sqlCount).toBe(READ_SQL);
  });

  it('holds on another instance sharing the Redis', async () => {
    const second = await createTestGateway({ shareWith: primary, env: { REPLICA_READ_YOUR_WRITES_MS: String(WINDOW_MS) } });
    extra.push(second);
    expect(second.replicas).toHaveLength(1);
    expect(second.config.replicaReadYourWritesMs).toBe(WINDOW_MS);
    const a = clinician(14);
    const b = clinician(15);

    const written = await rename(primary, 4, 'Renamed 5', a);
    const writtenAt = performance.now();
    expect(written.errors).toBeUndefined();
    expect(written.sqlCount).toBe(6); // the clinician check, then as above
    // What the second instance goes by.
    expect(await redis.pttl(windowKey(14))).toBeGreaterThan(0);

    // The second instance never saw A's write: only the Redis key tells it.
    const elsewhere = await read(second, 4, a);
    expect(elsewhere.errors).toBeUndefined();
    expect(elsewhere.data).toEqual(expected(4, 'primary', 'Renamed 5'));
    expect(elsewhere.sqlCount).toBe(READ_SQL);

    const someoneElse = await read(second, 4, b);
    expect(someoneElse.data).toEqual(expected(4, 'replica'));
    expect(someoneElse.sqlCount).toBe(READ_SQL);

    await untilWindowLapsed(14, writtenAt);
    const lapsed = await read(second, 4, a);
    expect(lapsed.data).toEqual(expected(4, 'replica'));
    expect(lapsed.sqlCount).toBe(READ_SQL);
  });
});

describe('with the cache on', () => {
  it('a miss is filled from the primary, and a warm hit runs no SQL', async () => {
    const cached = await createTestGateway({ shareWith: primary, cache: true });
    extra.push(cached);
    expect(cached.gateway.cache.mode).toBe('redis');
    const reader = clinician(16);

    const cold = await read(cached, 5, reader);
    expect(cold.errors).toBeUndefined();
    expect(cold.data).toEqual(expected(5, 'primary'));
    expect(cold.sqlCount).toBe(READ_SQL);

    const warm = await read(cached, 5, reader);
    expect(warm.data).toEqual(expected(5, 'primary'));
    expect(warm.sqlCount).toBe(0);

    // Another document over the same fragments (no whole-response hit): what the cache holds is the primary's.
    const fragments = await cached.run(
      'query ($id: ID!) { other: patient(id: $id) { name records(first: 5) { nodes { diagnosis } } } }',
      { id: toGlobalId('Patient', patients[5]!) },
      { as: clinician(17) },
    );
    expect(fragments.errors).toBeUndefined();
    expect(fragments.data).toEqual({ other: expected(5, 'primary').patient });
    expect(fragments.sqlCount).toBe(0);
  });

  it('with Redis dead, reads go to the replica (nothing is stored) and a writer keeps its window on that instance', async () => {
    const redis = await PrivateRedis.start();
    try {
      const degraded = await createTestGateway({
        shareWith: primary,
        cache: true,
        env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '200', REDIS_BREAKER_COOLDOWN_MS: '60000' },
      });
      extra.push(degraded);
      expect(degraded.gateway.cache.mode).toBe('redis');
      await redis.kill();

      const before = await read(degraded, 6, clinician(18));
      expect(before.errors).toBeUndefined();
      expect(before.data).toEqual(expected(6, 'replica'));
      expect(before.sqlCount).toBe(READ_SQL);

      const writer = clinician(19);
      const written = await rename(degraded, 7, 'Renamed 8', writer);
      expect(written.errors).toBeUndefined();
      expect(written.data).toEqual({ updatePatient: { version: 2, ...expected(7, 'primary', 'Renamed 8').patient } });
      expect(written.sqlCount).toBe(6); // the clinician check, then as above

      const ownRead = await read(degraded, 7, writer);
      expect(ownRead.data).toEqual(expected(7, 'primary', 'Renamed 8'));
      expect(ownRead.sqlCount).toBe(READ_SQL);

      const someoneElse = await read(degraded, 7, clinician(20));
      expect(someoneElse.data).toEqual(expected(7, 'replica'));
      expect(someoneElse.sqlCount).toBe(READ_SQL);
    } finally {
      await redis.dispose();
    }
  });
});


describe('a replica that stops answering', () => {
  it('gets no reads once a probe fails (they go to the primary), and gets them back once it answers', async () => {
    const proxy = await startTcpProxy(endpointOf(replicaUrl));
    const throughProxy = new URL(via(replicaUrl, proxy.port));
    const gateway = await createTestGateway({
      name: 'replica_down',
      replicaUrls: [throughProxy.toString()],
      env: { REPLICA_HEALTH_INTERVAL_MS: '60000', READINESS_TIMEOUT_MS: '500', DB_CONNECT_TIMEOUT_MS: '500' },
    });
    extra.push(gateway);
    try {
      const up = await gateway.run(READ_PATIENT, { id: toGlobalId('Patient', patients[4]!) }, { as: clinician(40) });
      // The gateway's own database has no rows; the replica answers.
      expect(up.data).toEqual(expected(4, 'replica'));
      expect(up.sqlCount).toBe(READ_SQL);

      await proxy.stop();
      await gateway.gateway.replicaHealth.check();
      expect(gateway.gateway.replicaHealth.isUp(0)).toBe(false);
      expect(await gateway.gateway.metrics.getSingleMetricAsString('gateway_db_replica_up')).toMatch(/replica="0"} 0$/m);
      const down = await gateway.run(READ_PATIENT, { id: toGlobalId('Patient', patients[4]!) }, { as: clinician(40) });
      expect(down.errors).toBeUndefined();
      expect(down.data).toEqual({ patient: null }); // the primary of this gateway is its own, empty database
      expect(down.sqlCount).toBe(1);

      await proxy.start();
      await gateway.gateway.replicaHealth.check();
      expect(gateway.gateway.replicaHealth.isUp(0)).toBe(true);
      const back = await gateway.run(READ_PATIENT, { id: toGlobalId('Patient', patients[4]!) }, { as: clinician(40) });
      expect(back.data).toEqual(expected(4, 'replica'));
    } finally {
      await proxy.start();
      await gateway.close();
      extra.splice(extra.indexOf(gateway), 1);
      await proxy.stop();
    }
  });
});
