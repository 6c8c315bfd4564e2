/**
 * The DataLoader contract of every domain loader: values in key order, null
 * for missing keys, IN-lists chunked at DB_IN_CHUNK_SIZE keys per statement,
 * and an error for one group of keys never failing its siblings.
 */
import { describe, expect } from 'vitest';
import { createRequestDb } from '../src/db/request-db.js';
import { newSqlTrace, type SqlTrace } from '../src/db/sql-counter.js';
import type { Loaders } from '../src/modules/loaders.js';
import { perGroup } from '../src/modules/batching.js';
import { createLoaders } from '../src/modules/loaders.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { insertEvent, insertPatients, insertRecords, insertSelections, manyPatients } from './support/fixtures.js';

/**
 * This file's gateways (each its own database), shared by every test and hook here: `gateway` with the
 * default settings, and `chunks`, whose IN-lists hold at most two keys.
 */
const test = gatewaysTest('loaders', { gateway: {}, chunks: { env: { DB_IN_CHUNK_SIZE: '2' } } });
let gw: TestGateway;
let patientIds: number[];

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  patientIds = await insertPatients(gw.database.pool, manyPatients(1500));
  await insertRecords(
    gw.database.pool,
    patientIds.slice(0, 3).flatMap((patientId) => [{ patientId }, { patientId }]),
  );
});

/** A request's loaders, as the context builds them (this gateway's cache is off), counting into their own trace. */
function loadersOfRequest(): Loaders & { trace: SqlTrace } {
  const { cache } = gw.gateway;
  const trace = newSqlTrace();
  const loaders = createLoaders({ reads: createRequestDb(gw.database, trace, null), chunkSize: 1000, cache, session: cache.session() });
  return Object.assign(loaders, { trace });
}

/** What `work` returns and how many statements the loaders' trace counted meanwhile. */
async function counted<T>(loaders: { trace: SqlTrace }, work: () => Promise<T>): Promise<{ value: T; sqlCount: number }> {
  const before = loaders.trace.count;
  const value = await work();
  return { value, sqlCount: loaders.trace.count - before };
}

describe('by-id loaders', () => {
  test('return rows in key order with null for missing keys, one statement', async () => {
    const loaders = loadersOfRequest();
    const keys = [patientIds[2]!, 9_999_999, patientIds[0]!, patientIds[1]!];
    const { value, sqlCount } = await counted(loaders, () => loaders.patient.byId.loadMany(keys));
    expect(value.map((row) => (row && !(row instanceof Error) ? row.id : row))).toEqual([
      patientIds[2],
      null,
      patientIds[0],
      patientIds[1],
    ]);
    expect(sqlCount).toBe(1);
  });

  test('chunk 1,500 keys into two IN-lists of at most 1,000', async () => {
    const loaders = loadersOfRequest();
    const { value, sqlCount } = await counted(loaders, () => loaders.patient.byId.loadMany(patientIds));
    expect(value).toHaveLength(1500);
    expect(value.every((row, index) => row !== null && !(row instanceof Error) && row.id === patientIds[index])).toBe(true);
    expect(sqlCount).toBe(2);
  });

  test('dedupe repeated keys and serve them from the request cache', async () => {
    const loaders = loadersOfRequest();
    const first = await counted(loaders, () => loaders.patient.byId.loadMany([patientIds[0]!, patientIds[0]!, patientIds[1]!]));
    expect(first.sqlCount).toBe(1);
    const again = await counted(loaders, () => loaders.patient.byId.load(patientIds[0]!));
    expect(again.value?.id).toBe(patientIds[0]);
    expect(again.sqlCount).toBe(0);
  });
});

describe('grouped loaders', () => {
  test('fail only the keys of the group whose statement failed', async () => {
    const loaders = loadersOfRequest();
    const good = { patientId: patientIds[0]!, status: null, after: null, limit: 5 };
    // A position whose value mysql2 writes as raw SQL that does not parse: that group's statement fails.
    const unparsable = { toSqlString: () => 'NOT ( VALID' } as unknown as string;
    const broken = { patientId: patientIds[1]!, status: null, after: { createdAt: unparsable, id: 1 }, limit: 5 };
    const { value } = await counted(loaders, () => loaders.record.pageByPatient.loadMany([good, broken]));
    expect(Array.isArray((value[0] as { rows: unknown[] }).rows)).toBe(true);
    expect((value[0] as { rows: unknown[] }).rows.length).toBe(2);
    expect(value[1]).toBeInstanceOf(Error);
  });

  test('perGroup keeps key order across groups', async () => {
    const results = await perGroup(
      ['a1', 'b1', 'a2', 'c1'],
      (key) => key[0]!,
      async (keys) => {
        if (keys[0] === 'c1') throw new Error('group c failed');
        return keys.map((key) => key.toUpperCase());
      },
    );
    expect(results.slice(0, 3)).toEqual(['A1', 'B1', 'A2']);
    expect(results[3]).toBeInstanceOf(Error);
  });
});

describe('chunk size setting', () => {
  test('DB_IN_CHUNK_SIZE bounds the keys of every IN-list of an operation', async ({ chunks: small }) => {
    const pool = small.database.pool;
    const patients = await insertPatients(pool, manyPatients(3));
    const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Chunked', days: 1, slotsPerDay: 5 });
    await insertSelections(
      pool,
      scheduleIds.map((scheduleId, index) => ({ patientId: patients[index % 3]!, scheduleId, eventId })),
    );
    const result = await small.run(
      `query ($id: ID!) { event(id: $id) { schedules { selections { patient { name } } } } }`,
      { id: toGlobalId('Event', eventId) },
      { captureStatements: true },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.event.schedules.flatMap((slot: any) => slot.selections)).toHaveLength(5);
    // event 1, schedules 1, selections of 5 schedules in ceil(5/2) = 3, patients of 3 in ceil(3/2) = 2
    expect(result.sqlCount).toBe(7);
    // Each IN-list is one array parameter (mysql2 expands `IN (?)`): at most two keys in each.
    for (const statement of result.statements) expect(statement.params.flat().length).toBeLessThanOrEqual(2);
  });
});
