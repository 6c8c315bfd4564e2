/**
 * The bulk seeder against a real MySQL/MariaDB: exact row counts, determinism across databases and resets, and the
 * invariants the resolvers rely on (weekday of each slot, selections' denormalized event id, distinct picks).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, migrateDatabase, type Database } from '../src/db/client.js';
import { isDatabaseEmpty, seedDatabase, type SeedOptions } from '../src/seed/seed.js';
import { TEST_DATABASE_SERVER } from '../src/testing/index.js';

const SERVER_URL = TEST_DATABASE_SERVER;

const SMALL: SeedOptions = {
  patients: 50,
  recordsPerPatient: 3,
  events: 2,
  slots: 14,
  participants: 10,
  picks: 5,
  clinicians: 4,
  reset: true,
  seed: 7,
};

const ONE_TIME: SeedOptions = {
  patients: 60,
  recordsPerPatient: 1,
  events: 1,
  slots: 336,
  participants: 50,
  picks: 100,
  clinicians: 2,
  reset: true,
  seed: 3,
};

const TABLES = ['clinicians', 'patients', 'medical_records', 'events', 'schedules', 'selections'] as const;

async function createDatabase(): Promise<Database> {
  const name = `gw_test_seed_${randomBytes(6).toString('hex')}`;
  const database = await connectDatabase(`${SERVER_URL}/${name}`, { poolSize: 4 });
  await migrateDatabase(database);
  return database;
}

async function rows(database: Database, sql: string): Promise<Array<Record<string, unknown>>> {
  const [result] = await database.pool.query(sql);
  return result as Array<Record<string, unknown>>;
}

async function count(database: Database, sql: string): Promise<number> {
  const [first] = await rows(database, sql);
  return Number(Object.values(first ?? {})[0]);
}

/** Every row of the six tables, in id order, as JSON: equal snapshots mean identical data. */
async function snapshot(database: Database): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  for (const table of TABLES) {
    tables[table] = JSON.stringify(await rows(database, `SELECT * FROM ${table} ORDER BY id`));
  }
  return tables;
}

async function rowCounts(database: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) counts[table] = await count(database, `SELECT COUNT(*) FROM ${table}`);
  return counts;
}

describe('seedDatabase', () => {
  let first: Database;
  let second: Database;

  beforeAll(async () => {
    first = await createDatabase();
    second = await createDatabase();
  }, 60_000);

  afterAll(async () => {
    for (const database of [first, second]) {
      if (!database) continue;
      await database.pool.query(`DROP DATABASE IF EXISTS \`${database.databaseName}\``);
      await database.close();
    }
  });

  it('inserts exactly the rows the options describe', async () => {
    expect(await isDatabaseEmpty(first.pool)).toBe(true);
    const summary = await seedDatabase(first.pool, SMALL);
    expect(summary).toMatchObject({
      clinicians: 4,
      patients: 50,
      medicalRecords: 150,
      events: 2,
      schedules: 28,
      selections: 100,
    });
    expect(await rowCounts(first)).toEqual({
      clinicians: 4,
      patients: 50,
      medical_records: 150,
      events: 2,
      schedules: 28,
      selections: 100,
    });
    expect(await isDatabaseEmpty(first.pool)).toBe(false);
  });

  it('produces identical rows in a fresh database and after a reset of a used one', async () => {
    const fresh = await snapshot(first);
    await seedDatabase(second.pool, { ...SMALL, reset: false, seed: 99, patients: 70, events: 3 });
    await seedDatabase(second.pool, SMALL);
    expect(await snapshot(second)).toEqual(fresh);
    await seedDatabase(first.pool, SMALL);
    expect(await snapshot(first)).toEqual(fresh);
  });

  it('derives different rows from a different seed', async () => {
    await seedDatabase(second.pool, { ...SMALL, seed: 8 });
    expect(await rowCounts(second)).toEqual(await rowCounts(first));
    expect((await snapshot(second)).patients).not.toEqual((await snapshot(first)).patients);
  });

  it('labels every slot with the weekday of its date and lays slots out from 07:00 every 15 minutes', async () => {
    expect(await count(first, 'SELECT COUNT(*) FROM schedules WHERE day <> UPPER(DAYNAME(date))')).toBe(0);
    const eventOne = await rows(
      first,
      "SELECT DATE_FORMAT(date, '%Y-%m-%d') AS date, TIME_FORMAT(time, '%H:%i') AS time FROM schedules " +
        'WHERE event_id = 1 ORDER BY id',
    );
    expect(eventOne.slice(0, 3)).toEqual([
      { date: '2026-12-01', time: '07:00' },
      { date: '2026-12-01', time: '07:15' },
      { date: '2026-12-02', time: '07:00' },
    ]);
    expect(new Set(eventOne.map((slot) => slot.date)).size).toBe(7);
  });

  it('keeps every selection on its schedule event', async () => {
    expect(
      await count(
        first,
        'SELECT COUNT(*) FROM selections s JOIN schedules sc ON sc.id = s.schedule_id WHERE sc.event_id <> s.event_id',
      ),
    ).toBe(0);
    const orphans =
      'SELECT COUNT(*) FROM selections s LEFT JOIN schedules sc ON sc.id = s.schedule_id WHERE sc.id IS NULL';
    expect(await count(first, orphans)).toBe(0);
  });

  it('has each of the first participants pick min(picks, slots) distinct slots per event', async () => {
    const picks = await rows(
      first,
      'SELECT event_id, patient_id, COUNT(*) AS picks, COUNT(DISTINCT schedule_id) AS distinctPicks ' +
        'FROM selections GROUP BY event_id, patient_id ORDER BY event_id, patient_id',
    );
    expect(picks).toHaveLength(2 * 10);
    for (const participant of picks) {
      expect(Number(participant.picks)).toBe(5);
      expect(Number(participant.distinctPicks)).toBe(5);
      expect(Number(participant.patient_id)).toBeLessThanOrEqual(10);
    }

    await seedDatabase(second.pool, { ...SMALL, slots: 3, picks: 5 });
    expect(await count(second, 'SELECT COUNT(*) FROM selections')).toBe(2 * 10 * 3);
  });

  it('writes created_at strictly increasing with id and appends with continuing ids', async () => {
    await seedDatabase(second.pool, SMALL);
    await seedDatabase(second.pool, { ...SMALL, reset: false });
    expect(await rowCounts(second)).toMatchObject({ patients: 100, medical_records: 300, selections: 200 });
    expect(await count(second, 'SELECT MAX(id) FROM patients')).toBe(100);
    for (const table of ['clinicians', 'patients', 'medical_records', 'events', 'selections']) {
      const outOfOrder = await count(
        second,
        `SELECT COUNT(*) FROM (SELECT created_at, LAG(created_at) OVER (ORDER BY id) AS previous FROM ${table}) AS t ` +
          'WHERE previous >= created_at',
      );
      expect(outOfOrder, table).toBe(0);
    }
    const [firstRecord] = await rows(
      second,
      "SELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:%i:%s.%f') AS createdAt FROM medical_records ORDER BY id LIMIT 1",
    );
    expect(firstRecord?.createdAt).toBe('2025-01-01 00:00:01.001000');
  });

  it('fills the OneTime shape: 336 slots, 48 a day, 5,000 selections', async () => {
    const summary = await seedDatabase(second.pool, ONE_TIME);
    expect(summary.schedules).toBe(336);
    expect(summary.selections).toBe(5000);
    const perDay = await rows(
      second,
      'SELECT date, COUNT(*) AS slots, MIN(time) AS first, MAX(time) AS last FROM schedules GROUP BY date',
    );
    expect(perDay).toHaveLength(7);
    for (const day of perDay) {
      expect(Number(day.slots)).toBe(48);
      expect(String(day.first)).toBe('07:00:00');
      expect(String(day.last)).toBe('18:45:00');
    }
    expect(await count(second, 'SELECT COUNT(*) FROM selections')).toBe(5000);
    expect(await count(second, 'SELECT COUNT(DISTINCT patient_id) FROM selections')).toBe(50);
  });

  it('rejects options it cannot honour before writing anything', async () => {
    await seedDatabase(second.pool, SMALL);
    const before = await snapshot(second);
    await expect(seedDatabase(second.pool, { ...SMALL, slots: 337 })).rejects.toThrow(/slots must be at most 336/);
    await expect(seedDatabase(second.pool, { ...SMALL, patients: 5, participants: 10 })).rejects.toThrow(
      /participants \(10\) exceeds the 5 patients/,
    );
    expect(await snapshot(second)).toEqual(before);
  });

  it('gives the connection back to the pool with the key checks on', async () => {
    await seedDatabase(second.pool, SMALL);
    const connections = await Promise.all([1, 2, 3, 4].map(() => second.pool.getConnection()));
    try {
      for (const connection of connections) {
        const [settings] = await connection.query('SELECT @@foreign_key_checks AS fk, @@unique_checks AS uq');
        expect(settings).toEqual([{ fk: 1, uq: 1 }]);
      }
    } finally {
      for (const connection of connections) connection.release();
    }
  });
});
