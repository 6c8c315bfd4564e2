/**
 * Every access path the resolvers use is served by an index (drizzle/schema.ts).
 *
 * The suite seeds enough rows that MariaDB's optimizer prefers indexes, runs one
 * representative GraphQL operation per access path with its SQL captured, and
 * EXPLAINs each captured statement with its own parameters. No base table may
 * be read by a full table scan (`type = ALL`), without a key, or by a full index
 * scan that filters row by row (`type = index` with `Using where`); an index
 * scan without a condition is fine (a page read in index order and stopped by
 * LIMIT, or an unfiltered count). Derived tables (`<derived2>`) are the
 * statements' own subqueries and are not checked. A missing or unusable index
 * therefore fails the suite, naming the statement and its plan.
 */
import type { Pool, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { SqlStatement } from '../src/db/sql-counter.js';
import type { TestGateway } from '../src/testing/index.js';
import {
  insertClinicians,
  insertEvent,
  insertPatients,
  insertRecords,
  insertSelections,
  manyPatients,
  nextInstant,
  sqlTime,
  type RecordSeed,
} from './support/fixtures.js';

const BASE_TABLES = new Set(['patients', 'medical_records', 'clinicians', 'events', 'schedules', 'selections']);

// Sizes: with fewer rows MariaDB 10.11 prefers a full scan plus filesort to the
// (created_at, id) index for `ORDER BY created_at DESC, id DESC LIMIT 101` (patients
// need about 20,000 rows, events about 30,000), and reads an IN-list that covers a
// large share of a small table (clinicians, schedules, selections) by a full scan.
const PATIENT_COUNT = 20_000;
const RECORDS_PER_PATIENT = 5;
const CLINICIAN_COUNT = 5000;
const EVENTS_WITH_SLOTS = 5;
const EVENT_DAYS = 5;
const SLOTS_PER_DAY = 10;
const ONE_SLOT_EVENTS = 40_000;
const PATIENTS_WITH_SELECTIONS = 200;
const SLOTS_PICKED_PER_EVENT = 4;
const STATUSES = ['PENDING', 'ACTIVE', 'CLOSED'] as const;

interface Seeded {
  patientIds: number[];
  recordIds: number[];
  clinicianIds: number[];
  events: { eventId: number; scheduleIds: number[] }[];
  selectionIds: number[];
  /** endCursor of the first page of each list, for the "after a cursor" paths. */
  cursors: {
    patients: string;
    activePatients: string;
    records: string;
    closedRecords: string;
    events: string;
    participants: string;
  };
}

interface PlanRow {
  id: number | null;
  select_type: string;
  table: string | null;
  type: string | null;
  possible_keys: string | null;
  key: string | null;
  rows: number | string | null;
  Extra: string | null;
}

interface AccessPath {
  readonly name: string;
  readonly query: string;
  readonly variables?: (seeded: Seeded) => Record<string, unknown>;
  /** Base tables the operation must read (so a plan that skips the table silently does not pass). */
  readonly reads: readonly string[];
}

/** Multi-row INSERT in chunks (like the fixtures' inserters); returns the new ids in order. */
async function insertChunked(pool: Pool, table: string, columns: string[], rows: unknown[][]): Promise<number[]> {
  const ids: number[] = [];
  for (let start = 0; start < rows.length; start += 2000) {
    const chunk = rows.slice(start, start + 2000);
    const [result] = await pool.query<ResultSetHeader>(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [
      chunk,
    ]);
    for (let index = 0; index < chunk.length; index += 1) ids.push(result.insertId + index);
  }
  return ids;
}

/**
 * Many small events with one slot each, so the event, schedule and selection
 * tables are large enough that reading one event's rows through an index is
 * clearly cheaper than a full scan.
 */
async function insertOneSlotEvents(pool: Pool, count: number): Promise<{ eventId: number; scheduleId: number }[]> {
  const eventIds = await insertChunked(
    pool,
    'events',
    ['title', 'description', 'organizer_id', 'created_at', 'updated_at'],
    Array.from({ length: count }, (_, index) => {
      const created = sqlTime(nextInstant());
      return [`Consultation ${index + 1}`, null, null, created, created];
    }),
  );
  const scheduleIds = await insertChunked(
    pool,
    'schedules',
    ['event_id', 'date', 'day', 'time'],
    eventIds.map((eventId) => [eventId, '2027-01-04', 'MONDAY', '09:00:00']),
  );
  return eventIds.map((eventId, index) => ({ eventId, scheduleId: scheduleIds[index] as number }));
}

async function seed(gw: TestGateway): Promise<SeededRows> {
  const pool = gw.database.pool;
  const clinicianIds = await insertClinicians(
    pool,
    Array.from({ length: CLINICIAN_COUNT }, (_, index) => `Clinician ${index + 1}`),
  );
  const patientIds = await insertPatients(
    pool,
    manyPatients(PATIENT_COUNT).map((patient, index) => ({
      ...patient,
      isActive: index % 4 !== 0,
      birthDate: `19${String(40 + (index % 60)).padStart(2, '0')}-0${1 + (index % 9)}-1${index % 10}`,
    })),
  );
  const records: RecordSeed[] = patientIds.flatMap((patientId, patientIndex) =>
    Array.from({ length: RECORDS_PER_PATIENT }, (_, recordIndex) => ({
      patientId,
      authorId: recordIndex === 0 ? null : (clinicianIds[(patientIndex * 7 + recordIndex) % CLINICIAN_COUNT] as number),
      status: STATUSES[(patientIndex + recordIndex) % STATUSES.length] as (typeof STATUSES)[number],
    })),
  );
  const recordIds = await insertRecords(pool, records);

  const events: Seeded['events'] = [];
  for (let index = 0; index < EVENTS_WITH_SLOTS; index += 1) {
    events.push(
      await insertEvent(pool, {
        title: `Vaccination day ${index + 1}`,
        organizerId: clinicianIds[index] as number,
        days: EVENT_DAYS,
        slotsPerDay: SLOTS_PER_DAY,
        firstDate: `2026-12-0${1 + index}`,
      }),
    );
  }
  const oneSlotEvents = await insertOneSlotEvents(pool, ONE_SLOT_EVENTS);

  const selections = patientIds.slice(0, PATIENTS_WITH_SELECTIONS).flatMap((patientId, patientIndex) =>
    events.flatMap(({ eventId, scheduleIds }) =>
      Array.from({ length: SLOTS_PICKED_PER_EVENT }, (_, pick) => ({
        patientId,
        eventId,
        scheduleId: scheduleIds[(patientIndex * 3 + pick * 11) % scheduleIds.length] as number,
      })),
    ),
  );
  const selectionIds = await insertSelections(pool, selections);
  await insertSelections(
    pool,
    oneSlotEvents.map(({ eventId, scheduleId }, index) => ({
      eventId,
      scheduleId,
      patientId: patientIds[(index * 7) % patientIds.length] as number,
    })),
  );

  for (const table of BASE_TABLES) await pool.query(`ANALYZE TABLE ${table}`);
  return { patientIds, recordIds, clinicianIds, events, selectionIds };
}

type SeededRows = Omit<Seeded, 'cursors'>;
const firstEvent = (seeded: SeededRows) => seeded.events[0] as Seeded['events'][number];
/** Among the patients with selections in every event with slots. */
const patientWithSelections = (seeded: SeededRows) => seeded.patientIds[10] as number;
const patientWithRecords = (seeded: SeededRows) => seeded.patientIds[1234] as number;

const ACCESS_PATHS: readonly AccessPath[] = [
  // Query.patients
  { name: 'patients page', query: '{ patients(first: 20) { nodes { id } } }', reads: ['patients'] },
  {
    name: 'patients page filtered by isActive',
    query: '{ patients(first: 20, filter: { isActive: false }) { nodes { id } } }',
    reads: ['patients'],
  },
  {
    name: 'patients page after a cursor',
    query: 'query ($after: String) { patients(first: 20, after: $after) { nodes { id } } }',
    variables: (seeded) => ({ after: seeded.cursors.patients }),
    reads: ['patients'],
  },
  {
    name: 'patients page filtered by isActive, after a cursor',
    query: 'query ($after: String) { patients(first: 20, after: $after, filter: { isActive: true }) { nodes { id } } }',
    variables: (seeded) => ({ after: seeded.cursors.activePatients }),
    reads: ['patients'],
  },
  { name: 'patients count', query: '{ patients(first: 0) { totalCount } }', reads: ['patients'] },
  {
    name: 'patients count filtered by isActive',
    query: '{ patients(first: 0, filter: { isActive: false }) { totalCount } }',
    reads: ['patients'],
  },
  // Query.patient and patients by id
  {
    name: 'patient by id',
    query: 'query ($id: ID!) { patient(id: $id) { id name } }',
    variables: (seeded) => ({ id: toGlobalId('Patient', patientWithRecords(seeded)) }),
    reads: ['patients'],
  },
  // Patient.records
  {
    name: 'records page of one patient',
    query: 'query ($id: ID!) { patient(id: $id) { records(first: 3) { nodes { id } } } }',
    variables: (seeded) => ({ id: toGlobalId('Patient', patientWithRecords(seeded)) }),
    reads: ['patients', 'medical_records'],
  },
  {
    name: 'records pages of twenty patients',
    query: '{ patients(first: 20) { nodes { records(first: 3) { nodes { id } } } } }',
    reads: ['patients', 'medical_records'],
  },
  {
    name: 'records pages of twenty patients with a status',
    query: '{ patients(first: 20) { nodes { records(first: 3, status: CLOSED) { nodes { id } } } } }',
    reads: ['patients', 'medical_records'],
  },
  {
    name: 'records page after a cursor',
    query:
      'query ($id: ID!, $after: String) { patient(id: $id) { records(first: 2, after: $after) { nodes { id } } } }',
    variables: (seeded) => ({ id: toGlobalId('Patient', patientWithRecords(seeded)), after: seeded.cursors.records }),
    reads: ['patients', 'medical_records'],
  },
  {
    name: 'records page with a status, after a cursor',
    query:
      'query ($id: ID!, $after: String) { patient(id: $id) { ' +
      'records(first: 1, after: $after, status: CLOSED) { nodes { id } } } }',
    variables: (seeded) => ({
      id: toGlobalId('Patient', patientWithRecords(seeded)),
      after: seeded.cursors.closedRecords,
    }),
    reads: ['patients', 'medical_records'],
  },
  // Patient.recordCount and MedicalRecordConnection.totalCount
  {
    name: 'record counts',
    query: '{ patients(first: 20) { nodes { recordCount records(first: 0) { totalCount } } } }',
    reads: ['patients', 'medical_records'],
  },
  {
    name: 'record counts with a status',
    query: '{ patients(first: 20) { nodes { recordCount(status: ACTIVE) } } }',
    reads: ['patients', 'medical_records'],
  },
  // Clinicians by id (record authors, event organizers)
  {
    name: 'clinicians by id (authors of many records)',
    query: '{ patients(first: 20) { nodes { records(first: 5) { nodes { author { name } } } } } }',
    reads: ['patients', 'medical_records', 'clinicians'],
  },
  {
    name: 'clinician by id (organizer of an event)',
    query: 'query ($id: ID!) { event(id: $id) { organizer { name } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'clinicians'],
  },
  // Query.events
  { name: 'events page', query: '{ events(first: 20) { nodes { id } } }', reads: ['events'] },
  {
    name: 'events page after a cursor',
    query: 'query ($after: String) { events(first: 20, after: $after) { nodes { id } } }',
    variables: (seeded) => ({ after: seeded.cursors.events }),
    reads: ['events'],
  },
  { name: 'events count', query: '{ events(first: 0) { totalCount } }', reads: ['events'] },
  // Event.schedules
  {
    name: 'schedules of an event',
    query: 'query ($id: ID!) { event(id: $id) { schedules { id } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'schedules'],
  },
  {
    name: 'schedules of an event on one date',
    query: 'query ($id: ID!) { event(id: $id) { schedules(date: "2026-12-03") { id } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'schedules'],
  },
  {
    name: 'schedules of several events',
    query: '{ events(first: 40) { nodes { schedules { id } } } }', // 40 x 100 slots: within MAX_COST
    reads: ['events', 'schedules'],
  },
  // Schedule.selections and Schedule.selectionCount
  {
    name: 'selections by schedule',
    query: 'query ($id: ID!) { event(id: $id) { schedules { selections { id } } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'schedules', 'selections'],
  },
  {
    name: 'selection counts by schedule',
    query: 'query ($id: ID!) { event(id: $id) { schedules { selectionCount } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'schedules', 'selections'],
  },
  // Patient.selections
  {
    name: 'selections of one patient',
    query: 'query ($id: ID!) { patient(id: $id) { selections { id } } }',
    variables: (seeded) => ({ id: toGlobalId('Patient', patientWithSelections(seeded)) }),
    reads: ['patients', 'selections', 'schedules'],
  },
  {
    name: 'selections of one patient in one event',
    query: 'query ($id: ID!, $eventId: ID!) { patient(id: $id) { selections(eventId: $eventId) { id } } }',
    variables: (seeded) => ({
      id: toGlobalId('Patient', patientWithSelections(seeded)),
      eventId: toGlobalId('Event', firstEvent(seeded).eventId),
    }),
    reads: ['patients', 'selections', 'schedules'],
  },
  {
    name: 'selections of twenty patients',
    query: '{ patients(first: 20) { nodes { selections { id } } } }',
    reads: ['patients', 'selections'],
  },
  // Event.participants and Event.participantCount
  {
    name: 'participants page',
    query: 'query ($id: ID!) { event(id: $id) { participants(first: 20) { nodes { id } } } }',
    variables: (seeded) => ({ id: toGlobalId('Event', firstEvent(seeded).eventId) }),
    reads: ['events', 'selections', 'patients'],
  },
  {
    name: 'participants page after a cursor',
    query:
      'query ($id: ID!, $after: String) { event(id: $id) { participants(first: 20, after: $after) { nodes { id } } } }',
    variables: (seeded) => ({
      id: toGlobalId('Event', firstEvent(seeded).eventId),
      after: seeded.cursors.participants,
    }),
    reads: ['events', 'selections', 'patients'],
  },
  {
    name: 'participant pages of several events',
    query: '{ events(first: 100) { nodes { participants(first: 5) { nodes { id } } } } }',
    reads: ['events', 'selections'],
  },
  {
    name: 'participant counts',
    query: '{ events(first: 100) { nodes { participantCount participants(first: 0) { totalCount } } } }',
    reads: ['events', 'selections'],
  },
  // Query.node of each type, and Query.nodes (IN-lists)
  ...(
    [
      ['Patient', (seeded: Seeded) => seeded.patientIds[42], ['patients']],
      ['MedicalRecord', (seeded: Seeded) => seeded.recordIds[4242], ['medical_records']],
      ['Clinician', (seeded: Seeded) => seeded.clinicianIds[42], ['clinicians']],
      ['Event', (seeded: Seeded) => firstEvent(seeded).eventId, ['events']],
      ['Schedule', (seeded: Seeded) => firstEvent(seeded).scheduleIds[7], ['schedules']],
      ['Selection', (seeded: Seeded) => seeded.selectionIds[42], ['selections']],
    ] as const
  ).map(
    ([type, idOf, reads]): AccessPath => ({
      name: `node lookup: ${type}`,
      query: 'query ($id: ID!) { node(id: $id) { id } }',
      variables: (seeded) => ({ id: toGlobalId(type, idOf(seeded) as number) }),
      reads,
    }),
  ),
  {
    name: 'nodes lookup of twenty ids of every type',
    query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    variables: (seeded) => ({
      ids: [
        ...seeded.patientIds.slice(100, 120).map((id) => toGlobalId('Patient', id)),
        ...seeded.recordIds.slice(500, 520).map((id) => toGlobalId('MedicalRecord', id)),
        ...seeded.clinicianIds.slice(20, 40).map((id) => toGlobalId('Clinician', id)),
        ...firstEvent(seeded).scheduleIds.slice(0, 20).map((id) => toGlobalId('Schedule', id)),
        ...seeded.selectionIds.slice(300, 320).map((id) => toGlobalId('Selection', id)),
      ],
    }),
    reads: ['patients', 'medical_records', 'clinicians', 'schedules', 'selections'],
  },
  {
    name: 'the patient, schedule and event behind selections',
    query: 'query ($id: ID!) { patient(id: $id) { selections { patient { id } schedule { event { id } } } } }',
    variables: (seeded) => ({ id: toGlobalId('Patient', patientWithSelections(seeded)) }),
    reads: ['patients', 'selections', 'schedules', 'events'],
  },
];

function describePlan(plan: readonly PlanRow[]): string {
  return plan
    .map(
      (row) =>
        `  id=${row.id} ${row.select_type} table=${row.table} type=${row.type} possible_keys=${row.possible_keys} ` +
        `key=${row.key} rows=${row.rows} Extra=${row.Extra}`,
    )
    .join('\n');
}

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('indexes');
let gw: TestGateway;
let seeded: Seeded;

async function endCursorOf(query: string, variables: Record<string, unknown>, path: string[]): Promise<string> {
  const result = await gw.run(query, variables);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  let connection: any = result.data;
  for (const field of path) connection = connection?.[field];
  const cursor: unknown = connection?.pageInfo?.endCursor;
  if (typeof cursor !== 'string') throw new Error(`No endCursor at ${path.join('.')} for ${query}`);
  return cursor;
}

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const rows = await seed(gw);
  const patientId = toGlobalId('Patient', patientWithRecords(rows));
  const eventId = toGlobalId('Event', firstEvent(rows).eventId);
  seeded = {
    ...rows,
    cursors: {
      patients: await endCursorOf('{ patients(first: 100) { pageInfo { endCursor } } }', {}, ['patients']),
      activePatients: await endCursorOf(
        '{ patients(first: 100, filter: { isActive: true }) { pageInfo { endCursor } } }',
        {},
        ['patients'],
      ),
      records: await endCursorOf(
        'query ($id: ID!) { patient(id: $id) { records(first: 2) { pageInfo { endCursor } } } }',
        { id: patientId },
        ['patient', 'records'],
      ),
      closedRecords: await endCursorOf(
        'query ($id: ID!) { patient(id: $id) { records(first: 1, status: CLOSED) { pageInfo { endCursor } } } }',
        { id: patientId },
        ['patient', 'records'],
      ),
      events: await endCursorOf('{ events(first: 100) { pageInfo { endCursor } } }', {}, ['events']),
      participants: await endCursorOf(
        'query ($id: ID!) { event(id: $id) { participants(first: 50) { pageInfo { endCursor } } } }',
        { id: eventId },
        ['event', 'participants'],
      ),
    },
  };
});

async function explain(statement: SqlStatement): Promise<PlanRow[]> {
  const [plan] = await gw.database.pool.query<RowDataPacket[]>(`EXPLAIN ${statement.sql}`, [...statement.params]);
  return plan as PlanRow[];
}

describe('every access path reads its base tables through an index', () => {
  test.each(ACCESS_PATHS.map((path) => [path.name, path] as const))('%s', async (_name, path) => {
    const result = await gw.run(path.query, path.variables?.(seeded) ?? {}, { captureStatements: true });
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    expect(result.statements.length).toBeGreaterThan(0);

    const problems: string[] = [];
    const tablesRead = new Set<string>();
    for (const statement of result.statements) {
      const plan = await explain(statement);
      const baseRows = plan.filter((row) => row.table !== null && BASE_TABLES.has(row.table));
      const report =
        `${path.name}\nSQL: ${statement.sql}\nparams: ${JSON.stringify(statement.params)}\n` +
        `plan:\n${describePlan(plan)}`;
      if (baseRows.length === 0) problems.push(`No base table in the plan of:\n${report}`);
      for (const row of baseRows) {
        tablesRead.add(row.table as string);
        if (row.type === 'ALL') problems.push(`Full scan of ${row.table} (type ALL):\n${report}`);
        else if (row.key === null) problems.push(`${row.table} is read without an index (key NULL):\n${report}`);
        else if (row.type === 'index' && /using where/i.test(row.Extra ?? '')) {
          // A full index scan that filters: the statement's condition has no index to seek on.
          problems.push(`Full index scan of ${row.table} filtered row by row (type index, Using where):\n${report}`);
        }
      }
    }
    expect(problems, problems.join('\n\n')).toEqual([]);
    const missingTables = path.reads.filter((table) => !tablesRead.has(table));
    expect(missingTables, 'tables this access path must read, absent from every plan').toEqual([]);
  });
});
