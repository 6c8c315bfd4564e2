/**
 * Writes under real concurrency on MariaDB: optimistic locking lets exactly one
 * of many same-version updates win; concurrent setSelections calls leave one
 * caller's complete choice, never a mix; inTransaction retries a real deadlock
 * victim and gives up on lock wait timeouts with SERVICE_UNAVAILABLE after
 * rolling every attempt back; and a transaction whose connection is killed
 * half-way (deletePatient, createEvent) leaves no partial rows behind.
 */
import { sql } from 'drizzle-orm';
import { GraphQLError } from 'graphql';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect } from 'vitest';
import { inTransaction, type Tx } from '../src/db/transaction.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { RunResult, TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { CREATE_EVENT_ID, DELETE_PATIENT, insertEvent, insertPatients, insertRecords, insertSelections, waitFor } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('mutation_concurrency', {
  // Fault and lock choreography: no side executions comparing the engines (test/executors.test.ts covers them).
  compareExecutors: false,
  env: { DB_POOL_SIZE: '20' },
});
let gw: TestGateway;
const rawConnections: mysql.Connection[] = [];

test.beforeAll(({ gateway }) => {
  gw = gateway;
});

// The raw connections end here, before the fixture closes the gateway (when the worker ends).
afterAll(async () => {
  await Promise.all(rawConnections.map((connection) => connection.end().catch(() => connection.destroy())));
});

/** A connection of its own on the test database, outside the gateway's pool (closed in afterAll). */
async function rawConnection(): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ uri: gw.databaseUrl });
  rawConnections.push(connection);
  return connection;
}

async function countRows(query: string, params: unknown[] = []): Promise<number> {
  const [rows] = await gw.database.pool.query<RowDataPacket[]>(query, params);
  return Number(rows[0]?.total);
}

/** The id of the connection currently running a statement that starts with `statementStart`. */
function connectionRunning(observer: mysql.Connection, statementStart: string): Promise<number> {
  return waitFor(
    async () => {
      const [rows] = await observer.query<RowDataPacket[]>(
        'SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND info LIKE ?',
        [`${statementStart}%`],
      );
      return rows.length === 1 ? Number(rows[0]!.id) : undefined;
    },
    { what: `a connection running "${statementStart}…"` },
  );
}

/** A deterministic pseudo-random generator (mulberry32), so a failing run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sortedKey = (ids: Iterable<number>) => [...ids].sort((a, b) => a - b).join(',');

function errorCodes(result: RunResult): unknown[] {
  return (result.errors ?? []).map((error) => error.extensions?.code);
}

describe('updatePatient under optimistic locking', () => {
  test('lets exactly one of 20 concurrent updates with the same expectedVersion win; the others get CONFLICT at version 2', async () => {
    const [patientRowId] = (await insertPatients(gw.database.pool, [{ name: 'Original Name' }])) as [number];
    const patientId = toGlobalId('Patient', patientRowId);
    const names = Array.from({ length: 20 }, (_, index) => `Concurrent Writer ${index + 1}`);

    const results = await Promise.all(
      names.map((name) =>
        gw.run(
          'mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { id name version } }',
          { input: { id: patientId, expectedVersion: 1, name } },
        ),
      ),
    );

    const winners = results.filter((result) => result.errors === undefined);
    const losers = results.filter((result) => result.errors !== undefined);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const winner = winners[0]!.data!.updatePatient as { id: string; name: string; version: number };
    expect(winner.version).toBe(2);
    expect(names).toContain(winner.name);
    for (const loser of losers) {
      expect(loser.errors).toHaveLength(1);
      expect(loser.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2, expectedVersion: 1 });
    }

    const [rows] = await gw.database.pool.query<RowDataPacket[]>('SELECT name, version FROM patients WHERE id = ?', [
      patientRowId,
    ]);
    expect(rows).toEqual([{ name: winner.name, version: 2 }]);
  });
});

describe('setSelections under concurrency', () => {
  test("leaves exactly one of 50 concurrent complete choices, never a mix, and never breaks the (patient, schedule) key", async () => {
    const pool = gw.database.pool;
    const [patientRowId] = (await insertPatients(pool, [{ name: 'Selective Sam' }])) as [number];
    const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Flu shots', days: 2, slotsPerDay: 10 });
    expect(scheduleIds).toHaveLength(20);
    // A previous choice, so the concurrent calls have rows to keep and to drop.
    await insertSelections(
      pool,
      scheduleIds.slice(0, 5).map((scheduleId) => ({ patientId: patientRowId, scheduleId, eventId })),
    );

    const random = seededRandom(20_261_207);
    const choices: number[][] = [[]];
    while (choices.length < 50) choices.push(scheduleIds.filter(() => random() < 0.5));
    const submitted = new Set(choices.map(sortedKey));

    const results = await Promise.all(
      choices.map((choice) =>
        gw.run(
          'mutation ($input: SetSelectionsInput!) { setSelections(input: $input) { id schedule { id } } }',
          {
            input: {
              eventId: toGlobalId('Event', eventId),
              patientId: toGlobalId('Patient', patientRowId),
              scheduleIds: choice.map((id) => toGlobalId('Schedule', id)),
            },
          },
        ),
      ),
    );

    expect(results.flatMap(errorCodes)).toEqual([]);
    const [rows] = await pool.query<RowDataPacket[]>(
      'SELECT schedule_id FROM selections WHERE patient_id = ? AND event_id = ?',
      [patientRowId, eventId],
    );
    const finalState = sortedKey(rows.map((row) => Number(row.schedule_id)));
    expect(submitted.has(finalState), `final state [${finalState}] is not one of the submitted choices`).toBe(true);
    const [duplicates] = await pool.query<RowDataPacket[]>(
      'SELECT patient_id, schedule_id FROM selections GROUP BY patient_id, schedule_id HAVING COUNT(*) > 1',
    );
    expect(duplicates).toEqual([]);
  });
});

describe('inTransaction retries', () => {
  test('retries the victim of a real deadlock once, so both transactions complete (3 attempts in all)', async () => {
    const [rowA, rowB] = (await insertPatients(gw.database.pool, [{ name: 'Lock A' }, { name: 'Lock B' }])) as [
      number,
      number,
    ];
    let totalAttempts = 0;
    const deadlockErrors: unknown[] = [];
    let arrived = 0;
    let openBarrier!: () => void;
    const bothHoldTheirFirstRow = new Promise<void>((resolve) => (openBarrier = resolve));

    const lockInOrder = (first: number, second: number) => {
      let attempts = 0;
      return async (tx: Tx): Promise<number> => {
        attempts += 1;
        totalAttempts += 1;
        await tx.execute(sql`SELECT id FROM patients WHERE id = ${first} FOR UPDATE`);
        if (attempts === 1) {
          arrived += 1;
          if (arrived === 2) openBarrier();
          await bothHoldTheirFirstRow;
        }
        try {
          await tx.execute(sql`SELECT id FROM patients WHERE id = ${second} FOR UPDATE`);
        } catch (error) {
          deadlockErrors.push((error as { cause?: { errno?: unknown } }).cause?.errno);
          throw error;
        }
        return attempts;
      };
    };

    const attemptsPerWork = await Promise.all([
      inTransaction(gw.database.db, lockInOrder(rowA, rowB)),
      inTransaction(gw.database.db, lockInOrder(rowB, rowA)),
    ]);

    expect(totalAttempts).toBe(3);
    expect([...attemptsPerWork].sort()).toEqual([1, 2]);
    expect(deadlockErrors).toEqual([1213]);
  });

  test('gives up after 3 lock wait timeouts with SERVICE_UNAVAILABLE, and every attempt is rolled back', async () => {
    const [lockedRowId] = (await insertPatients(gw.database.pool, [{ name: 'Held Elsewhere' }])) as [number];
    const holder = await rawConnection();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM patients WHERE id = ? FOR UPDATE', [lockedRowId]);
    const marker = 'Written before the lock wait';

    let attempts = 0;
    let failure: unknown;
    try {
      await inTransaction(gw.database.db, async (tx) => {
        attempts += 1;
        await tx.execute(
          sql`INSERT INTO patients (name, birth_date, created_at, updated_at) VALUES (${`${marker} ${attempts}`}, '1990-01-01', NOW(3), NOW(3))`,
        );
        await tx.execute(sql`SET SESSION innodb_lock_wait_timeout = 1`);
        try {
          await tx.execute(sql`SELECT id FROM patients WHERE id = ${lockedRowId} FOR UPDATE`);
        } finally {
          // 1205 rolls back the statement only; put the pooled connection's setting back before the rollback.
          await tx.execute(sql`SET SESSION innodb_lock_wait_timeout = DEFAULT`);
        }
      });
    } catch (error) {
      failure = error;
    } finally {
      await holder.query('ROLLBACK');
    }

    expect(failure).toBeInstanceOf(GraphQLError);
    expect((failure as GraphQLError).extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', attempts: 3 });
    expect(attempts).toBe(3);
    expect(await countRows('SELECT COUNT(*) AS total FROM patients WHERE name LIKE ?', [`${marker}%`])).toBe(0);
  });
});

describe('a transaction whose connection is killed half-way', () => {
  test('deletePatient: the patient, its records and its selections all survive; the caller gets SERVICE_UNAVAILABLE', async () => {
    const pool = gw.database.pool;
    const [patientRowId] = (await insertPatients(pool, [{ name: 'Interrupted Ida' }])) as [number];
    const recordIds = await insertRecords(pool, [
      { patientId: patientRowId, diagnosis: 'Flu' },
      { patientId: patientRowId, diagnosis: 'Sprain' },
      { patientId: patientRowId, diagnosis: 'Asthma' },
    ]);
    const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Check-ups', days: 1, slotsPerDay: 3 });
    await insertSelections(
      pool,
      scheduleIds.map((scheduleId) => ({ patientId: patientRowId, scheduleId, eventId })),
    );

    const holder = await rawConnection();
    const killer = await rawConnection();
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM medical_records WHERE id = ? FOR UPDATE', [recordIds[1]]);
    let pending: Promise<RunResult> | undefined;
    try {
      pending = gw.run(DELETE_PATIENT, { id: toGlobalId('Patient', patientRowId) });
      // The selections are already deleted (uncommitted) when the records delete waits for the lock.
      const blocked = await connectionRunning(killer, 'delete from `medical_records`');
      await killer.query('KILL ?', [blocked]);
    } finally {
      await holder.query('ROLLBACK');
    }
    const result = await pending;

    expect(result.data).toBeNull();
    expect(await countRows('SELECT COUNT(*) AS total FROM patients WHERE id = ?', [patientRowId])).toBe(1);
    expect(await countRows('SELECT COUNT(*) AS total FROM medical_records WHERE patient_id = ?', [patientRowId])).toBe(3);
    expect(await countRows('SELECT COUNT(*) AS total FROM selections WHERE patient_id = ?', [patientRowId])).toBe(3);

    // The pool dropped the killed connection: the gateway keeps answering.
    const after = await gw.run('query ($id: ID!) { patient(id: $id) { name recordCount } }', {
      id: toGlobalId('Patient', patientRowId),
    });
    expect(after.errors).toBeUndefined();
    expect(after.data).toEqual({ patient: { name: 'Interrupted Ida', recordCount: 3 } });

    // A lost connection is the database being unavailable, not an internal error.
    expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
  });

  test('createEvent: killed between the event insert and the slots insert, it leaves neither; the caller gets SERVICE_UNAVAILABLE', async () => {
    const holder = await rawConnection();
    const killer = await rawConnection();
    const title = 'Never half-created';
    await holder.query('BEGIN');
    // A locking full scan takes the next-key lock on the supremum, so any new schedule row waits.
    await holder.query('SELECT * FROM schedules FOR UPDATE');
    let pending: Promise<RunResult> | undefined;
    try {
      pending = gw.run(CREATE_EVENT_ID, {
        input: {
          title,
          slots: [
            { date: '2027-03-01', time: '09:00' },
            { date: '2027-03-01', time: '09:15' },
          ],
        },
      });
      const blocked = await connectionRunning(killer, 'insert into `schedules`');
      await killer.query('KILL ?', [blocked]);
    } finally {
      await holder.query('ROLLBACK');
    }
    const result = await pending;

    expect(result.data).toBeNull();
    expect(await countRows('SELECT COUNT(*) AS total FROM events WHERE title = ?', [title])).toBe(0);
    expect(await countRows("SELECT COUNT(*) AS total FROM schedules WHERE date = '2027-03-01'")).toBe(0);
    expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
  });
});
