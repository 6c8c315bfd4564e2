/**
 * Every mutation of the contract, through the real gateway and MariaDB: the
 * returned object, the rows read back with plain SQL, the exact number of SQL
 * statements (BEGIN and COMMIT included), the write-access matrix (admin,
 * clinician, patient, no token), input validation, optimistic locking, bulk
 * deletes whose statement count does not grow with the children, createEvent's
 * slots, atomic setSelections, and nested fields that read the committed state.
 * Refused and invalid calls must run no SQL and leave the database as it was.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { beforeAll, describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { type Caller, type RunResult, type TestGateway } from '../src/testing/index.js';
import { DELETE_EVENT, DELETE_PATIENT, DELETE_RECORDS, gid, insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections, type PatientSeed } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('mutations');
let gw: TestGateway;
/** Row id of the first clinician: the 'clinician' caller's token is Clinician:1. */
let clinicianOne: number;

/** A well-formed global id of an unknown type ("Nothing:1"), a string that is no global id at all, and a row id nobody has. */
const FOREIGN_TYPE_ID = Buffer.from('Nothing:1').toString('base64url');
const MALFORMED_ID = 'not-a-global-id';
const MISSING_ROW = 987_654;

/** The row id inside a global id the gateway returned. */
const rowIdOf = (globalId: string) => Number(Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]);

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  [clinicianOne] = (await insertClinicians(gw.database.pool, ['Dr. Ada Byron', 'Dr. Ben Carter'])) as [number, number];
  // The 'clinician' caller's token names Clinician:1; the fresh database hands out 1 first.
  expect(clinicianOne).toBe(1);
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

async function selectRows<T = Record<string, any>>(sql: string, params: unknown[] = []): Promise<T[]> {
  const [rows] = await gw.database.pool.query<RowDataPacket[]>(sql, params);
  return rows as T[];
}

async function countRows(table: string, where = '1 = 1', params: unknown[] = []): Promise<number> {
  const [row] = await selectRows<{ total: number }>(`SELECT COUNT(*) AS total FROM ${table} WHERE ${where}`, params);
  return Number(row!.total);
}

interface PatientRowRead {
  id: number;
  name: string;
  email: string | null;
  birthDate: string;
  isActive: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

async function patientRow(id: number): Promise<PatientRowRead | undefined> {
  const [row] = await selectRows<any>(
    `SELECT id, name, email, DATE_FORMAT(birth_date, '%Y-%m-%d') AS birthDate, is_active AS isActive,
            created_at AS createdAt, updated_at AS updatedAt, version
       FROM patients WHERE id = ?`,
    [id],
  );
  return row ? { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() } : undefined;
}

interface RecordRowRead {
  id: number;
  patientId: number;
  authorId: number | null;
  diagnosis: string;
  treatment: string | null;
  notes: string | null;
  status: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

async function recordRow(id: number): Promise<RecordRowRead | undefined> {
  const [row] = await selectRows<any>(
    `SELECT id, patient_id AS patientId, author_id AS authorId, diagnosis, treatment, notes, status,
            created_at AS createdAt, updated_at AS updatedAt, version
       FROM medical_records WHERE id = ?`,
    [id],
  );
  return row ? { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() } : undefined;
}

/** A patient's selections in one event as (selection id, schedule id), by schedule id. */
async function selectionRows(patientId: number, eventId: number): Promise<{ id: number; scheduleId: number }[]> {
  return selectRows(
    'SELECT id, schedule_id AS scheduleId FROM selections WHERE patient_id = ? AND event_id = ? ORDER BY schedule_id',
    [patientId, eventId],
  );
}

/** Every row of every table the mutations write, to prove that a refused or invalid call changed nothing. */
async function databaseState(): Promise<Record<string, unknown[]>> {
  const state: Record<string, unknown[]> = {};
  for (const table of ['patients', 'medical_records', 'events', 'schedules', 'selections']) {
    state[table] = await selectRows(`SELECT * FROM ${table} ORDER BY id`);
  }
  return state;
}

function errorOf(result: RunResult) {
  expect(result.errors, 'the operation should have failed').toBeDefined();
  expect(result.errors).toHaveLength(1);
  return result.errors![0]!;
}

/** Runs a mutation that must fail with `code` before any SQL, and checks that the database is unchanged. */
async function expectRejectedWithoutSql(
  code: 'FORBIDDEN' | 'UNAUTHENTICATED' | 'BAD_USER_INPUT',
  query: string,
  variables: Record<string, unknown>,
  as: Caller = 'admin',
) {
  const before = await databaseState();
  const result = await gw.run(query, variables, { as });
  const error = errorOf(result);
  expect(error.extensions?.code).toBe(code);
  expect(result.data ?? null).toBeNull();
  expect(result.sqlCount).toBe(0);
  expect(await databaseState()).toEqual(before);
  return error;
}

async function newPatient(seed: PatientSeed = {}): Promise<number> {
  const [id] = await insertPatients(gw.database.pool, [{ name: 'Fixture Patient', ...seed }]);
  return id!;
}

async function newEvent(slots: { days: number; slotsPerDay: number } = { days: 1, slotsPerDay: 3 }) {
  return insertEvent(gw.database.pool, { title: 'Fixture event', organizerId: clinicianOne, ...slots });
}

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

const CREATE_PATIENT = `mutation ($input: CreatePatientInput!) {
  createPatient(input: $input) { id name email birthDate isActive createdAt updatedAt version }
}`;
const UPDATE_PATIENT = `mutation ($input: UpdatePatientInput!) {
  updatePatient(input: $input) { id name email birthDate isActive createdAt updatedAt version }
}`;
const CREATE_RECORD = `mutation ($input: CreateRecordInput!) {
  createRecord(input: $input) {
    id diagnosis treatment notes status createdAt updatedAt version
    patient { id }
    author { id name }
  }
}`;
const UPDATE_RECORD = `mutation ($input: UpdateRecordInput!) {
  updateRecord(input: $input) { id diagnosis treatment notes status createdAt updatedAt version }
}`;
const CREATE_EVENT = `mutation ($input: CreateEventInput!) {
  createEvent(input: $input) { id title description version organizer { id } schedules { date day time } }
}`;
const SET_SELECTIONS = `mutation ($input: SetSelectionsInput!) {
  setSelections(input: $input) { id patient { id } schedule { id date time } }
}`;

// ---------------------------------------------------------------------------
// createPatient
// ---------------------------------------------------------------------------

describe('createPatient', () => {
  test('inserts the patient in one statement, trims the name and returns the row as stored', async () => {
    const result = await gw.run(CREATE_PATIENT, {
      input: { name: '  Ann Example  ', email: 'ann@example.org', birthDate: '1984-02-29' },
    });
    expect(result.errors).toBeUndefined();
    const created = result.data!.createPatient;
    const rowId = rowIdOf(created.id);
    const stored = await patientRow(rowId);
    expect(stored).toEqual({
      id: rowId,
      name: 'Ann Example',
      email: 'ann@example.org',
      birthDate: '1984-02-29',
      isActive: 1,
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      version: 1,
    });
    expect(created).toEqual({
      id: gid.patient(rowId),
      name: 'Ann Example',
      email: 'ann@example.org',
      birthDate: '1984-02-29',
      isActive: true,
      createdAt: stored!.createdAt,
      updatedAt: stored!.createdAt,
      version: 1,
    });
    expect(result.sqlCount).toBe(1); // INSERT
  });

  test('lets a clinician create a patient, with isActive given and no email', async () => {
    const result = await gw.run(
      CREATE_PATIENT,
      { input: { name: 'Clara Clinic', birthDate: '2000-10-10', isActive: false } },
      { as: 'clinician' },
    );
    expect(result.errors).toBeUndefined();
    const created = result.data!.createPatient;
    expect(created).toMatchObject({ name: 'Clara Clinic', email: null, birthDate: '2000-10-10', isActive: false, version: 1 });
    const stored = await patientRow(rowIdOf(created.id));
    expect(stored).toMatchObject({ name: 'Clara Clinic', email: null, birthDate: '2000-10-10', isActive: 0, version: 1 });
    // The clinician the token names (a clinician that does not exist may not write), then the INSERT.
    expect(result.sqlCount).toBe(2);
  });

  test('returns nested fields read after the insert (an empty record list)', async () => {
    const result = await gw.run(
      `mutation ($input: CreatePatientInput!) {
        createPatient(input: $input) { name recordCount records { totalCount nodes { id } } selections { id } }
      }`,
      { input: { name: 'Nested New', birthDate: '1999-01-01' } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      createPatient: { name: 'Nested New', recordCount: 0, records: { totalCount: 0, nodes: [] }, selections: [] },
    });
    // INSERT, the records page, the record count (recordCount and totalCount share it), the selections.
    expect(result.sqlCount).toBe(4);
  });

  test.each([
    ['an empty name', { name: '' }, 'input.name'],
    ['a whitespace-only name', { name: '   \t ' }, 'input.name'],
    ['a 201-character name', { name: 'x'.repeat(201) }, 'input.name'],
    ['a birthDate in the future', { birthDate: '2999-01-01' }, 'input.birthDate'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_case, override, field) => {
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_PATIENT, {
      input: { name: 'Valid Name', birthDate: '1990-01-01', ...override },
    });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  });

  test('accepts a name of exactly 200 characters after trimming', async () => {
    const name = 'n'.repeat(200);
    const result = await gw.run(CREATE_PATIENT, { input: { name: `  ${name}  `, birthDate: '1990-01-01' } });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createPatient.name).toBe(name);
  });

  test('refuses an invalid email as a scalar error before any SQL', async () => {
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_PATIENT, {
      input: { name: 'Mail Less', email: 'not-an-email', birthDate: '1990-01-01' },
    });
    expect(error.message).toMatch(/email/i);
  });
});

// ---------------------------------------------------------------------------
// updatePatient
// ---------------------------------------------------------------------------

describe('updatePatient', () => {
  test('updates with the right expectedVersion: version + 1, new updatedAt, same createdAt, other fields kept', async () => {
    const id = await newPatient({ name: 'Before Name', email: 'keep@example.org', birthDate: '1970-07-07', isActive: true });
    const before = (await patientRow(id))!;
    const result = await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(id), expectedVersion: 1, name: '  After Name ' } });
    expect(result.errors).toBeUndefined();
    const after = (await patientRow(id))!;
    expect(after).toEqual({ ...before, name: 'After Name', version: 2, updatedAt: after.updatedAt });
    expect(after.updatedAt).not.toBe(before.updatedAt);
    expect(result.data).toEqual({
      updatePatient: {
        id: gid.patient(id),
        name: 'After Name',
        email: 'keep@example.org',
        birthDate: '1970-07-07',
        isActive: true,
        createdAt: before.createdAt,
        updatedAt: after.updatedAt,
        version: 2,
      },
    });
    // BEGIN, UPDATE … WHERE id = ? AND version = ?, SELECT the row, COMMIT.
    expect(result.sqlCount).toBe(4);

    // A second update builds on the first.
    const again = await gw.run(
      UPDATE_PATIENT,
      { input: { id: gid.patient(id), expectedVersion: 2, isActive: false, birthDate: '1971-01-01' } },
      { as: 'clinician' },
    );
    expect(again.errors).toBeUndefined();
    expect(again.data!.updatePatient).toMatchObject({
      name: 'After Name',
      email: 'keep@example.org',
      birthDate: '1971-01-01',
      isActive: false,
      createdAt: before.createdAt,
      version: 3,
    });
    expect(await patientRow(id)).toMatchObject({ name: 'After Name', birthDate: '1971-01-01', isActive: 0, version: 3 });
    // A clinician's write first looks up the clinician the token names (FORBIDDEN if unknown).
    expect(again.sqlCount).toBe(5);
  });

  test('clears the email when it is set to null and keeps it when omitted', async () => {
    const id = await newPatient({ email: 'old@example.org' });
    const kept = await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(id), expectedVersion: 1, name: 'Renamed' } });
    expect(kept.data!.updatePatient.email).toBe('old@example.org');
    const cleared = await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(id), expectedVersion: 2, email: null } });
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data!.updatePatient).toMatchObject({ name: 'Renamed', email: null, version: 3 });
    expect(await patientRow(id)).toMatchObject({ name: 'Renamed', email: null, version: 3 });
  });

  test('fails with CONFLICT and the current version when expectedVersion is stale, changing nothing', async () => {
    const id = await newPatient({ name: 'Versioned' });
    await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(id), expectedVersion: 1, name: 'Versioned Twice' } });
    const before = await databaseState();
    const result = await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(id), expectedVersion: 1, name: 'Lost Update' } });
    const error = errorOf(result);
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.extensions?.currentVersion).toBe(2);
    expect(result.data).toBeNull();
    expect(result.sqlCount).toBe(4); // BEGIN, UPDATE (0 rows), SELECT, COMMIT
    expect(await databaseState()).toEqual(before);
    expect(await patientRow(id)).toMatchObject({ name: 'Versioned Twice', version: 2 });
  });

  test('fails with NOT_FOUND for a patient that does not exist', async () => {
    const before = await databaseState();
    const result = await gw.run(UPDATE_PATIENT, { input: { id: gid.patient(MISSING_ROW), expectedVersion: 1, name: 'Ghost' } });
    expect(errorOf(result).extensions?.code).toBe('NOT_FOUND');
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test.each([
    ['name: null', { name: null }, 'input.name'],
    ['an empty name', { name: '' }, 'input.name'],
    ['a whitespace-only name', { name: '    ' }, 'input.name'],
    ['a 201-character name', { name: 'y'.repeat(201) }, 'input.name'],
    ['birthDate: null', { birthDate: null }, 'input.birthDate'],
    ['a birthDate in the future', { birthDate: '2999-12-31' }, 'input.birthDate'],
    ['isActive: null', { isActive: null }, 'input.isActive'],
    ['expectedVersion 0', { expectedVersion: 0 }, 'input.expectedVersion'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_case, override, field) => {
    const id = await newPatient();
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', UPDATE_PATIENT, {
      input: { id: gid.patient(id), expectedVersion: 1, ...override },
    });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  });

  test('refuses an invalid email as a scalar error before any SQL', async () => {
    const id = await newPatient();
    await expectRejectedWithoutSql('BAD_USER_INPUT', UPDATE_PATIENT, {
      input: { id: gid.patient(id), expectedVersion: 1, email: 'a@@b' },
    });
  });

  test.each([
    ['an Event id', () => gid.event(1), /must be a Patient id, got an Event id/],
    ['a malformed id', () => MALFORMED_ID, /not a valid global id/],
    ['an id of an unknown type', () => FOREIGN_TYPE_ID, /not a valid global id/],
  ])('refuses %s as the patient id with BAD_USER_INPUT before any SQL', async (_case, makeId, message) => {
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', UPDATE_PATIENT, {
      input: { id: makeId(), expectedVersion: 1, name: 'Nobody' },
    });
    expect(error.message).toMatch(message);
    expect(error.message).toContain('input.id');
  });

  test('returns nested records and counts as committed (loaders see the write)', async () => {
    const id = await newPatient({ name: 'Nested Before' });
    await insertRecords(gw.database.pool, [
      { patientId: id, diagnosis: 'Older' },
      { patientId: id, diagnosis: 'Newer' },
    ]);
    const result = await gw.run(
      `mutation ($input: UpdatePatientInput!) {
        updatePatient(input: $input) { name version records { totalCount nodes { diagnosis } } recordCount }
      }`,
      { input: { id: gid.patient(id), expectedVersion: 1, name: 'Nested After' } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      updatePatient: {
        name: 'Nested After',
        version: 2,
        records: { totalCount: 2, nodes: [{ diagnosis: 'Newer' }, { diagnosis: 'Older' }] },
        recordCount: 2,
      },
    });
    // BEGIN, UPDATE, SELECT, COMMIT, the records page, the record count.
    expect(result.sqlCount).toBe(6);
  });

  test('sees, in a later field of the same operation, what an earlier mutation field wrote', async () => {
    const id = await newPatient({ name: 'Two Step' });
    const result = await gw.run(
      `mutation ($first: UpdatePatientInput!, $second: UpdatePatientInput!) {
        first: updatePatient(input: $first) { name version }
        second: updatePatient(input: $second) { name version email }
      }`,
      {
        first: { id: gid.patient(id), expectedVersion: 1, name: 'Step One' },
        second: { id: gid.patient(id), expectedVersion: 2, email: 'two@example.org' },
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      first: { name: 'Step One', version: 2 },
      second: { name: 'Step One', version: 3, email: 'two@example.org' },
    });
    expect(result.sqlCount).toBe(8);
  });
});

// ---------------------------------------------------------------------------
// deletePatient
// ---------------------------------------------------------------------------

describe('deletePatient', () => {
  /** A patient with `children` records and `children` selections (one per slot of a fresh event), and a bystander. */
  async function patientWithChildren(children: number) {
    const pool = gw.database.pool;
    const [patientId, bystanderId] = (await insertPatients(pool, [{ name: 'Doomed' }, { name: 'Bystander' }])) as [
      number,
      number,
    ];
    await insertRecords(
      pool,
      Array.from({ length: children }, () => ({ patientId })),
    );
    await insertRecords(pool, [{ patientId: bystanderId, diagnosis: 'Stays' }]);
    // 1 slot, or 1,000 slots as 10 days of 100.
    const event = await newEvent(children === 1 ? { days: 1, slotsPerDay: 1 } : { days: children / 100, slotsPerDay: 100 });
    await insertSelections(
      pool,
      event.scheduleIds.slice(0, children).map((scheduleId) => ({ patientId, scheduleId, eventId: event.eventId })),
    );
    await insertSelections(pool, [{ patientId: bystanderId, scheduleId: event.scheduleIds[0]!, eventId: event.eventId }]);
    return { patientId, bystanderId, event };
  }

  async function deleteAndCount(children: number): Promise<number> {
    const { patientId, bystanderId, event } = await patientWithChildren(children);
    expect(await countRows('medical_records', 'patient_id = ?', [patientId])).toBe(children);
    expect(await countRows('selections', 'patient_id = ?', [patientId])).toBe(children);

    const result = await gw.run(DELETE_PATIENT, { id: gid.patient(patientId) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deletePatient: gid.patient(patientId) });
    expect(await patientRow(patientId)).toBeUndefined();
    expect(await countRows('medical_records', 'patient_id = ?', [patientId])).toBe(0);
    expect(await countRows('selections', 'patient_id = ?', [patientId])).toBe(0);
    // Nobody else's rows go with it; the event and its slots stay.
    expect(await patientRow(bystanderId)).toBeDefined();
    expect(await countRows('medical_records', 'patient_id = ?', [bystanderId])).toBe(1);
    expect(await countRows('selections', 'patient_id = ?', [bystanderId])).toBe(1);
    expect(await countRows('schedules', 'event_id = ?', [event.eventId])).toBe(event.scheduleIds.length);
    return result.sqlCount;
  }

  test('deletes the patient with all records and selections in the same number of statements for 1 and 1,000 children', async () => {
    const one = await deleteAndCount(1);
    const thousand = await deleteAndCount(1000);
    console.log(`deletePatient: 1 child → ${one} statements, 1000 children → ${thousand}`);
    // BEGIN, SELECT … FOR UPDATE the picked slots (cache tags), DELETE selections, DELETE records, DELETE patient, COMMIT.
    expect(one).toBe(6);
    expect(thousand).toBe(one);
  });

  test('deletes a patient that has no records or selections', async () => {
    const id = await newPatient();
    const result = await gw.run(DELETE_PATIENT, { id: gid.patient(id) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deletePatient: gid.patient(id) });
    expect(await patientRow(id)).toBeUndefined();
    expect(result.sqlCount).toBe(6);
  });

  test('fails with NOT_FOUND for a patient that does not exist, changing nothing', async () => {
    const before = await databaseState();
    const result = await gw.run(DELETE_PATIENT, { id: gid.patient(MISSING_ROW) });
    expect(errorOf(result).extensions?.code).toBe('NOT_FOUND');
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test('refuses a Record id or a malformed id with BAD_USER_INPUT before any SQL', async () => {
    const id = await newPatient();
    const [recordId] = await insertRecords(gw.database.pool, [{ patientId: id }]);
    const wrongType = await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_PATIENT, { id: gid.record(recordId!) });
    expect(wrongType.message).toMatch(/must be a Patient id, got a MedicalRecord id/);
    await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_PATIENT, { id: MALFORMED_ID });
  });
});

// ---------------------------------------------------------------------------
// createRecord
// ---------------------------------------------------------------------------

describe('createRecord', () => {
  test('records the calling clinician as the author, trims the diagnosis and defaults the status to PENDING', async () => {
    const patientId = await newPatient();
    const result = await gw.run(
      CREATE_RECORD,
      { input: { patientId: gid.patient(patientId), diagnosis: '  Bronchitis ', treatment: 'Tea', notes: 'Mild' } },
      { as: 'clinician' },
    );
    expect(result.errors).toBeUndefined();
    const created = result.data!.createRecord;
    const rowId = rowIdOf(created.id);
    const stored = (await recordRow(rowId))!;
    expect(stored).toEqual({
      id: rowId,
      patientId,
      authorId: clinicianOne,
      diagnosis: 'Bronchitis',
      treatment: 'Tea',
      notes: 'Mild',
      status: 'PENDING',
      createdAt: stored.createdAt,
      updatedAt: stored.createdAt,
      version: 1,
    });
    expect(created).toEqual({
      id: gid.record(rowId),
      diagnosis: 'Bronchitis',
      treatment: 'Tea',
      notes: 'Mild',
      status: 'PENDING',
      createdAt: stored.createdAt,
      updatedAt: stored.createdAt,
      version: 1,
      patient: { id: gid.patient(patientId) },
      author: { id: gid.clinician(clinicianOne), name: 'Dr. Ada Byron' },
    });
    // INSERT, the patient, the author.
    // The token's clinician, looked up before the write (it must exist): then the same loader answers `author`.
    expect(result.sqlCount).toBe(4);
  });

  test('records the clinician of the token, whichever clinician it is', async () => {
    const patientId = await newPatient();
    const [, clinicianTwo] = (await selectRows<{ id: number }>('SELECT id FROM clinicians ORDER BY id')).map((row) => row.id);
    const result = await gw.run(
      CREATE_RECORD,
      { input: { patientId: gid.patient(patientId), diagnosis: 'Cough' } },
      { as: { clinicianId: clinicianTwo! } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.createRecord.author).toEqual({ id: gid.clinician(clinicianTwo!), name: 'Dr. Ben Carter' });
  });

  test('leaves the author null when an admin writes the record', async () => {
    const patientId = await newPatient();
    const result = await gw.run(CREATE_RECORD, {
      input: { patientId: gid.patient(patientId), diagnosis: 'Sprain', status: 'ACTIVE' },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createRecord).toMatchObject({ diagnosis: 'Sprain', status: 'ACTIVE', treatment: null, notes: null, author: null });
    const rowId = rowIdOf(result.data!.createRecord.id);
    expect(await recordRow(rowId)).toMatchObject({ patientId, authorId: null, status: 'ACTIVE' });
    // INSERT, the patient; no author to load.
    expect(result.sqlCount).toBe(2);
  });

  test('returns the patient with counts that include the new record (loaders see the write)', async () => {
    const patientId = await newPatient();
    await insertRecords(gw.database.pool, [{ patientId, diagnosis: 'Existing' }]);
    const result = await gw.run(
      `mutation ($input: CreateRecordInput!) {
        createRecord(input: $input) { diagnosis patient { recordCount records { totalCount nodes { diagnosis } } } }
      }`,
      { input: { patientId: gid.patient(patientId), diagnosis: 'Brand new' } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      createRecord: {
        diagnosis: 'Brand new',
        patient: { recordCount: 2, records: { totalCount: 2, nodes: [{ diagnosis: 'Brand new' }, { diagnosis: 'Existing' }] } },
      },
    });
    // INSERT, the patient, the records page, the record count.
    expect(result.sqlCount).toBe(4);
  });

  test('counts every record created earlier in the same operation', async () => {
    const patientId = await newPatient();
    const result = await gw.run(
      `mutation ($first: CreateRecordInput!, $second: CreateRecordInput!) {
        first: createRecord(input: $first) { patient { recordCount } }
        second: createRecord(input: $second) { patient { recordCount records { totalCount } } }
      }`,
      {
        first: { patientId: gid.patient(patientId), diagnosis: 'One' },
        second: { patientId: gid.patient(patientId), diagnosis: 'Two' },
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      first: { patient: { recordCount: 1 } },
      second: { patient: { recordCount: 2, records: { totalCount: 2 } } },
    });
  });

  test('fails with NOT_FOUND for a patient that does not exist, writing nothing', async () => {
    const before = await databaseState();
    const result = await gw.run(CREATE_RECORD, { input: { patientId: gid.patient(MISSING_ROW), diagnosis: 'Orphan' } });
    expect(errorOf(result).extensions?.code).toBe('NOT_FOUND');
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test.each([
    ['an empty diagnosis', { diagnosis: '' }, 'input.diagnosis'],
    ['a whitespace-only diagnosis', { diagnosis: ' \n ' }, 'input.diagnosis'],
    ['a 2001-character diagnosis', { diagnosis: 'd'.repeat(2001) }, 'input.diagnosis'],
    ['20,001 characters of notes', { notes: 'n'.repeat(20_001) }, 'input.notes'],
    ['status: null', { status: null }, 'input.status'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_case, override, field) => {
    const patientId = await newPatient();
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_RECORD, {
      input: { patientId: gid.patient(patientId), diagnosis: 'Valid', ...override },
    });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  });

  test('accepts a 2000-character diagnosis and 20,000 characters of notes', async () => {
    const patientId = await newPatient();
    const result = await gw.run(CREATE_RECORD, {
      input: { patientId: gid.patient(patientId), diagnosis: 'd'.repeat(2000), notes: 'n'.repeat(20_000) },
    });
    expect(result.errors).toBeUndefined();
    const rowId = rowIdOf(result.data!.createRecord.id);
    const stored = (await recordRow(rowId))!;
    expect(stored.diagnosis).toHaveLength(2000);
    expect(stored.notes).toHaveLength(20_000);
  });

  test.each([
    ['an Event id', () => gid.event(1), /must be a Patient id, got an Event id/],
    ['a malformed id', () => MALFORMED_ID, /not a valid global id/],
  ])('refuses %s as patientId with BAD_USER_INPUT before any SQL', async (_case, makeId, message) => {
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_RECORD, {
      input: { patientId: makeId(), diagnosis: 'Valid' },
    });
    expect(error.message).toMatch(message);
    expect(error.message).toContain('input.patientId');
  });
});

// ---------------------------------------------------------------------------
// updateRecord
// ---------------------------------------------------------------------------

describe('updateRecord', () => {
  async function newRecord() {
    const patientId = await newPatient();
    const [recordId] = await insertRecords(gw.database.pool, [
      { patientId, authorId: clinicianOne, diagnosis: 'Initial', status: 'PENDING' },
    ]);
    return { patientId, recordId: recordId! };
  }

  test('updates with the right expectedVersion: version + 1, new updatedAt, same createdAt, other fields kept', async () => {
    const { patientId, recordId } = await newRecord();
    const before = (await recordRow(recordId))!;
    const result = await gw.run(
      UPDATE_RECORD,
      { input: { id: gid.record(recordId), expectedVersion: 1, status: 'ACTIVE', notes: '  Seen today ' } },
      { as: 'clinician' },
    );
    expect(result.errors).toBeUndefined();
    const after = (await recordRow(recordId))!;
    expect(after).toEqual({ ...before, status: 'ACTIVE', notes: 'Seen today', version: 2, updatedAt: after.updatedAt });
    expect(after.updatedAt).not.toBe(before.updatedAt);
    expect(after.patientId).toBe(patientId);
    expect(result.data).toEqual({
      updateRecord: {
        id: gid.record(recordId),
        diagnosis: 'Initial',
        treatment: 'Rest',
        notes: 'Seen today',
        status: 'ACTIVE',
        createdAt: before.createdAt,
        updatedAt: after.updatedAt,
        version: 2,
      },
    });
    expect(result.sqlCount).toBe(5); // the token's clinician (it must exist to write), BEGIN, UPDATE, SELECT, COMMIT

    const again = await gw.run(UPDATE_RECORD, {
      input: { id: gid.record(recordId), expectedVersion: 2, diagnosis: ' Confirmed ', treatment: null },
    });
    expect(again.errors).toBeUndefined();
    expect(again.data!.updateRecord).toMatchObject({
      diagnosis: 'Confirmed',
      treatment: null,
      notes: 'Seen today',
      status: 'ACTIVE',
      createdAt: before.createdAt,
      version: 3,
    });
    expect(await recordRow(recordId)).toMatchObject({ diagnosis: 'Confirmed', treatment: null, authorId: clinicianOne, version: 3 });
  });

  test('fails with CONFLICT and the current version when expectedVersion is stale, changing nothing', async () => {
    const { recordId } = await newRecord();
    await gw.run(UPDATE_RECORD, { input: { id: gid.record(recordId), expectedVersion: 1, status: 'CLOSED' } });
    const before = await databaseState();
    const result = await gw.run(UPDATE_RECORD, { input: { id: gid.record(recordId), expectedVersion: 1, status: 'ACTIVE' } });
    const error = errorOf(result);
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.extensions?.currentVersion).toBe(2);
    expect(result.data).toBeNull();
    expect(result.sqlCount).toBe(4);
    expect(await databaseState()).toEqual(before);
  });

  test('fails with NOT_FOUND for a record that does not exist', async () => {
    const before = await databaseState();
    const result = await gw.run(UPDATE_RECORD, { input: { id: gid.record(MISSING_ROW), expectedVersion: 1, status: 'CLOSED' } });
    expect(errorOf(result).extensions?.code).toBe('NOT_FOUND');
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test.each([
    ['diagnosis: null', { diagnosis: null }, 'input.diagnosis'],
    ['a whitespace-only diagnosis', { diagnosis: '   ' }, 'input.diagnosis'],
    ['a 2001-character diagnosis', { diagnosis: 'd'.repeat(2001) }, 'input.diagnosis'],
    ['20,001 characters of notes', { notes: 'n'.repeat(20_001) }, 'input.notes'],
    ['status: null', { status: null }, 'input.status'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_case, override, field) => {
    const { recordId } = await newRecord();
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', UPDATE_RECORD, {
      input: { id: gid.record(recordId), expectedVersion: 1, ...override },
    });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
  });

  test('refuses a Patient id as the record id with BAD_USER_INPUT before any SQL', async () => {
    const { patientId } = await newRecord();
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', UPDATE_RECORD, {
      input: { id: gid.patient(patientId), expectedVersion: 1, status: 'CLOSED' },
    });
    expect(error.message).toMatch(/must be a MedicalRecord id, got a Patient id/);
  });
});

// ---------------------------------------------------------------------------
// deleteRecords
// ---------------------------------------------------------------------------

describe('deleteRecords', () => {
  test('returns only the ids that existed, in input order, and deletes exactly those', async () => {
    const patientId = await newPatient();
    const [first, second, third, untouched] = (await insertRecords(gw.database.pool, [
      { patientId },
      { patientId },
      { patientId },
      { patientId, diagnosis: 'Untouched' },
    ])) as [number, number, number, number];
    const result = await gw.run(DELETE_RECORDS, {
      ids: [gid.record(third), gid.record(MISSING_ROW), gid.record(first), gid.record(second)],
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deleteRecords: [gid.record(third), gid.record(first), gid.record(second)] });
    expect(await recordRow(first)).toBeUndefined();
    expect(await recordRow(second)).toBeUndefined();
    expect(await recordRow(third)).toBeUndefined();
    expect(await recordRow(untouched)).toMatchObject({ diagnosis: 'Untouched' });
    // BEGIN, SELECT … FOR UPDATE (which exist), DELETE … WHERE id IN (…), COMMIT.
    expect(result.sqlCount).toBe(4);
  });

  test('deletes 1 and 1,000 records in the same number of statements', async () => {
    const patientId = await newPatient();
    const ids = await insertRecords(gw.database.pool, Array.from({ length: 1001 }, () => ({ patientId })));
    const [single, ...thousand] = ids as [number, ...number[]];

    const one = await gw.run(DELETE_RECORDS, { ids: [gid.record(single)] });
    expect(one.errors).toBeUndefined();
    expect(one.data).toEqual({ deleteRecords: [gid.record(single)] });

    const many = await gw.run(DELETE_RECORDS, { ids: thousand.map(gid.record) });
    expect(many.errors).toBeUndefined();
    expect(many.data!.deleteRecords).toEqual(thousand.map(gid.record));
    expect(await countRows('medical_records', 'patient_id = ?', [patientId])).toBe(0);

    console.log(`deleteRecords: 1 id → ${one.sqlCount} statements, 1000 ids → ${many.sqlCount}`);
    expect(one.sqlCount).toBe(4);
    expect(many.sqlCount).toBe(one.sqlCount);
  });

  test('returns an empty list when none of the ids exist, deleting nothing', async () => {
    const before = await databaseState();
    const result = await gw.run(DELETE_RECORDS, { ids: [gid.record(MISSING_ROW)] });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deleteRecords: [] });
    expect(await databaseState()).toEqual(before);
  });

  test('returns an empty list for an empty input without any SQL', async () => {
    const result = await gw.run(DELETE_RECORDS, { ids: [] });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deleteRecords: [] });
    expect(result.sqlCount).toBe(0);
  });

  test('refuses more than 1,000 ids with BAD_USER_INPUT, deleting nothing', async () => {
    const patientId = await newPatient();
    const [existing] = await insertRecords(gw.database.pool, [{ patientId }]);
    const ids = [gid.record(existing!), ...Array.from({ length: 1000 }, (_, index) => gid.record(MISSING_ROW + index))];
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_RECORDS, { ids });
    expect(error.extensions?.field).toBe('ids');
    expect(await recordRow(existing!)).toBeDefined();
  });

  test('refuses a list holding a Patient id or a malformed id with BAD_USER_INPUT, deleting nothing', async () => {
    const patientId = await newPatient();
    const [existing] = await insertRecords(gw.database.pool, [{ patientId }]);
    const wrongType = await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_RECORDS, {
      ids: [gid.record(existing!), gid.patient(patientId)],
    });
    expect(wrongType.message).toMatch(/ids\[1\].*must be a MedicalRecord id, got a Patient id/);
    await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_RECORDS, { ids: [gid.record(existing!), MALFORMED_ID] });
  });

  test('is seen by a later field of the same operation', async () => {
    const patientId = await newPatient();
    const [gone, stays] = (await insertRecords(gw.database.pool, [
      { patientId, diagnosis: 'Gone' },
      { patientId, diagnosis: 'Stays' },
    ])) as [number, number];
    const result = await gw.run(
      `mutation ($ids: [ID!]!, $before: UpdatePatientInput!, $after: UpdatePatientInput!) {
        before: updatePatient(input: $before) { recordCount records { nodes { id } } }
        deleteRecords(ids: $ids)
        after: updatePatient(input: $after) { recordCount records { nodes { id diagnosis } } }
      }`,
      {
        ids: [gid.record(gone)],
        before: { id: gid.patient(patientId), expectedVersion: 1 },
        after: { id: gid.patient(patientId), expectedVersion: 2 },
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      before: { recordCount: 2, records: { nodes: [{ id: gid.record(stays) }, { id: gid.record(gone) }] } },
      deleteRecords: [gid.record(gone)],
      after: { recordCount: 1, records: { nodes: [{ id: gid.record(stays), diagnosis: 'Stays' }] } },
    });
  });
});

// ---------------------------------------------------------------------------
// createEvent
// ---------------------------------------------------------------------------

describe('createEvent', () => {
  async function storedSlots(eventId: number) {
    return selectRows<{ date: string; day: string; time: string }>(
      `SELECT DATE_FORMAT(date, '%Y-%m-%d') AS date, day, CAST(time AS CHAR) AS time
         FROM schedules WHERE event_id = ? ORDER BY date, time`,
      [eventId],
    );
  }

  test('inserts the event and its slots with the weekday derived from the date; the clinician is the organizer', async () => {
    const result = await gw.run(
      CREATE_EVENT,
      {
        input: {
          title: '  Flu shots ',
          description: 'Bring your card',
          slots: [
            { date: '2026-12-13', time: '09:30' },
            { date: '2026-12-07', time: '14:00:00' },
            { date: '2026-12-07', time: '09:00' },
            { date: '2026-12-12', time: '10:15:30' },
            { date: '2027-01-01', time: '08:00' },
          ],
        },
      },
      { as: 'clinician' },
    );
    expect(result.errors).toBeUndefined();
    const created = result.data!.createEvent;
    expect(created).toEqual({
      id: created.id,
      title: 'Flu shots',
      description: 'Bring your card',
      version: 1,
      organizer: { id: gid.clinician(clinicianOne) },
      schedules: [
        { date: '2026-12-07', day: 'MONDAY', time: '09:00' },
        { date: '2026-12-07', day: 'MONDAY', time: '14:00' },
        { date: '2026-12-12', day: 'SATURDAY', time: '10:15:30' },
        { date: '2026-12-13', day: 'SUNDAY', time: '09:30' },
        { date: '2027-01-01', day: 'FRIDAY', time: '08:00' },
      ],
    });
    const eventId = rowIdOf(created.id);
    const [event] = await selectRows('SELECT title, description, organizer_id AS organizerId, version FROM events WHERE id = ?', [eventId]);
    expect(event).toEqual({ title: 'Flu shots', description: 'Bring your card', organizerId: clinicianOne, version: 1 });
    expect(await storedSlots(eventId)).toEqual([
      { date: '2026-12-07', day: 'MONDAY', time: '09:00:00' },
      { date: '2026-12-07', day: 'MONDAY', time: '14:00:00' },
      { date: '2026-12-12', day: 'SATURDAY', time: '10:15:30' },
      { date: '2026-12-13', day: 'SUNDAY', time: '09:30:00' },
      { date: '2027-01-01', day: 'FRIDAY', time: '08:00:00' },
    ]);
    // BEGIN, INSERT event, one multi-row INSERT of the slots, COMMIT; then the organizer and the schedules.
    // The clinician the token names (FORBIDDEN if unknown), then as before.
    expect(result.sqlCount).toBe(7);
  });

  test('leaves the organizer null when an admin creates the event', async () => {
    const result = await gw.run(CREATE_EVENT, {
      input: { title: 'Admin day', slots: [{ date: '2026-12-24', time: '12:00' }] },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createEvent).toMatchObject({
      title: 'Admin day',
      description: null,
      organizer: null,
      schedules: [{ date: '2026-12-24', day: 'THURSDAY', time: '12:00' }],
    });
    const [event] = await selectRows('SELECT organizer_id AS organizerId FROM events WHERE id = ?', [
      rowIdOf(result.data!.createEvent.id),
    ]);
    expect(event).toEqual({ organizerId: null });
    // BEGIN, INSERT event, INSERT slots, COMMIT, the schedules (no organizer to load).
    expect(result.sqlCount).toBe(5);
  });

  test('inserts 1 and 1,000 slots in the same number of statements', async () => {
    const slotsFor = (count: number) =>
      Array.from({ length: count }, (_, index) => {
        const date = new Date(Date.UTC(2027, 0, 4) + Math.floor(index / 100) * 86_400_000).toISOString().slice(0, 10);
        const minutes = 6 * 60 + (index % 100) * 10;
        return { date, time: `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}` };
      });
    const onlyId = `mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title } }`;
    const one = await gw.run(onlyId, { input: { title: 'One slot', slots: slotsFor(1) } });
    const thousand = await gw.run(onlyId, { input: { title: 'Thousand slots', slots: slotsFor(1000) } });
    expect(one.errors).toBeUndefined();
    expect(thousand.errors).toBeUndefined();
    expect(await countRows('schedules', 'event_id = ?', [rowIdOf(one.data!.createEvent.id)])).toBe(1);
    const stored = await storedSlots(rowIdOf(thousand.data!.createEvent.id));
    expect(stored).toHaveLength(1000);
    // 2027-01-04 is a Monday; slots 100..199 fall on the Tuesday, 900..999 on Wednesday 2027-01-13.
    expect(stored[0]).toEqual({ date: '2027-01-04', day: 'MONDAY', time: '06:00:00' });
    expect(stored[150]).toEqual({ date: '2027-01-05', day: 'TUESDAY', time: '14:20:00' });
    expect(stored[999]).toEqual({ date: '2027-01-13', day: 'WEDNESDAY', time: '22:30:00' });
    console.log(`createEvent: 1 slot → ${one.sqlCount} statements, 1000 slots → ${thousand.sqlCount}`);
    expect(one.sqlCount).toBe(4);
    expect(thousand.sqlCount).toBe(4);
  });

  test.each([
    ['the same time twice', ['09:00', '10:00', '09:00'], 'input.slots[2]'],
    ['"09:00" and "09:00:00"', ['09:00', '09:00:00'], 'input.slots[1]'],
  ])('refuses duplicate slots (%s) with BAD_USER_INPUT, writing nothing', async (_case, times, field) => {
    const slots = times.map((time) => ({ date: '2026-12-07', time }));
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_EVENT, { input: { title: 'Twice', slots } });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toMatch(/distinct/);
  });

  test('accepts the same time on two different dates', async () => {
    const result = await gw.run(CREATE_EVENT, {
      input: { title: 'Two days', slots: [{ date: '2026-12-07', time: '09:00' }, { date: '2026-12-08', time: '09:00' }] },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createEvent.schedules).toEqual([
      { date: '2026-12-07', day: 'MONDAY', time: '09:00' },
      { date: '2026-12-08', day: 'TUESDAY', time: '09:00' },
    ]);
  });

  test.each([
    ['no slots', 0],
    ['1,001 slots', 1001],
  ])('refuses %s with BAD_USER_INPUT, writing nothing', async (_case, count) => {
    const slots = Array.from({ length: count }, (_, index) => ({
      date: new Date(Date.UTC(2027, 1, 1) + Math.floor(index / 60) * 86_400_000).toISOString().slice(0, 10),
      time: `10:${String(index % 60).padStart(2, '0')}`,
    }));
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_EVENT, { input: { title: 'Bounds', slots } });
    expect(error.extensions?.field).toBe('input.slots');
    expect(error.message).toContain('1..1000');
  });

  test.each([
    ['a whitespace-only title', { title: '   ' }, 'input.title'],
    ['a 201-character title', { title: 't'.repeat(201) }, 'input.title'],
  ])('refuses %s with BAD_USER_INPUT naming the field, writing nothing', async (_case, override, field) => {
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', CREATE_EVENT, {
      input: { ...{ title: 'Valid', slots: [{ date: '2026-12-07', time: '09:00' }] }, ...override },
    });
    expect(error.extensions?.field).toBe(field);
  });
});

// ---------------------------------------------------------------------------
// deleteEvent
// ---------------------------------------------------------------------------

describe('deleteEvent', () => {
  async function deleteAndCount(children: number): Promise<number> {
    const pool = gw.database.pool;
    const [patientId] = (await insertPatients(pool, [{ name: 'Participant' }])) as [number];
    const doomed = await newEvent(children === 1 ? { days: 1, slotsPerDay: 1 } : { days: children / 100, slotsPerDay: 100 });
    const bystander = await newEvent({ days: 1, slotsPerDay: 1 });
    await insertSelections(pool, [
      ...doomed.scheduleIds.map((scheduleId) => ({ patientId, scheduleId, eventId: doomed.eventId })),
      { patientId, scheduleId: bystander.scheduleIds[0]!, eventId: bystander.eventId },
    ]);
    expect(await countRows('schedules', 'event_id = ?', [doomed.eventId])).toBe(children);
    expect(await countRows('selections', 'event_id = ?', [doomed.eventId])).toBe(children);

    const result = await gw.run(DELETE_EVENT, { id: gid.event(doomed.eventId) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ deleteEvent: gid.event(doomed.eventId) });
    expect(await countRows('events', 'id = ?', [doomed.eventId])).toBe(0);
    expect(await countRows('schedules', 'event_id = ?', [doomed.eventId])).toBe(0);
    expect(await countRows('selections', 'event_id = ?', [doomed.eventId])).toBe(0);
    // The other event, its slot, the patient's selection there and the patient stay.
    expect(await countRows('events', 'id = ?', [bystander.eventId])).toBe(1);
    expect(await countRows('schedules', 'event_id = ?', [bystander.eventId])).toBe(1);
    expect(await countRows('selections', 'event_id = ?', [bystander.eventId])).toBe(1);
    expect(await patientRow(patientId)).toBeDefined();
    return result.sqlCount;
  }

  test('deletes the event with its schedules and selections in the same number of statements for 1 and 1,000 slots', async () => {
    const one = await deleteAndCount(1);
    const thousand = await deleteAndCount(1000);
    console.log(`deleteEvent: 1 slot + 1 selection → ${one} statements, 1000 slots + 1000 selections → ${thousand}`);
    // BEGIN, SELECT … FOR UPDATE slots and participants (cache tags), DELETE selections, DELETE schedules,
    // DELETE event, COMMIT.
    expect(one).toBe(7);
    expect(thousand).toBe(one);
  });

  test('fails with NOT_FOUND for an event that does not exist, changing nothing', async () => {
    const before = await databaseState();
    const result = await gw.run(DELETE_EVENT, { id: gid.event(MISSING_ROW) });
    expect(errorOf(result).extensions?.code).toBe('NOT_FOUND');
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test('refuses a Schedule id or a malformed id with BAD_USER_INPUT before any SQL', async () => {
    const event = await newEvent({ days: 1, slotsPerDay: 1 });
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_EVENT, { id: gid.schedule(event.scheduleIds[0]!) });
    expect(error.message).toMatch(/must be an Event id, got a Schedule id/);
    await expectRejectedWithoutSql('BAD_USER_INPUT', DELETE_EVENT, { id: MALFORMED_ID });
  });
});

// ---------------------------------------------------------------------------
// setSelections
// ---------------------------------------------------------------------------

describe('setSelections', () => {
  /** The `input` of setSelections from row ids. */
  const selectionsInput = (patientId: number, eventId: number, scheduleIds: number[]) => ({
    eventId: gid.event(eventId),
    patientId: gid.patient(patientId),
    scheduleIds: scheduleIds.map(gid.schedule),
  });

  /** A patient with selections on slots 0 and 1 of a fresh 4-slot event (slots in date/time order). */
  async function patientWithTwoPicks() {
    const patientId = await newPatient();
    const event = await newEvent({ days: 2, slotsPerDay: 2 });
    const slots = event.scheduleIds as [number, number, number, number];
    const [pickZero, pickOne] = (await insertSelections(gw.database.pool, [
      { patientId, scheduleId: slots[0], eventId: event.eventId },
      { patientId, scheduleId: slots[1], eventId: event.eventId },
    ])) as [number, number];
    return { patientId, eventId: event.eventId, slots, pickZero, pickOne };
  }

  test('replaces the choice: drops what is gone, adds what is new, keeps unchanged rows and their ids', async () => {
    const { patientId, eventId, slots, pickOne } = await patientWithTwoPicks();
    const result = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(patientId, eventId, [slots[3], slots[1]]),
    });
    expect(result.errors).toBeUndefined();
    const stored = await selectionRows(patientId, eventId);
    expect(stored.map((row) => row.scheduleId)).toEqual([slots[1], slots[3]]);
    expect(stored[0]!.id).toBe(pickOne); // the unchanged pick keeps its row
    const added = stored[1]!.id;
    expect(result.data).toEqual({
      setSelections: [
        {
          id: gid.selection(pickOne),
          patient: { id: gid.patient(patientId) },
          schedule: { id: gid.schedule(slots[1]), date: '2026-12-07', time: '07:15' },
        },
        {
          id: gid.selection(added),
          patient: { id: gid.patient(patientId) },
          schedule: { id: gid.schedule(slots[3]), date: '2026-12-08', time: '07:15' },
        },
      ],
    });
    // BEGIN, lock the patient, check the event, check the schedules' event, read the current picks,
    // DELETE the dropped, INSERT the new, COMMIT; then the selections, their patient and their schedules.
    expect(result.sqlCount).toBe(11);
  });

  test('lets patients set their own selections', async () => {
    const { patientId, eventId, slots, pickZero } = await patientWithTwoPicks();
    const result = await gw.run(
      SET_SELECTIONS,
      { input: selectionsInput(patientId, eventId, [slots[0]]) },
      { as: { patientId } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.setSelections.map((selection: any) => selection.id)).toEqual([gid.selection(pickZero)]);
    expect(await selectionRows(patientId, eventId)).toEqual([{ id: pickZero, scheduleId: slots[0] }]);
  });

  test('returns the list ordered by schedule date and time, whatever the input order, and tolerates duplicates', async () => {
    const patientId = await newPatient();
    const event = await newEvent({ days: 3, slotsPerDay: 2 });
    const slots = event.scheduleIds;
    const chosen = [slots[5]!, slots[0]!, slots[3]!, slots[0]!, slots[5]!];
    const result = await gw.run(
      `mutation ($input: SetSelectionsInput!) { setSelections(input: $input) { schedule { id date time } } }`,
      { input: { eventId: gid.event(event.eventId), patientId: gid.patient(patientId), scheduleIds: chosen.map(gid.schedule) } },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.setSelections).toEqual([
      { schedule: { id: gid.schedule(slots[0]!), date: '2026-12-07', time: '07:00' } },
      { schedule: { id: gid.schedule(slots[3]!), date: '2026-12-08', time: '07:15' } },
      { schedule: { id: gid.schedule(slots[5]!), date: '2026-12-09', time: '07:15' } },
    ]);
    expect((await selectionRows(patientId, event.eventId)).map((row) => row.scheduleId)).toEqual([slots[0], slots[3], slots[5]]);
  });

  test('changes nothing and keeps every id when the same choice is sent again', async () => {
    const { patientId, eventId, slots, pickZero, pickOne } = await patientWithTwoPicks();
    const result = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(patientId, eventId, [slots[1], slots[0]]),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.setSelections.map((selection: any) => selection.id)).toEqual([gid.selection(pickZero), gid.selection(pickOne)]);
    expect(await selectionRows(patientId, eventId)).toEqual([
      { id: pickZero, scheduleId: slots[0] },
      { id: pickOne, scheduleId: slots[1] },
    ]);
    // BEGIN, lock, event, schedules' event, current picks, COMMIT; then selections, patient, schedules.
    expect(result.sqlCount).toBe(9);
  });

  test('clears the choice with an empty list, leaving other events and patients alone', async () => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const otherPatient = await newPatient();
    const otherEvent = await newEvent({ days: 1, slotsPerDay: 1 });
    await insertSelections(gw.database.pool, [
      { patientId: otherPatient, scheduleId: slots[0], eventId },
      { patientId, scheduleId: otherEvent.scheduleIds[0]!, eventId: otherEvent.eventId },
    ]);
    const result = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(patientId, eventId, []),
    });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ setSelections: [] });
    expect(await selectionRows(patientId, eventId)).toEqual([]);
    expect(await selectionRows(otherPatient, eventId)).toHaveLength(1);
    expect(await selectionRows(patientId, otherEvent.eventId)).toHaveLength(1);
    // BEGIN, lock, event, current picks, DELETE, COMMIT; then the (empty) selections.
    expect(result.sqlCount).toBe(7);
  });

  test('returns schedule selectionCount values that include the new choice (loaders see the write)', async () => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const neighbour = await newPatient();
    await insertSelections(gw.database.pool, [
      { patientId: neighbour, scheduleId: slots[1], eventId },
      { patientId: neighbour, scheduleId: slots[2], eventId },
    ]);
    const result = await gw.run(
      `mutation ($input: SetSelectionsInput!) {
        setSelections(input: $input) { schedule { id selectionCount event { participantCount } } }
      }`,
      { input: selectionsInput(patientId, eventId, [slots[1], slots[2]]) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.setSelections).toEqual([
      { schedule: { id: gid.schedule(slots[1]), selectionCount: 2, event: { participantCount: 2 } } },
      { schedule: { id: gid.schedule(slots[2]), selectionCount: 2, event: { participantCount: 2 } } },
    ]);
    const [slotZero] = await selectRows<{ total: number }>('SELECT COUNT(*) AS total FROM selections WHERE schedule_id = ?', [slots[0]]);
    expect(Number(slotZero!.total)).toBe(0);
  });

  test('reflects, in a later field of the same operation, the counts an earlier setSelections changed', async () => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const neighbour = await newPatient();
    const counts = `schedule { id selectionCount }`;
    const result = await gw.run(
      `mutation ($mine: SetSelectionsInput!, $theirs: SetSelectionsInput!) {
        mine: setSelections(input: $mine) { ${counts} }
        theirs: setSelections(input: $theirs) { ${counts} }
      }`,
      {
        mine: selectionsInput(patientId, eventId, [slots[2]]),
        theirs: selectionsInput(neighbour, eventId, [slots[2]]),
      },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      mine: [{ schedule: { id: gid.schedule(slots[2]), selectionCount: 1 } }],
      theirs: [{ schedule: { id: gid.schedule(slots[2]), selectionCount: 2 } }],
    });
  });

  test('replaces 1 and 1,000 picks in the same number of statements', async () => {
    const patientId = await newPatient();
    const event = await newEvent({ days: 20, slotsPerDay: 100 });
    const firstHalf = event.scheduleIds.slice(0, 1000);
    const secondHalf = event.scheduleIds.slice(1000);
    const input = (scheduleIds: number[]) => ({
      input: { eventId: gid.event(event.eventId), patientId: gid.patient(patientId), scheduleIds: scheduleIds.map(gid.schedule) },
    });
    const onlyIds = `mutation ($input: SetSelectionsInput!) { setSelections(input: $input) { id } }`;

    await insertSelections(gw.database.pool, [{ patientId, scheduleId: firstHalf[0]!, eventId: event.eventId }]);
    const one = await gw.run(onlyIds, input([secondHalf[0]!]));
    expect(one.errors).toBeUndefined();
    expect(one.data!.setSelections).toHaveLength(1);

    await gw.run(onlyIds, input(firstHalf));
    const thousand = await gw.run(onlyIds, input(secondHalf));
    expect(thousand.errors).toBeUndefined();
    expect(thousand.data!.setSelections).toHaveLength(1000);
    expect((await selectionRows(patientId, event.eventId)).map((row) => row.scheduleId)).toEqual(secondHalf);

    console.log(`setSelections: 1 pick replaced → ${one.sqlCount} statements, 1000 picks replaced → ${thousand.sqlCount}`);
    expect(one.sqlCount).toBe(9);
    expect(thousand.sqlCount).toBe(one.sqlCount);
  });

  test('refuses schedule ids of another event with BAD_USER_INPUT, changing nothing', async () => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const otherEvent = await newEvent({ days: 1, slotsPerDay: 2 });
    const before = await databaseState();
    const result = await gw.run(SET_SELECTIONS, {
      input: {
        eventId: gid.event(eventId),
        patientId: gid.patient(patientId),
        scheduleIds: [gid.schedule(slots[2]), gid.schedule(otherEvent.scheduleIds[1]!)],
      },
    });
    const error = errorOf(result);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('input.scheduleIds');
    expect(error.extensions?.scheduleIds).toEqual([gid.schedule(otherEvent.scheduleIds[1]!)]);
    expect(result.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  test('refuses schedule ids that do not exist with BAD_USER_INPUT, changing nothing', async () => {
    const { patientId, eventId } = await patientWithTwoPicks();
    const before = await databaseState();
    const result = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(patientId, eventId, [MISSING_ROW]),
    });
    expect(errorOf(result).extensions?.code).toBe('BAD_USER_INPUT');
    expect(await databaseState()).toEqual(before);
  });

  test('fails with NOT_FOUND for an unknown patient or an unknown event, changing nothing', async () => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const before = await databaseState();
    const unknownPatient = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(MISSING_ROW, eventId, [slots[0]]),
    });
    expect(errorOf(unknownPatient).extensions?.code).toBe('NOT_FOUND');
    expect(unknownPatient.data).toBeNull();
    const unknownEvent = await gw.run(SET_SELECTIONS, {
      input: selectionsInput(patientId, MISSING_ROW, []),
    });
    expect(errorOf(unknownEvent).extensions?.code).toBe('NOT_FOUND');
    expect(unknownEvent.data).toBeNull();
    expect(await databaseState()).toEqual(before);
  });

  type InputIds = { patient: string; event: string; schedule: string };
  test.each([
    ['a Patient id as eventId', (ids: InputIds) => ({ eventId: ids.patient, patientId: ids.patient, scheduleIds: [] }), 'input.eventId'],
    ['an Event id as patientId', (ids: InputIds) => ({ eventId: ids.event, patientId: ids.event, scheduleIds: [] }), 'input.patientId'],
    [
      'an Event id among the schedule ids',
      (ids: InputIds) => ({ eventId: ids.event, patientId: ids.patient, scheduleIds: [ids.schedule, ids.event] }),
      'input.scheduleIds[1]',
    ],
    [
      'a malformed schedule id',
      (ids: InputIds) => ({ eventId: ids.event, patientId: ids.patient, scheduleIds: [MALFORMED_ID] }),
      'input.scheduleIds[0]',
    ],
  ])('refuses %s with BAD_USER_INPUT before any SQL', async (_case, makeInput, argument) => {
    const { patientId, eventId, slots } = await patientWithTwoPicks();
    const error = await expectRejectedWithoutSql('BAD_USER_INPUT', SET_SELECTIONS, {
      input: makeInput({ patient: gid.patient(patientId), event: gid.event(eventId), schedule: gid.schedule(slots[0]) }),
    });
    expect(error.message).toContain(argument);
  });
});

// ---------------------------------------------------------------------------
// Write access: who may run which mutation
// ---------------------------------------------------------------------------

describe('write access', () => {
  interface Fixture {
    patient: number;
    otherPatient: number;
    record: number;
    event: number;
    slot: number;
  }
  let fixture: Fixture;

  beforeAll(async () => {
    const pool = gw.database.pool;
    const [patient, otherPatient] = (await insertPatients(pool, [{ name: 'Guarded' }, { name: 'Other Guarded' }])) as [
      number,
      number,
    ];
    const [record] = (await insertRecords(pool, [{ patientId: patient, diagnosis: 'Guarded record' }])) as [number];
    const { eventId, scheduleIds } = await newEvent({ days: 1, slotsPerDay: 2 });
    await insertSelections(pool, [
      { patientId: patient, scheduleId: scheduleIds[0]!, eventId },
      { patientId: otherPatient, scheduleId: scheduleIds[0]!, eventId },
    ]);
    fixture = { patient, otherPatient, record, event: eventId, slot: scheduleIds[1]! };
  });

  type Case = [mutation: string, document: string, variables: (f: Fixture) => Record<string, unknown>];
  const mutations: Record<string, Case> = {
    createPatient: ['createPatient', CREATE_PATIENT, () => ({ input: { name: 'Intruder', birthDate: '1990-01-01' } })],
    updatePatient: [
      'updatePatient',
      UPDATE_PATIENT,
      (f) => ({ input: { id: gid.patient(f.patient), expectedVersion: 1, name: 'Hacked' } }),
    ],
    deletePatient: ['deletePatient', DELETE_PATIENT, (f) => ({ id: gid.patient(f.patient) })],
    createRecord: [
      'createRecord',
      CREATE_RECORD,
      (f) => ({ input: { patientId: gid.patient(f.patient), diagnosis: 'Self-diagnosed' } }),
    ],
    updateRecord: [
      'updateRecord',
      UPDATE_RECORD,
      (f) => ({ input: { id: gid.record(f.record), expectedVersion: 1, status: 'CLOSED' } }),
    ],
    deleteRecords: ['deleteRecords', DELETE_RECORDS, (f) => ({ ids: [gid.record(f.record)] })],
    createEvent: [
      'createEvent',
      CREATE_EVENT,
      () => ({ input: { title: 'Party', slots: [{ date: '2026-12-31', time: '23:00' }] } }),
    ],
    deleteEvent: ['deleteEvent', DELETE_EVENT, (f) => ({ id: gid.event(f.event) })],
    setSelectionsOwn: [
      'setSelections',
      SET_SELECTIONS,
      (f) => ({ input: { eventId: gid.event(f.event), patientId: gid.patient(f.patient), scheduleIds: [gid.schedule(f.slot)] } }),
    ],
    setSelectionsOther: [
      'setSelections',
      SET_SELECTIONS,
      (f) => ({
        input: { eventId: gid.event(f.event), patientId: gid.patient(f.otherPatient), scheduleIds: [gid.schedule(f.slot)] },
      }),
    ],
  };

  type Who = 'clinician' | 'patient' | 'nobody';
  const refusals: [Who, keyof typeof mutations, 'FORBIDDEN' | 'UNAUTHENTICATED'][] = [
    // Clinicians create and update; they may not delete, nor set anyone's selections.
    ['clinician', 'deletePatient', 'FORBIDDEN'],
    ['clinician', 'deleteRecords', 'FORBIDDEN'],
    ['clinician', 'deleteEvent', 'FORBIDDEN'],
    ['clinician', 'setSelectionsOwn', 'FORBIDDEN'],
    // Patients may only set their own selections: every other mutation, even on their own rows, is refused.
    ['patient', 'createPatient', 'FORBIDDEN'],
    ['patient', 'updatePatient', 'FORBIDDEN'],
    ['patient', 'deletePatient', 'FORBIDDEN'],
    ['patient', 'createRecord', 'FORBIDDEN'],
    ['patient', 'updateRecord', 'FORBIDDEN'],
    ['patient', 'deleteRecords', 'FORBIDDEN'],
    ['patient', 'createEvent', 'FORBIDDEN'],
    ['patient', 'deleteEvent', 'FORBIDDEN'],
    ['patient', 'setSelectionsOther', 'FORBIDDEN'],
    // Without a token nothing runs.
    ...(Object.keys(mutations) as (keyof typeof mutations)[]).map(
      (name) => ['nobody', name, 'UNAUTHENTICATED'] as [Who, keyof typeof mutations, 'UNAUTHENTICATED'],
    ),
  ];

  test.each(refusals)('%s: %s is refused with %s, runs no SQL and changes nothing', async (who, name, code) => {
    const [field, document, variables] = mutations[name]!;
    const as: Caller = who === 'clinician' ? 'clinician' : who === 'patient' ? { patientId: fixture.patient } : null;
    const error = await expectRejectedWithoutSql(code, document, variables(fixture), as);
    expect(error.path).toEqual([field]);
  });

  test('refuses a token that is not a bearer token with UNAUTHENTICATED, running no SQL', async () => {
    const error = await expectRejectedWithoutSql('UNAUTHENTICATED', DELETE_PATIENT, { id: gid.patient(fixture.patient) }, {
      authorization: 'Bearer not.a.jwt',
    });
    expect(error.message).toBeTruthy();
  });

  test('lets a clinician run every create and update (admin rights are shown by every other test)', async () => {
    const f = fixture;
    for (const name of ['createPatient', 'updatePatient', 'createRecord', 'updateRecord', 'createEvent'] as const) {
      const [field, document, variables] = mutations[name]!;
      const result = await gw.run(document, variables(f), { as: 'clinician' });
      expect(result.errors, name).toBeUndefined();
      expect(result.data![field], name).toBeTruthy();
    }
    expect(await patientRow(f.patient)).toMatchObject({ name: 'Hacked', version: 2 });
    expect(await recordRow(f.record)).toMatchObject({ status: 'CLOSED', version: 2 });
  });
});
