/**
 * Every field of the contract, read through the real gateway and MariaDB:
 * exact data and the exact number of SQL statements each document runs.
 */
import { describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import type { TestGateway } from '../src/testing/index.js';
import { gid, insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('queries');
let gw: TestGateway;
const ids = {} as {
  ada: number;
  ben: number;
  alice: number;
  bob: number;
  carla: number;
  records: number[];
  flu: number;
  fluSlots: number[];
  checkup: number;
  checkupSlots: number[];
  selections: number[];
};
const at = (iso: string) => Date.parse(iso);

/** created_at as stored, in the API's ISO form, for rows whose instant the fixtures chose. */
async function storedCreatedAt(table: 'events' | 'selections', id: number): Promise<string> {
  const [rows] = await gw.database.pool.query(`SELECT created_at FROM ${table} WHERE id = ?`, [id]);
  return ((rows as { created_at: Date }[])[0]!.created_at).toISOString();
}

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const pool = gw.database.pool;
  [ids.ada, ids.ben] = (await insertClinicians(pool, ['Dr. Ada Byron', 'Dr. Ben Carter'])) as [number, number];
  [ids.alice, ids.bob, ids.carla] = (await insertPatients(pool, [
    { name: 'Alice Archer', email: 'alice@example.org', birthDate: '1990-01-15', createdAt: at('2026-02-01T10:00:00Z') },
    { name: 'Bob Brown', email: null, birthDate: '1975-06-30', isActive: false, createdAt: at('2026-02-02T10:00:00Z') },
    { name: 'Carla Diaz', birthDate: '2001-12-01', createdAt: at('2026-02-03T10:00:00Z') },
  ])) as [number, number, number];
  ids.records = await insertRecords(pool, [
    { patientId: ids.alice, authorId: ids.ada, diagnosis: 'Asthma', status: 'ACTIVE', createdAt: at('2026-03-01T08:00:00Z') },
    { patientId: ids.alice, authorId: ids.ben, diagnosis: 'Fracture', status: 'CLOSED', createdAt: at('2026-03-02T08:00:00Z') },
    { patientId: ids.alice, authorId: null, diagnosis: 'Migraine', status: 'PENDING', createdAt: at('2026-03-03T08:00:00Z') },
    { patientId: ids.bob, authorId: ids.ada, diagnosis: 'Diabetes', status: 'ACTIVE', createdAt: at('2026-03-04T08:00:00Z') },
  ]);
  const flu = await insertEvent(pool, { title: 'Flu day', organizerId: ids.ada, days: 2, slotsPerDay: 2 });
  const checkup = await insertEvent(pool, { title: 'Checkup', days: 1, slotsPerDay: 1 });
  ids.flu = flu.eventId;
  ids.fluSlots = flu.scheduleIds;
  ids.checkup = checkup.eventId;
  ids.checkupSlots = checkup.scheduleIds;
  ids.selections = await insertSelections(pool, [
    { patientId: ids.alice, scheduleId: flu.scheduleIds[3]!, eventId: flu.eventId },
    { patientId: ids.alice, scheduleId: flu.scheduleIds[0]!, eventId: flu.eventId },
    { patientId: ids.bob, scheduleId: flu.scheduleIds[0]!, eventId: flu.eventId },
  ]);
});

describe('Patient', () => {
  test('resolves every scalar field from one statement', async () => {
    const result = await gw.run(
      `query ($id: ID!) { patient(id: $id) { id name email birthDate isActive createdAt updatedAt version } }`,
      { id: gid.patient(ids.bob) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      patient: {
        id: gid.patient(ids.bob),
        name: 'Bob Brown',
        email: null,
        birthDate: '1975-06-30',
        isActive: false,
        createdAt: '2026-02-02T10:00:00.000Z',
        updatedAt: '2026-02-02T10:00:00.000Z',
        version: 1,
      },
    });
    expect(result.sqlCount).toBe(1);
  });

  test('returns null for an id that does not exist, and BAD_USER_INPUT for an id of another type', async () => {
    const missing = await gw.run(`query ($id: ID!) { patient(id: $id) { id } }`, { id: gid.patient(999_999) });
    expect(missing.errors).toBeUndefined();
    expect(missing.data).toEqual({ patient: null });
    expect(missing.sqlCount).toBe(1);

    const wrongType = await gw.run(`query ($id: ID!) { patient(id: $id) { id } }`, { id: gid.event(ids.flu) });
    expect(wrongType.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrongType.errors?.[0]?.message).toBe('Argument "id" must be a Patient id, got an Event id.');
    expect(wrongType.sqlCount).toBe(0);

    const malformed = await gw.run(`{ patient(id: "not-an-id") { id } }`);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(malformed.sqlCount).toBe(0);
  });

  test('pages records newest first with edges, nodes, pageInfo and totalCount', async () => {
    const result = await gw.run(
      `query ($id: ID!) { patient(id: $id) { records(first: 2) {
          totalCount
          edges { cursor node { id diagnosis treatment notes status createdAt updatedAt version } }
          nodes { id }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      } } }`,
      { id: gid.patient(ids.alice) },
    );
    expect(result.errors).toBeUndefined();
    const records = result.data?.patient.records;
    expect(records.totalCount).toBe(3);
    expect(records.edges.map((edge: any) => edge.node)).toEqual([
      {
        id: gid.record(ids.records[2]!),
        diagnosis: 'Migraine',
        treatment: 'Rest',
        notes: null,
        status: 'PENDING',
        createdAt: '2026-03-03T08:00:00.000Z',
        updatedAt: '2026-03-03T08:00:00.000Z',
        version: 1,
      },
      {
        id: gid.record(ids.records[1]!),
        diagnosis: 'Fracture',
        treatment: 'Rest',
        notes: null,
        status: 'CLOSED',
        createdAt: '2026-03-02T08:00:00.000Z',
        updatedAt: '2026-03-02T08:00:00.000Z',
        version: 1,
      },
    ]);
    expect(records.nodes).toEqual([{ id: gid.record(ids.records[2]!) }, { id: gid.record(ids.records[1]!) }]);
    expect(records.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: records.edges[0].cursor,
      endCursor: records.edges[1].cursor,
    });
    // patient, the records page (whose window count is the total)
    expect(result.sqlCount).toBe(2);

    const next = await gw.run(
      `query ($id: ID!, $after: String) { patient(id: $id) { records(first: 2, after: $after) {
          nodes { diagnosis } pageInfo { hasNextPage hasPreviousPage } } } }`,
      { id: gid.patient(ids.alice), after: records.pageInfo.endCursor },
    );
    expect(next.data?.patient.records).toEqual({
      nodes: [{ diagnosis: 'Asthma' }],
      pageInfo: { hasNextPage: false, hasPreviousPage: true },
    });
    expect(next.sqlCount).toBe(2);
  });

  test('filters records and counts by status, one statement per distinct status', async () => {
    const result = await gw.run(
      `query ($id: ID!) { patient(id: $id) {
          active: records(status: ACTIVE) { totalCount nodes { diagnosis } }
          recordCount
          closed: recordCount(status: CLOSED)
          pending: recordCount(status: PENDING)
      } }`,
      { id: gid.patient(ids.alice) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      patient: { active: { totalCount: 1, nodes: [{ diagnosis: 'Asthma' }] }, recordCount: 3, closed: 1, pending: 1 },
    });
    // patient; ACTIVE page (whose window count is ACTIVE's count); counts for none, CLOSED and PENDING (one statement each)
    expect(result.sqlCount).toBe(5);
  });

  test('lists selections ordered by the slot date and time, optionally of one event', async () => {
    const result = await gw.run(
      `query ($id: ID!, $flu: ID!, $checkup: ID!) { patient(id: $id) {
          selections { id }
          flu: selections(eventId: $flu) { id }
          checkup: selections(eventId: $checkup) { id }
      } }`,
      { id: gid.patient(ids.alice), flu: gid.event(ids.flu), checkup: gid.event(ids.checkup) },
    );
    expect(result.errors).toBeUndefined();
    const ordered = [{ id: gid.selection(ids.selections[1]!) }, { id: gid.selection(ids.selections[0]!) }];
    expect(result.data).toEqual({ patient: { selections: ordered, flu: ordered, checkup: [] } });
    expect(result.sqlCount).toBe(4);
  });

  test('a patient without records has an empty page and zero counts', async () => {
    const result = await gw.run(
      `query ($id: ID!) { patient(id: $id) { records { totalCount nodes { id } pageInfo { hasNextPage startCursor endCursor } } recordCount selections { id } } }`,
      { id: gid.patient(ids.carla) },
    );
    expect(result.data).toEqual({
      patient: {
        records: { totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, startCursor: null, endCursor: null } },
        recordCount: 0,
        selections: [],
      },
    });
    expect(result.sqlCount).toBe(4);
  });
});

describe('Query.patients', () => {
  test('orders by createdAt DESC, id DESC with totalCount', async () => {
    const result = await gw.run(`{ patients { totalCount nodes { name } edges { node { id } } } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.patients.totalCount).toBe(3);
    expect(result.data?.patients.nodes).toEqual([{ name: 'Carla Diaz' }, { name: 'Bob Brown' }, { name: 'Alice Archer' }]);
    expect(result.sqlCount).toBe(2);
  });

  test('applies every filter field', async () => {
    const query = `query ($filter: PatientFilter) { patients(filter: $filter) { totalCount nodes { name } } }`;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ isActive: true }, ['Carla Diaz', 'Alice Archer']],
      [{ isActive: false }, ['Bob Brown']],
      [{ nameContains: 'AR' }, ['Carla Diaz', 'Alice Archer']],
      [{ nameContains: '%' }, []],
      [{ bornAfter: '1980-01-01' }, ['Carla Diaz', 'Alice Archer']],
      [{ bornBefore: '1990-01-15' }, ['Bob Brown']],
      [{ bornAfter: '1975-06-30', bornBefore: '2001-12-01', isActive: true }, ['Alice Archer']],
    ];
    for (const [filter, names] of cases) {
      const result = await gw.run(query, { filter });
      expect(result.errors, JSON.stringify(filter)).toBeUndefined();
      expect(result.data?.patients, JSON.stringify(filter)).toEqual({
        totalCount: names.length,
        nodes: names.map((name) => ({ name })),
      });
      expect(result.sqlCount).toBe(2);
    }
  });
});

describe('MedicalRecord', () => {
  test('resolves patient and author', async () => {
    const result = await gw.run(
      `query ($a: ID!, $b: ID!) {
          a: record(id: $a) { id diagnosis patient { name } author { id name specialty } }
          b: record(id: $b) { id author { name } patient { name } }
      }`,
      { a: gid.record(ids.records[0]!), b: gid.record(ids.records[2]!) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      a: {
        id: gid.record(ids.records[0]!),
        diagnosis: 'Asthma',
        patient: { name: 'Alice Archer' },
        author: { id: gid.clinician(ids.ada), name: 'Dr. Ada Byron', specialty: 'General practice' },
      },
      b: { id: gid.record(ids.records[2]!), author: null, patient: { name: 'Alice Archer' } },
    });
    // both records in one statement, their patient, the one author
    expect(result.sqlCount).toBe(3);
  });
});

describe('Event, Schedule, Selection', () => {
  test('resolves an event with organizer, schedules, participants and counts', async () => {
    const result = await gw.run(
      `query ($id: ID!) { event(id: $id) {
          id title description organizer { name } version
          schedules { id date day time selectionCount event { title } }
          participants { totalCount nodes { name } pageInfo { hasNextPage } }
          participantCount
      } }`,
      { id: gid.event(ids.flu) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.event).toEqual({
      id: gid.event(ids.flu),
      title: 'Flu day',
      description: 'About Flu day',
      organizer: { name: 'Dr. Ada Byron' },
      version: 1,
      schedules: [
        { id: gid.schedule(ids.fluSlots[0]!), date: '2026-12-07', day: 'MONDAY', time: '07:00', selectionCount: 2, event: { title: 'Flu day' } },
        { id: gid.schedule(ids.fluSlots[1]!), date: '2026-12-07', day: 'MONDAY', time: '07:15', selectionCount: 0, event: { title: 'Flu day' } },
        { id: gid.schedule(ids.fluSlots[2]!), date: '2026-12-08', day: 'TUESDAY', time: '07:00', selectionCount: 0, event: { title: 'Flu day' } },
        { id: gid.schedule(ids.fluSlots[3]!), date: '2026-12-08', day: 'TUESDAY', time: '07:15', selectionCount: 1, event: { title: 'Flu day' } },
      ],
      participants: { totalCount: 2, nodes: [{ name: 'Alice Archer' }, { name: 'Bob Brown' }], pageInfo: { hasNextPage: false } },
      participantCount: 2,
    });
    // event, organizer, schedules, selection counts, participant page, participant patients, participant count
    expect(result.sqlCount).toBe(7);
  });

  test('filters schedules by date and reads createdAt', async () => {
    const result = await gw.run(
      `query ($id: ID!) { event(id: $id) { createdAt schedules(date: "2026-12-08") { time } } }`,
      { id: gid.event(ids.flu) },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.event.schedules).toEqual([{ time: '07:00' }, { time: '07:15' }]);
    expect(result.data?.event.createdAt).toBe(await storedCreatedAt('events', ids.flu));
    expect(result.sqlCount).toBe(2);
  });

  test('resolves schedule selections with patient, schedule and createdAt', async () => {
    const result = await gw.run(
      `query ($id: ID!) { node(id: $id) { ... on Schedule { selections { id createdAt patient { name } schedule { id } } } } }`,
      { id: gid.schedule(ids.fluSlots[0]!) },
    );
    expect(result.errors).toBeUndefined();
    const selections = result.data?.node.selections;
    expect(selections.map((selection: any) => [selection.id, selection.patient.name, selection.schedule.id])).toEqual([
      [gid.selection(ids.selections[1]!), 'Alice Archer', gid.schedule(ids.fluSlots[0]!)],
      [gid.selection(ids.selections[2]!), 'Bob Brown', gid.schedule(ids.fluSlots[0]!)],
    ]);
    expect(selections[0].createdAt).toBe(await storedCreatedAt('selections', ids.selections[1]!));
    // schedule (primed for selection.schedule), selections, patients
    expect(result.sqlCount).toBe(3);
  });

  test('pages events newest first with totalCount', async () => {
    const result = await gw.run(
      `{ events(first: 1) { totalCount edges { cursor node { title } } pageInfo { hasNextPage endCursor } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data?.events.totalCount).toBe(2);
    expect(result.data?.events.edges.map((edge: any) => edge.node.title)).toEqual(['Checkup']);
    expect(result.data?.events.pageInfo.hasNextPage).toBe(true);
    expect(result.sqlCount).toBe(2);

    const next = await gw.run(`query ($after: String) { events(first: 1, after: $after) { nodes { title } pageInfo { hasNextPage } } }`, {
      after: result.data?.events.pageInfo.endCursor,
    });
    expect(next.data?.events).toEqual({ nodes: [{ title: 'Flu day' }], pageInfo: { hasNextPage: false } });
    expect(next.sqlCount).toBe(1);
  });
});

describe('node, nodes, viewer', () => {
  test('resolves node for every type', async () => {
    const cases: [string, string, Record<string, unknown>][] = [
      [gid.patient(ids.alice), 'Patient', { name: 'Alice Archer' }],
      [gid.record(ids.records[1]!), 'MedicalRecord', { diagnosis: 'Fracture' }],
      [gid.clinician(ids.ben), 'Clinician', { name: 'Dr. Ben Carter', specialty: null }],
      [gid.event(ids.checkup), 'Event', { title: 'Checkup' }],
      [gid.schedule(ids.checkupSlots[0]!), 'Schedule', { time: '07:00' }],
      [gid.selection(ids.selections[2]!), 'Selection', {}],
    ];
    for (const [id, typename, fields] of cases) {
      const result = await gw.run(
        `query ($id: ID!) { node(id: $id) { __typename id
            ... on Patient { name } ... on MedicalRecord { diagnosis } ... on Clinician { name specialty }
            ... on Event { title } ... on Schedule { time } } }`,
        { id },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data?.node).toEqual({ __typename: typename, id, ...fields });
      expect(result.sqlCount).toBe(1);
    }
  });

  test('resolves mixed nodes in one statement per type, nulls for missing ids, an error only for a malformed one', async () => {
    const result = await gw.run(`query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, {
      ids: [
        gid.patient(ids.alice),
        gid.record(ids.records[0]!),
        gid.patient(ids.bob),
        gid.event(ids.flu),
        gid.patient(424_242),
        'bad id',
        gid.clinician(ids.ada),
      ],
    });
    expect(result.data?.nodes).toEqual([
      { __typename: 'Patient', id: gid.patient(ids.alice) },
      { __typename: 'MedicalRecord', id: gid.record(ids.records[0]!) },
      { __typename: 'Patient', id: gid.patient(ids.bob) },
      { __typename: 'Event', id: gid.event(ids.flu) },
      null,
      null,
      { __typename: 'Clinician', id: gid.clinician(ids.ada) },
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({ path: ['nodes', 5], extensions: { code: 'BAD_USER_INPUT' } });
    // patients, records, events, clinicians: one statement each
    expect(result.sqlCount).toBe(4);
  });

  test('refuses more than 100 ids before any SQL', async () => {
    const result = await gw.run(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: Array.from({ length: 101 }, (_, index) => gid.patient(index + 1)),
    });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'ids', max: 100 });
    expect(result.sqlCount).toBe(0);
  });

  test('describes the caller', async () => {
    const admin = await gw.run(`{ viewer { role subject patient { id } } }`);
    expect(admin.data).toEqual({ viewer: { role: 'ADMIN', subject: 'test-admin', patient: null } });
    expect(admin.sqlCount).toBe(0);

    const clinician = await gw.run(`{ viewer { role subject } }`, undefined, { as: { clinicianId: ids.ben } });
    expect(clinician.data).toEqual({ viewer: { role: 'CLINICIAN', subject: gid.clinician(ids.ben) } });
    expect(clinician.sqlCount).toBe(0);

    const patient = await gw.run(`{ viewer { role patient { id name } } }`, undefined, { as: { patientId: ids.carla } });
    expect(patient.data).toEqual({ viewer: { role: 'PATIENT', patient: { id: gid.patient(ids.carla), name: 'Carla Diaz' } } });
    expect(patient.sqlCount).toBe(1);
  });
});
