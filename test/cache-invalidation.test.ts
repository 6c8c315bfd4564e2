/**
 * Cache invalidation, one mutation of the contract at a time, with the cache
 * on (Redis plus L1, on one Redis and on a real Redis Cluster, then the in-process tier alone): every shape a mutation
 * affects (entity, nested list, count, connection page, whole response) is
 * first warmed (a repeated read runs no SQL), then the mutation runs, then the
 * next read of each shape is fresh (its data shows the write exactly), while
 * unrelated reads warmed before it still run no SQL, both as the same
 * document (its whole response survived) and as a document never run before
 * (its fragments survived).
 *
 * Fixtures go straight into MySQL in beforeAll, before any cached read; after
 * that, data changes only through mutations. Every test works on its own
 * patients and events, so the tests do not depend on each other's order.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type Caller, type TestGateway } from '../src/testing/index.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';
import { DELETE_EVENT, DELETE_PATIENT, DELETE_RECORDS, gid, insertEvent, insertPatients, insertRecords, insertSelections } from './support/index.js';

type Vars = Record<string, unknown>;

/** Fixture rows are created long before "now", so rows the mutations create are always the newest. */
const FIXTURE_EPOCH = Date.parse('2024-01-01T00:00:00.000Z');
let fixtureClock = 0;
const fixtureInstant = () => FIXTURE_EPOCH + (fixtureClock += 60_000);

// ---------------------------------------------------------------------------
// Reading and writing through the gateway
// ---------------------------------------------------------------------------

/** Reads that prove what the cache did, each asserting that the operation had no errors. */
function kit(gateway: () => TestGateway) {
  const run = async (label: string, query: string, variables: Vars, as: Caller) => {
    const result = await gateway().run(query, variables, { as });
    expect(result.errors, `${label}: errors`).toBeUndefined();
    return result;
  };
  return {
    /** Reads twice; the second read must be answered by the cache alone. Returns the data. */
    async warm(label: string, query: string, variables: Vars = {}, as: Caller = 'admin'): Promise<any> {
      const first = await run(`${label} (first read)`, query, variables, as);
      const second = await run(`${label} (repeated read)`, query, variables, as);
      expect(second.sqlCount, `${label}: a repeated read runs no SQL`).toBe(0);
      expect(second.data, `${label}: a repeated read gives the same answer`).toEqual(first.data);
      return second.data;
    },
    /**
     * A read whose cached answer the mutation must have dropped; the caller checks that the data
     * shows the write. (No statement count: an earlier re-read may already have refilled the
     * fragments it needs, which is the point of a fragment cache.)
     */
    async fresh(label: string, query: string, variables: Vars = {}, as: Caller = 'admin'): Promise<any> {
      const result = await run(label, query, variables, as);
      return result.data;
    },
    /** A read the mutation did not affect: still answered with no SQL at all. */
    async cached(label: string, query: string, variables: Vars = {}, as: Caller = 'admin'): Promise<any> {
      const result = await run(label, query, variables, as);
      expect(result.sqlCount, `${label}: an unrelated read stays cached`).toBe(0);
      return result.data;
    },
    /** Any read, with its statement count. */
    async read(label: string, query: string, variables: Vars = {}, as: Caller = 'admin') {
      const result = await run(label, query, variables, as);
      return { data: result.data as any, sqlCount: result.sqlCount };
    },
    async mutate(label: string, query: string, variables: Vars, as: Caller = 'admin'): Promise<any> {
      const result = await run(label, query, variables, as);
      expect(result.data, `${label}: data`).toBeTruthy();
      return result.data;
    },
  };
}

/** The next row id of `table`: ids are handed out in order, and no test here deletes the newest patient, record or event. */
async function nextId(gateway: TestGateway, table: string): Promise<number> {
  const [rows] = await gateway.database.pool.query<RowDataPacket[]>(`SELECT COALESCE(MAX(id), 0) + 1 AS next FROM ${table}`);
  return Number(rows[0]!.next);
}

/** The global ids of a list's nodes, in order. */
const ids = (nodes: { id: string }[]) => nodes.map((node) => node.id);
const sortedNames = (nodes: { name: string }[]) => nodes.map((node) => node.name).sort();

// ---------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------

/** The entity with its nested lists and counts. */
const PATIENT = /* GraphQL */ `
  query Patient($id: ID!) {
    patient(id: $id) {
      id name version recordCount
      records(first: 10) { totalCount nodes { id diagnosis status } }
      selections { id schedule { id } }
    }
  }
`;

const NODE_FIELDS = /* GraphQL */ `
  id
  ... on Patient { name version }
  ... on MedicalRecord { diagnosis status version }
  ... on Event { title }
  ... on Schedule { date time selectionCount }
  ... on Selection { patient { id } schedule { id } }
`;
const NODE = `query Node($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`;
const NODES = `query Nodes($ids: [ID!]!) { nodes(ids: $ids) { ${NODE_FIELDS} } }`;

const RECORD = /* GraphQL */ `
  query Record($id: ID!) { record(id: $id) { id diagnosis notes status version patient { id name } } }
`;

const EVENT = /* GraphQL */ `
  query Event($id: ID!) {
    event(id: $id) {
      id title participantCount
      participants(first: 20) { totalCount nodes { id name } }
      schedules { id date time selectionCount selections { id patient { id name } } }
    }
  }
`;

const PATIENTS_PAGE = /* GraphQL */ `
  query PatientsPage($first: Int!) {
    patients(first: $first) { totalCount pageInfo { hasNextPage } nodes { id name } }
  }
`;

/** The same list with a nested count per patient (a page whose response depends on records). */
const PATIENTS_WITH_COUNTS = /* GraphQL */ `
  query PatientsWithCounts { patients(first: 50) { totalCount nodes { id recordCount } } }
`;

const FILTERED = /* GraphQL */ `
  query Filtered($needle: String!) {
    patients(first: 20, filter: { nameContains: $needle }) { totalCount nodes { id name } }
  }
`;

const EVENTS_PAGE = /* GraphQL */ `
  query EventsPage($first: Int!) { events(first: $first) { totalCount nodes { id title } } }
`;

const RECORDS_BY_STATUS = /* GraphQL */ `
  query RecordsByStatus($id: ID!) {
    patient(id: $id) {
      id recordCount
      pendingCount: recordCount(status: PENDING)
      activeCount: recordCount(status: ACTIVE)
      closedCount: recordCount(status: CLOSED)
      pending: records(status: PENDING) { totalCount nodes { id status } }
      active: records(status: ACTIVE) { totalCount nodes { id status } }
      closed: records(status: CLOSED) { totalCount nodes { id status } }
    }
  }
`;

const SELECTIONS_IN_EVENT = /* GraphQL */ `
  query SelectionsInEvent($id: ID!, $event: ID!) { patient(id: $id) { id selections(eventId: $event) { id schedule { id } } } }
`;

/** What a patient reads about themselves. */
const OWN = /* GraphQL */ `
  query Own($id: ID!) {
    viewer { role patient { id name } }
    patient(id: $id) {
      id name version recordCount
      records { totalCount nodes { id diagnosis } }
      selections { id schedule { id } }
    }
  }
`;

/** Whole responses combining several shapes. */
const WHOLE_PATIENTS = /* GraphQL */ `
  query WholePatients($id: ID!, $needle: String!, $first: Int!) {
    patient(id: $id) { id name version recordCount records { nodes { id diagnosis } } selections { id } }
    node(id: $id) { id ... on Patient { name } }
    patients(first: $first) { totalCount nodes { id name recordCount } }
    filtered: patients(first: 20, filter: { nameContains: $needle }) { totalCount nodes { id name } }
  }
`;

const WHOLE_RECORDS = /* GraphQL */ `
  query WholeRecords($patient: ID!, $record: ID!) {
    record(id: $record) { id diagnosis status version }
    node(id: $record) { id ... on MedicalRecord { diagnosis status } }
    patient(id: $patient) {
      id recordCount active: recordCount(status: ACTIVE)
      records(first: 10) { totalCount nodes { id diagnosis status } }
    }
    patients(first: 50) { nodes { id recordCount } }
  }
`;

const WHOLE_EVENTS = /* GraphQL */ `
  query WholeEvents($event: ID!, $patient: ID!) {
    event(id: $event) {
      id title participantCount
      participants { totalCount nodes { id } }
      schedules { id selectionCount selections { id patient { id } } }
    }
    node(id: $event) { id ... on Event { title } }
    events(first: 50) { totalCount nodes { id title } }
    patient(id: $patient) { id selections { id schedule { id } } }
  }
`;

/**
 * Reads of entities no test mutates. `alias` makes a distinct document: the
 * warm one is read before each mutation, a new one after it (so only the
 * fragment cache, not the whole-response cache, can answer it).
 */
const BYSTANDERS = (alias: string) => /* GraphQL */ `
  query Bystanders_${alias}($una: ID!, $otto: ID!, $event: ID!, $record: ID!) {
    ${alias}_una: patient(id: $una) {
      id name version recordCount
      records(first: 5) { totalCount nodes { id diagnosis status } }
      selections { id schedule { id } }
    }
    ${alias}_otto: patient(id: $otto) { id name recordCount records { nodes { id diagnosis } } }
    ${alias}_event: event(id: $event) {
      id title participantCount
      participants { totalCount nodes { id name } }
      schedules { id date time selectionCount selections { id patient { id name } } }
    }
    ${alias}_record: record(id: $record) { id diagnosis status patient { id name } }
  }
`;

/** Warm-up and after-the-mutation check of the bystanders, in one gateway. */
function bystanders(k: ReturnType<typeof kit>, variables: () => Vars) {
  let before: any;
  return {
    async warm() {
      before = await k.warm('bystanders', BYSTANDERS('warm'), variables());
      return before;
    },
    async expectCached(label: string) {
      const same = await k.cached(`${label}: bystanders, same document`, BYSTANDERS('warm'), variables());
      expect(same).toEqual(before);
      const other = await k.cached(`${label}: bystanders, new document`, BYSTANDERS(label), variables());
      expect(Object.values(other)).toEqual(Object.values(before));
    },
  };
}

// Mutations

const CREATE_PATIENT = `mutation ($input: CreatePatientInput!) { createPatient(input: $input) { id name version } }`;
const UPDATE_PATIENT = `mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { id name version } }`;
const CREATE_RECORD = `mutation ($input: CreateRecordInput!) { createRecord(input: $input) { id diagnosis status version } }`;
const UPDATE_RECORD = `mutation ($input: UpdateRecordInput!) { updateRecord(input: $input) { id diagnosis notes status version } }`;
const CREATE_EVENT = `mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title schedules { id date time } } }`;
const SET_SELECTIONS = `mutation ($input: SetSelectionsInput!) { setSelections(input: $input) { id schedule { id } } }`;

// ===========================================================================
// With Redis (shared tier plus L1)
// ===========================================================================

const PATIENT_SEEDS = {
  una: 'Bystander Una',
  otto: 'Bystander Otto',
  zephyr1: 'Zephyr One',
  zephyr2: 'Zephyr Two',
  marigold: 'Marigold Ann',
  marigold2: 'Marigold Bea',
  obsidian: 'Obsidian Dee',
  obsidian2: 'Obsidian Eli',
  cedar: 'Cedar Cole',
  juniper: 'Juniper Jay',
  saffron: 'Saffron Sal',
  xenon: 'Xenon Xia',
  yarrow: 'Yarrow Yan',
  deltaDan: 'Delta Dan',
  deltaDot: 'Delta Dot',
  sam: 'Sigma Sam',
  sue: 'Sigma Sue',
  rex: 'Sigma Rex',
  portia: 'Portia Role',
  friend: 'Portia Friend',
} as const;
type PatientKey = keyof typeof PATIENT_SEEDS;

// In insertion order (so, oldest first); the rows deleteRecords and deletePatient remove are never the newest.
const RECORD_SEEDS = [
  ['x1', 'xenon', 'Xenon flu', 'ACTIVE'],
  ['x2', 'xenon', 'Xenon cough', 'ACTIVE'],
  ['x3', 'xenon', 'Xenon rash', 'PENDING'],
  ['y1', 'yarrow', 'Yarrow sprain', 'ACTIVE'],
  ['y2', 'yarrow', 'Yarrow fever', 'CLOSED'],
  ['obs1', 'obsidian', 'Obsidian cut', 'ACTIVE'],
  ['obs2', 'obsidian', 'Obsidian burn', 'CLOSED'],
  ['marigold1', 'marigold', 'Marigold allergy', 'ACTIVE'],
  ['cedar1', 'cedar', 'Cedar asthma', 'ACTIVE'],
  ['cedar2', 'cedar', 'Cedar migraine', 'ACTIVE'],
  ['juniper1', 'juniper', 'Juniper gastritis', 'ACTIVE'],
  ['juniper2', 'juniper', 'Juniper otitis', 'ACTIVE'],
  ['saffronP', 'saffron', 'Saffron check-up', 'PENDING'],
  ['saffronA', 'saffron', 'Saffron bronchitis', 'ACTIVE'],
  ['saffronC', 'saffron', 'Saffron fracture', 'CLOSED'],
  ['portia1', 'portia', 'Portia eczema', 'ACTIVE'],
  ['una1', 'una', 'Una anemia', 'ACTIVE'],
  ['una2', 'una', 'Una insomnia', 'PENDING'],
  ['otto1', 'otto', 'Otto gout', 'CLOSED'],
] as const;
type RecordKey = (typeof RECORD_SEEDS)[number][0];

// In insertion order: the deleted event is not the newest, the bystanders' event is.
const EVENT_SEEDS = {
  de: { title: 'Delta clinic', slots: 2 },
  ed: { title: 'Obsidian screening', slots: 2 },
  eu: { title: 'Marigold check', slots: 1 },
  se: { title: 'Sigma vaccination day', slots: 4 },
  pe: { title: 'Portia workshop', slots: 3 },
  probe: { title: 'Probe day', slots: 2 },
  be: { title: 'Bystander open day', slots: 3 },
} as const;
type EventKey = keyof typeof EVENT_SEEDS;

// In insertion order: the bystanders' selections (never deleted) are the newest.
const SELECTION_SEEDS = [
  ['danDE0', 'deltaDan', 'de', 0],
  ['dotDE1', 'deltaDot', 'de', 1],
  ['obsED0', 'obsidian', 'ed', 0],
  ['obsED1', 'obsidian', 'ed', 1],
  ['eliED0', 'obsidian2', 'ed', 0],
  ['marigoldEU0', 'marigold', 'eu', 0],
  ['samSE0', 'sam', 'se', 0],
  ['samSE1', 'sam', 'se', 1],
  ['sueSE1', 'sue', 'se', 1],
  ['portiaPE0', 'portia', 'pe', 0],
  ['friendPE0', 'friend', 'pe', 0],
  ['unaBE0', 'una', 'be', 0],
  ['ottoBE0', 'otto', 'be', 0],
  ['ottoBE1', 'otto', 'be', 1],
] as const;
type SelectionKey = (typeof SELECTION_SEEDS)[number][0];

describe.each(['one Redis', 'a Redis Cluster'] as const)('cache invalidation with %s', (mode) => {
  let gw: TestGateway;
  let cluster: RedisCluster | null = null;
  const k = kit(() => gw);
  const rows = {
    patient: {} as Record<PatientKey, number>,
    record: {} as Record<RecordKey, number>,
    event: {} as Record<EventKey, { eventId: number; scheduleIds: number[] }>,
    selection: {} as Record<SelectionKey, number>,
  };
  const P = (key: PatientKey) => gid.patient(rows.patient[key]);
  const R = (key: RecordKey) => gid.record(rows.record[key]);
  const E = (key: EventKey) => gid.event(rows.event[key].eventId);
  const S = (key: EventKey, slot: number) => gid.schedule(rows.event[key].scheduleIds[slot]!);
  const SEL = (key: SelectionKey) => gid.selection(rows.selection[key]);
  const unrelated = bystanders(k, () => ({ una: P('una'), otto: P('otto'), event: E('be'), record: R('una1') }));

  beforeAll(async () => {
    cluster = mode === 'a Redis Cluster' ? await startRedisCluster() : null;
    gw = await createTestGateway({ name: 'cache_inval', cache: true, env: cluster ? { REDIS_CLUSTER_NODES: cluster.nodesSetting } : {} });
    const pool = gw.database.pool;
    const patientKeys = Object.keys(PATIENT_SEEDS) as PatientKey[];
    const patientIds = await insertPatients(
      pool,
      patientKeys.map((key) => ({ name: PATIENT_SEEDS[key], createdAt: fixtureInstant() })),
    );
    patientKeys.forEach((key, index) => (rows.patient[key] = patientIds[index]!));
    const recordIds = await insertRecords(
      pool,
      RECORD_SEEDS.map(([, patient, diagnosis, status]) => ({
        patientId: rows.patient[patient],
        diagnosis,
        status,
        createdAt: fixtureInstant(),
      })),
    );
    RECORD_SEEDS.forEach(([key], index) => (rows.record[key] = recordIds[index]!));
    for (const [key, seed] of Object.entries(EVENT_SEEDS) as [EventKey, (typeof EVENT_SEEDS)[EventKey]][]) {
      rows.event[key] = await insertEvent(pool, { title: seed.title, days: 1, slotsPerDay: seed.slots });
    }
    const selectionIds = await insertSelections(
      pool,
      SELECTION_SEEDS.map(([, patient, event, slot]) => ({
        patientId: rows.patient[patient],
        eventId: rows.event[event].eventId,
        scheduleId: rows.event[event].scheduleIds[slot]!,
      })),
    );
    SELECTION_SEEDS.forEach(([key], index) => (rows.selection[key] = selectionIds[index]!));
  });

  afterAll(async () => {
    await gw?.close();
    await cluster?.stop();
  });

  it('runs on the Redis tier', () => {
    expect(gw.gateway.cache.mode).toBe('redis');
  });

  // -------------------------------------------------------------------------
  // Patients
  // -------------------------------------------------------------------------

  it('createPatient: the new patient appears in its entity, pages, filtered pages and counts; event reads stay cached', async () => {
    const next = await nextId(gw, 'patients');
    const id = gid.patient(next);

    const page = await k.warm('patients(first: 3)', PATIENTS_PAGE, { first: 3 });
    expect(page.patients.nodes).toHaveLength(3);
    const all = await k.warm('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    const filtered = await k.warm('patients(filter)', FILTERED, { needle: 'zephyr' });
    expect(filtered.patients).toEqual({
      totalCount: 2,
      nodes: [
        { id: P('zephyr2'), name: 'Zephyr Two' },
        { id: P('zephyr1'), name: 'Zephyr One' },
      ],
    });
    expect(await k.warm('patient(id) before it exists', PATIENT, { id })).toEqual({ patient: null });
    expect(await k.warm('node(id) before it exists', NODE, { id })).toEqual({ node: null });
    const whole = await k.warm('whole response', WHOLE_PATIENTS, { id, needle: 'zephyr', first: 3 });
    expect(whole.patient).toBeNull();
    await unrelated.warm();
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });

    const created = await k.mutate('createPatient', CREATE_PATIENT, {
      input: { name: 'Zephyr Three', birthDate: '1990-03-04' },
    });
    expect(created.createPatient).toEqual({ id, name: 'Zephyr Three', version: 1 });
    const newNode = { id, name: 'Zephyr Three' };

    const pageAfter = await k.fresh('patients(first: 3)', PATIENTS_PAGE, { first: 3 });
    expect(pageAfter.patients).toEqual({
      totalCount: page.patients.totalCount + 1,
      pageInfo: { hasNextPage: true },
      nodes: [newNode, ...page.patients.nodes.slice(0, 2)],
    });
    const allAfter = await k.fresh('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    expect(allAfter.patients.totalCount).toBe(all.patients.totalCount + 1);
    expect(allAfter.patients.nodes).toEqual([newNode, ...all.patients.nodes]);
    expect((await k.fresh('patients(filter)', FILTERED, { needle: 'zephyr' })).patients).toEqual({
      totalCount: 3,
      nodes: [newNode, ...filtered.patients.nodes],
    });
    expect(await k.fresh('patient(id)', PATIENT, { id })).toEqual({
      patient: { ...newNode, version: 1, recordCount: 0, records: { totalCount: 0, nodes: [] }, selections: [] },
    });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: { ...newNode, version: 1 } });
    expect(await k.fresh('whole response', WHOLE_PATIENTS, { id, needle: 'zephyr', first: 3 })).toEqual({
      patient: { ...newNode, version: 1, recordCount: 0, records: { nodes: [] }, selections: [] },
      node: newNode,
      patients: {
        totalCount: whole.patients.totalCount + 1,
        nodes: [{ ...newNode, recordCount: 0 }, ...whole.patients.nodes.slice(0, 2)],
      },
      filtered: { totalCount: 3, nodes: [newNode, ...filtered.patients.nodes] },
    });

    await unrelated.expectCached('createPatient');
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
  });

  it('updatePatient: the new name shows in the entity, every list holding the patient and filtered pages; other reads stay cached', async () => {
    const id = P('marigold');
    const patient = await k.warm('patient(id)', PATIENT, { id });
    expect(patient.patient).toMatchObject({ name: 'Marigold Ann', version: 1, recordCount: 1 });
    const node = await k.warm('node(id)', NODE, { id });
    const all = await k.warm('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    expect(all.patients.nodes).toContainEqual({ id, name: 'Marigold Ann' });
    const oldName = await k.warm('patients(filter: old name)', FILTERED, { needle: 'marigold' });
    expect(sortedNames(oldName.patients.nodes)).toEqual(['Marigold Ann', 'Marigold Bea']);
    expect(await k.warm('patients(filter: new name)', FILTERED, { needle: 'heliotrope' })).toEqual({
      patients: { totalCount: 0, nodes: [] },
    });
    const record = await k.warm('record(id).patient', RECORD, { id: R('marigold1') });
    expect(record.record.patient).toEqual({ id, name: 'Marigold Ann' });
    const event = await k.warm('event participants', EVENT, { id: E('eu') });
    expect(event.event.participants.nodes).toEqual([{ id, name: 'Marigold Ann' }]);
    const whole = await k.warm('whole response', WHOLE_PATIENTS, { id, needle: 'marigold', first: 50 });
    const own = await k.warm('own data, as the patient', OWN, { id }, { patientId: rows.patient.marigold });
    expect(own.viewer.patient).toEqual({ id, name: 'Marigold Ann' });
    await unrelated.warm();
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });

    const updated = await k.mutate('updatePatient', UPDATE_PATIENT, {
      input: { id, expectedVersion: 1, name: 'Heliotrope Ann' },
    });
    expect(updated.updatePatient).toEqual({ id, name: 'Heliotrope Ann', version: 2 });
    const renamed = { id, name: 'Heliotrope Ann' };
    const rename = (nodes: any[]) => nodes.map((entry) => (entry.id === id ? { ...entry, name: 'Heliotrope Ann' } : entry));

    // First read after the write: only the patient row goes back to MySQL; its record page and
    // count (tagged with the records list, which the rename did not touch) come from the cache.
    const partial = await k.read(
      'records and count of the renamed patient',
      `query ($id: ID!) { renamed: patient(id: $id) { name recordCount records { totalCount nodes { id } } } }`,
      { id },
    );
    expect(partial.data.renamed).toEqual({
      name: 'Heliotrope Ann',
      recordCount: 1,
      records: { totalCount: 1, nodes: [{ id: R('marigold1') }] },
    });
    expect(partial.sqlCount).toBe(1);

    expect(await k.fresh('patient(id)', PATIENT, { id })).toEqual({
      patient: { ...patient.patient, name: 'Heliotrope Ann', version: 2 },
    });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: { ...node.node, name: 'Heliotrope Ann', version: 2 } });
    const allAfter = await k.fresh('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    expect(allAfter.patients).toEqual({ ...all.patients, nodes: rename(all.patients.nodes) });
    expect((await k.fresh('patients(filter: old name)', FILTERED, { needle: 'marigold' })).patients).toEqual({
      totalCount: 1,
      nodes: [{ id: P('marigold2'), name: 'Marigold Bea' }],
    });
    expect((await k.fresh('patients(filter: new name)', FILTERED, { needle: 'heliotrope' })).patients).toEqual({
      totalCount: 1,
      nodes: [renamed],
    });
    expect((await k.fresh('record(id).patient', RECORD, { id: R('marigold1') })).record).toEqual({
      ...record.record,
      patient: renamed,
    });
    const eventAfter = await k.fresh('event participants', EVENT, { id: E('eu') });
    expect(eventAfter.event.participants.nodes).toEqual([renamed]);
    expect(eventAfter.event.schedules[0].selections[0].patient).toEqual(renamed);
    expect(await k.fresh('whole response', WHOLE_PATIENTS, { id, needle: 'marigold', first: 50 })).toEqual({
      patient: { ...whole.patient, name: 'Heliotrope Ann', version: 2 },
      node: renamed,
      patients: { ...whole.patients, nodes: rename(whole.patients.nodes) },
      filtered: { totalCount: 1, nodes: [{ id: P('marigold2'), name: 'Marigold Bea' }] },
    });
    const ownAfter = await k.fresh('own data, as the patient', OWN, { id }, { patientId: rows.patient.marigold });
    expect(ownAfter).toEqual({
      viewer: { role: 'PATIENT', patient: renamed },
      patient: { ...own.patient, name: 'Heliotrope Ann', version: 2 },
    });

    await unrelated.expectCached('updatePatient');
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
  });

  it('deletePatient: the patient, its records and selections are gone from every shape; other reads stay cached', async () => {
    const id = P('obsidian');
    const patient = await k.warm('patient(id)', PATIENT, { id });
    expect(patient.patient).toMatchObject({ name: 'Obsidian Dee', recordCount: 2 });
    expect(ids(patient.patient.records.nodes)).toEqual([R('obs2'), R('obs1')]);
    expect(patient.patient.selections).toHaveLength(2);
    expect((await k.warm('node(id)', NODE, { id })).node).toMatchObject({ name: 'Obsidian Dee' });
    expect((await k.warm('record(id)', RECORD, { id: R('obs1') })).record.patient.id).toBe(id);
    expect((await k.warm('node(record id)', NODE, { id: R('obs2') })).node).toMatchObject({ diagnosis: 'Obsidian burn' });
    expect((await k.warm('node(selection id)', NODE, { id: SEL('obsED1') })).node).toEqual({
      id: SEL('obsED1'),
      patient: { id },
      schedule: { id: S('ed', 1) },
    });
    const all = await k.warm('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    expect(ids(all.patients.nodes)).toContain(id);
    const filtered = await k.warm('patients(filter)', FILTERED, { needle: 'obsidian' });
    expect(filtered.patients.totalCount).toBe(2);
    const event = await k.warm('event(id) with participants and selections', EVENT, { id: E('ed') });
    expect(event.event.participantCount).toBe(2);
    expect(event.event.schedules.map((slot: any) => slot.selectionCount)).toEqual([2, 1]);
    const sibling = await k.warm('patient(id) sharing a slot', PATIENT, { id: P('obsidian2') });
    const whole = await k.warm('whole response', WHOLE_PATIENTS, { id, needle: 'obsidian', first: 50 });
    await unrelated.warm();
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });

    expect(await k.mutate('deletePatient', DELETE_PATIENT, { id })).toEqual({ deletePatient: id });

    expect(await k.fresh('patient(id)', PATIENT, { id })).toEqual({ patient: null });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: null });
    expect(await k.fresh('record(id)', RECORD, { id: R('obs1') })).toEqual({ record: null });
    expect(await k.fresh('node(record id)', NODE, { id: R('obs2') })).toEqual({ node: null });
    expect(await k.fresh('node(selection id)', NODE, { id: SEL('obsED1') })).toEqual({ node: null });
    const allAfter = await k.fresh('patients(first: 50)', PATIENTS_PAGE, { first: 50 });
    expect(allAfter.patients).toEqual({
      ...all.patients,
      totalCount: all.patients.totalCount - 1,
      nodes: all.patients.nodes.filter((entry: any) => entry.id !== id),
    });
    expect((await k.fresh('patients(filter)', FILTERED, { needle: 'obsidian' })).patients).toEqual({
      totalCount: 1,
      nodes: [{ id: P('obsidian2'), name: 'Obsidian Eli' }],
    });
    const eli = { id: P('obsidian2'), name: 'Obsidian Eli' };
    expect(await k.fresh('event(id) with participants and selections', EVENT, { id: E('ed') })).toEqual({
      event: {
        ...event.event,
        participantCount: 1,
        participants: { totalCount: 1, nodes: [eli] },
        schedules: [
          { ...event.event.schedules[0], selectionCount: 1, selections: [{ id: SEL('eliED0'), patient: eli }] },
          { ...event.event.schedules[1], selectionCount: 0, selections: [] },
        ],
      },
    });
    // The sibling's selection sits in a slot whose list changed; its own data did not.
    expect((await k.read('patient(id) sharing a slot', PATIENT, { id: P('obsidian2') })).data).toEqual(sibling);
    expect(await k.fresh('whole response', WHOLE_PATIENTS, { id, needle: 'obsidian', first: 50 })).toEqual({
      patient: null,
      node: null,
      patients: {
        totalCount: whole.patients.totalCount - 1,
        nodes: whole.patients.nodes.filter((entry: any) => entry.id !== id),
      },
      filtered: { totalCount: 1, nodes: [eli] },
    });

    await unrelated.expectCached('deletePatient');
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
  });

  // -------------------------------------------------------------------------
  // Records
  // -------------------------------------------------------------------------

  it('createRecord: the new record appears in the entity, the patient’s pages and counts; patient pages without counts stay cached', async () => {
    const patientId = P('cedar');
    const next = await nextId(gw, 'medical_records');
    const id = gid.record(next);

    const patient = await k.warm('patient(id)', PATIENT, { id: patientId });
    expect(patient.patient.recordCount).toBe(2);
    expect(ids(patient.patient.records.nodes)).toEqual([R('cedar2'), R('cedar1')]);
    const byStatus = await k.warm('records(status:) and recordCount(status:)', RECORDS_BY_STATUS, { id: patientId });
    expect(byStatus.patient).toMatchObject({ pendingCount: 0, activeCount: 2, pending: { totalCount: 0, nodes: [] } });
    expect(await k.warm('record(id) before it exists', RECORD, { id })).toEqual({ record: null });
    expect(await k.warm('node(id) before it exists', NODE, { id })).toEqual({ node: null });
    const counts = await k.warm('patients with recordCount', PATIENTS_WITH_COUNTS);
    expect(counts.patients.nodes).toContainEqual({ id: patientId, recordCount: 2 });
    const whole = await k.warm('whole response', WHOLE_RECORDS, { patient: patientId, record: id });
    const own = await k.warm('own data, as the patient', OWN, { id: patientId }, { patientId: rows.patient.cedar });
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });
    const cedarRow = await k.warm('patient(id), own fields only', `query ($id: ID!) { patient(id: $id) { id name version } }`, {
      id: patientId,
    });

    const created = await k.mutate('createRecord', CREATE_RECORD, {
      input: { patientId, diagnosis: 'Cedar pneumonia', status: 'PENDING' },
    });
    expect(created.createRecord).toEqual({ id, diagnosis: 'Cedar pneumonia', status: 'PENDING', version: 1 });
    const newRecord = { id, diagnosis: 'Cedar pneumonia', status: 'PENDING' };

    // First read after the write: the patient row is still cached, only the count is read again.
    const partial = await k.read('name and count', `query ($id: ID!) { cedar: patient(id: $id) { name recordCount } }`, {
      id: patientId,
    });
    expect(partial.data.cedar).toEqual({ name: 'Cedar Cole', recordCount: 3 });
    expect(partial.sqlCount).toBe(1);

    expect(await k.fresh('patient(id)', PATIENT, { id: patientId })).toEqual({
      patient: {
        ...patient.patient,
        recordCount: 3,
        records: { totalCount: 3, nodes: [newRecord, ...patient.patient.records.nodes] },
      },
    });
    expect(await k.fresh('records(status:) and recordCount(status:)', RECORDS_BY_STATUS, { id: patientId })).toEqual({
      patient: {
        ...byStatus.patient,
        recordCount: 3,
        pendingCount: 1,
        pending: { totalCount: 1, nodes: [{ id, status: 'PENDING' }] },
      },
    });
    expect(await k.fresh('record(id)', RECORD, { id })).toEqual({
      record: { id, diagnosis: 'Cedar pneumonia', notes: null, status: 'PENDING', version: 1, patient: { id: patientId, name: 'Cedar Cole' } },
    });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: { ...newRecord, version: 1 } });
    const countsAfter = await k.fresh('patients with recordCount', PATIENTS_WITH_COUNTS);
    expect(countsAfter.patients).toEqual({
      ...counts.patients,
      nodes: counts.patients.nodes.map((entry: any) => (entry.id === patientId ? { id: patientId, recordCount: 3 } : entry)),
    });
    expect(await k.fresh('whole response', WHOLE_RECORDS, { patient: patientId, record: id })).toEqual({
      record: { ...newRecord, version: 1 },
      node: newRecord,
      patient: {
        ...whole.patient,
        recordCount: 3,
        records: { totalCount: 3, nodes: [newRecord, ...whole.patient.records.nodes] },
      },
      patients: { nodes: countsAfter.patients.nodes },
    });
    const ownAfter = await k.fresh('own data, as the patient', OWN, { id: patientId }, { patientId: rows.patient.cedar });
    expect(ownAfter.patient.recordCount).toBe(3);
    expect(ownAfter.patient.records).toEqual({
      totalCount: 3,
      nodes: [{ id, diagnosis: 'Cedar pneumonia' }, ...own.patient.records.nodes],
    });

    await unrelated.expectCached('createRecord');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
    expect(
      await k.cached('patient(id), own fields only', `query ($id: ID!) { patient(id: $id) { id name version } }`, { id: patientId }),
    ).toEqual(cedarRow);
  });

  it('updateRecord without a status change: the record is fresh everywhere; its patient’s counts and sibling record stay cached', async () => {
    const id = R('juniper1');
    const patientId = P('juniper');
    const record = await k.warm('record(id)', RECORD, { id });
    expect(record.record).toMatchObject({ diagnosis: 'Juniper gastritis', notes: null, version: 1 });
    const node = await k.warm('node(id)', NODE, { id });
    const sibling = await k.warm('record(id) of the sibling', RECORD, { id: R('juniper2') });
    const patient = await k.warm('patient(id)', PATIENT, { id: patientId });
    const byStatus = await k.warm('records(status:)', RECORDS_BY_STATUS, { id: patientId });
    const whole = await k.warm('whole response', WHOLE_RECORDS, { patient: patientId, record: id });
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });
    const COUNTS = `query JuniperCounts($id: ID!) { patient(id: $id) { recordCount active: recordCount(status: ACTIVE) } }`;
    const counts = await k.warm('recordCount', COUNTS, { id: patientId });

    const updated = await k.mutate('updateRecord', UPDATE_RECORD, {
      input: { id, expectedVersion: 1, diagnosis: 'Juniper chronic gastritis', notes: 'Reviewed' },
    });
    expect(updated.updateRecord).toEqual({ id, diagnosis: 'Juniper chronic gastritis', notes: 'Reviewed', status: 'ACTIVE', version: 2 });
    const changed = (entry: any) => (entry.id === id ? { ...entry, diagnosis: 'Juniper chronic gastritis' } : entry);

    expect(await k.fresh('record(id)', RECORD, { id })).toEqual({
      record: { ...record.record, diagnosis: 'Juniper chronic gastritis', notes: 'Reviewed', version: 2 },
    });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({
      node: { ...node.node, diagnosis: 'Juniper chronic gastritis', version: 2 },
    });
    expect(await k.fresh('patient(id)', PATIENT, { id: patientId })).toEqual({
      patient: { ...patient.patient, records: { ...patient.patient.records, nodes: patient.patient.records.nodes.map(changed) } },
    });
    expect(await k.fresh('records(status:)', RECORDS_BY_STATUS, { id: patientId })).toEqual(byStatus);
    expect(await k.fresh('whole response', WHOLE_RECORDS, { patient: patientId, record: id })).toEqual({
      ...whole,
      record: { ...whole.record, diagnosis: 'Juniper chronic gastritis', version: 2 },
      node: { ...whole.node, diagnosis: 'Juniper chronic gastritis' },
      patient: { ...whole.patient, records: { ...whole.patient.records, nodes: whole.patient.records.nodes.map(changed) } },
    });

    expect(await k.cached('record(id) of the sibling', RECORD, { id: R('juniper2') })).toEqual(sibling);
    expect(await k.cached('recordCount', COUNTS, { id: patientId })).toEqual(counts);
    expect(
      await k.cached('recordCount, new document', `query ($id: ID!) { again: patient(id: $id) { recordCount active: recordCount(status: ACTIVE) } }`, {
        id: patientId,
      }),
    ).toEqual({ again: counts.patient });
    await unrelated.expectCached('updateRecordContent');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
  });

  it('updateRecord with a status change: the record moves between records(status:) pages and recordCount(status:)', async () => {
    const id = R('saffronA');
    const patientId = P('saffron');
    const byStatus = await k.warm('records(status:) and recordCount(status:)', RECORDS_BY_STATUS, { id: patientId });
    expect(byStatus.patient).toEqual({
      id: patientId,
      recordCount: 3,
      pendingCount: 1,
      activeCount: 1,
      closedCount: 1,
      pending: { totalCount: 1, nodes: [{ id: R('saffronP'), status: 'PENDING' }] },
      active: { totalCount: 1, nodes: [{ id, status: 'ACTIVE' }] },
      closed: { totalCount: 1, nodes: [{ id: R('saffronC'), status: 'CLOSED' }] },
    });
    const record = await k.warm('record(id)', RECORD, { id });
    expect((await k.warm('node(id)', NODE, { id })).node.status).toBe('ACTIVE');
    const patient = await k.warm('patient(id)', PATIENT, { id: patientId });
    const whole = await k.warm('whole response', WHOLE_RECORDS, { patient: patientId, record: id });
    expect(whole.patient.active).toBe(1);
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });
    const ROW = `query SaffronRow($id: ID!) { patient(id: $id) { id name version } }`;
    const row = await k.warm('patient(id), own fields only', ROW, { id: patientId });

    const updated = await k.mutate('updateRecord', UPDATE_RECORD, { input: { id, expectedVersion: 1, status: 'CLOSED' } });
    expect(updated.updateRecord).toMatchObject({ id, status: 'CLOSED', version: 2 });

    expect(await k.fresh('records(status:) and recordCount(status:)', RECORDS_BY_STATUS, { id: patientId })).toEqual({
      patient: {
        id: patientId,
        recordCount: 3,
        pendingCount: 1,
        activeCount: 0,
        closedCount: 2,
        pending: byStatus.patient.pending,
        active: { totalCount: 0, nodes: [] },
        // Newest first: saffronC was created after saffronA.
        closed: {
          totalCount: 2,
          nodes: [
            { id: R('saffronC'), status: 'CLOSED' },
            { id, status: 'CLOSED' },
          ],
        },
      },
    });
    expect(await k.fresh('record(id)', RECORD, { id })).toEqual({ record: { ...record.record, status: 'CLOSED', version: 2 } });
    expect((await k.fresh('node(id)', NODE, { id })).node).toMatchObject({ status: 'CLOSED', version: 2 });
    const closed = (entry: any) => (entry.id === id ? { ...entry, status: 'CLOSED' } : entry);
    expect(await k.fresh('patient(id)', PATIENT, { id: patientId })).toEqual({
      patient: { ...patient.patient, records: { ...patient.patient.records, nodes: patient.patient.records.nodes.map(closed) } },
    });
    expect(await k.fresh('whole response', WHOLE_RECORDS, { patient: patientId, record: id })).toEqual({
      ...whole,
      record: { ...whole.record, status: 'CLOSED', version: 2 },
      node: { ...whole.node, status: 'CLOSED' },
      patient: {
        ...whole.patient,
        active: 0,
        records: { ...whole.patient.records, nodes: whole.patient.records.nodes.map(closed) },
      },
    });

    expect(await k.cached('patient(id), own fields only', ROW, { id: patientId })).toEqual(row);
    await unrelated.expectCached('updateRecordStatus');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
  });

  it('deleteRecords: the records vanish from both patients’ pages and counts; other reads stay cached', async () => {
    const [x1, y1] = [R('x1'), R('y1')];
    const xenon = P('xenon');
    const yarrow = P('yarrow');
    expect((await k.warm('record(id)', RECORD, { id: x1 })).record.diagnosis).toBe('Xenon flu');
    expect((await k.warm('node(id)', NODE, { id: y1 })).node.diagnosis).toBe('Yarrow sprain');
    const xenonPatient = await k.warm('patient(id) of the first patient', PATIENT, { id: xenon });
    expect(ids(xenonPatient.patient.records.nodes)).toEqual([R('x3'), R('x2'), x1]);
    const yarrowPatient = await k.warm('patient(id) of the second patient', PATIENT, { id: yarrow });
    expect(ids(yarrowPatient.patient.records.nodes)).toEqual([R('y2'), y1]);
    const byStatus = await k.warm('records(status:)', RECORDS_BY_STATUS, { id: xenon });
    expect(byStatus.patient.activeCount).toBe(2);
    const counts = await k.warm('patients with recordCount', PATIENTS_WITH_COUNTS);
    const whole = await k.warm('whole response', WHOLE_RECORDS, { patient: xenon, record: x1 });
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });

    const deleted = await k.mutate('deleteRecords', DELETE_RECORDS, { ids: [x1, y1, gid.record(987_654)] });
    expect(deleted.deleteRecords).toEqual([x1, y1]);
    const without = (nodes: any[]) => nodes.filter((entry) => entry.id !== x1 && entry.id !== y1);

    expect(await k.fresh('record(id)', RECORD, { id: x1 })).toEqual({ record: null });
    expect(await k.fresh('node(id)', NODE, { id: y1 })).toEqual({ node: null });
    expect(await k.fresh('patient(id) of the first patient', PATIENT, { id: xenon })).toEqual({
      patient: { ...xenonPatient.patient, recordCount: 2, records: { totalCount: 2, nodes: without(xenonPatient.patient.records.nodes) } },
    });
    expect(await k.fresh('patient(id) of the second patient', PATIENT, { id: yarrow })).toEqual({
      patient: { ...yarrowPatient.patient, recordCount: 1, records: { totalCount: 1, nodes: without(yarrowPatient.patient.records.nodes) } },
    });
    expect(await k.fresh('records(status:)', RECORDS_BY_STATUS, { id: xenon })).toEqual({
      patient: {
        ...byStatus.patient,
        recordCount: 2,
        activeCount: 1,
        active: { totalCount: 1, nodes: [{ id: R('x2'), status: 'ACTIVE' }] },
      },
    });
    const countsAfter = await k.fresh('patients with recordCount', PATIENTS_WITH_COUNTS);
    expect(countsAfter.patients.nodes).toEqual(
      counts.patients.nodes.map((entry: any) =>
        entry.id === xenon ? { id: xenon, recordCount: 2 } : entry.id === yarrow ? { id: yarrow, recordCount: 1 } : entry,
      ),
    );
    expect(await k.fresh('whole response', WHOLE_RECORDS, { patient: xenon, record: x1 })).toEqual({
      record: null,
      node: null,
      patient: {
        ...whole.patient,
        recordCount: 2,
        active: 1,
        records: { totalCount: 2, nodes: without(whole.patient.records.nodes) },
      },
      patients: { nodes: countsAfter.patients.nodes },
    });

    expect(
      await k.cached('patient(id), own fields only', `query ($id: ID!) { xenon: patient(id: $id) { id name version } }`, { id: xenon }),
    ).toEqual({ xenon: { id: xenon, name: 'Xenon Xia', version: 1 } });
    await unrelated.expectCached('deleteRecords');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
  });

  // -------------------------------------------------------------------------
  // Events and selections
  // -------------------------------------------------------------------------

  it('createEvent: the new event appears in the entity, the event page and its count; patient reads stay cached', async () => {
    const next = await nextId(gw, 'events');
    const id = gid.event(next);
    const page = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });
    expect(await k.warm('event(id) before it exists', EVENT, { id })).toEqual({ event: null });
    expect(await k.warm('node(id) before it exists', NODE, { id })).toEqual({ node: null });
    const whole = await k.warm('whole response', WHOLE_EVENTS, { event: id, patient: P('juniper') });
    expect(whole.event).toBeNull();
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });

    const created = await k.mutate('createEvent', CREATE_EVENT, {
      input: {
        title: 'Flu shots',
        description: 'Walk-in',
        slots: [
          { date: '2026-12-14', time: '09:00' },
          { date: '2026-12-14', time: '09:30' },
          { date: '2026-12-15', time: '10:00' },
        ],
      },
    });
    expect(created.createEvent).toMatchObject({ id, title: 'Flu shots' });
    const slots = created.createEvent.schedules as { id: string; date: string; time: string }[];
    expect(slots).toHaveLength(3);

    const pageAfter = await k.fresh('events(first: 50)', EVENTS_PAGE, { first: 50 });
    expect(pageAfter.events.totalCount).toBe(page.events.totalCount + 1);
    expect(pageAfter.events.nodes).toHaveLength(page.events.nodes.length + 1);
    expect(pageAfter.events.nodes).toEqual(expect.arrayContaining([{ id, title: 'Flu shots' }, ...page.events.nodes]));
    const expectedSchedules = slots.map((slot) => ({ ...slot, selectionCount: 0, selections: [] }));
    expect(await k.fresh('event(id)', EVENT, { id })).toEqual({
      event: {
        id,
        title: 'Flu shots',
        participantCount: 0,
        participants: { totalCount: 0, nodes: [] },
        schedules: expectedSchedules,
      },
    });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: { id, title: 'Flu shots' } });
    expect(await k.fresh('whole response', WHOLE_EVENTS, { event: id, patient: P('juniper') })).toEqual({
      event: {
        id,
        title: 'Flu shots',
        participantCount: 0,
        participants: { totalCount: 0, nodes: [] },
        schedules: slots.map((slot) => ({ id: slot.id, selectionCount: 0, selections: [] })),
      },
      node: { id, title: 'Flu shots' },
      events: pageAfter.events,
      patient: whole.patient,
    });

    await unrelated.expectCached('createEvent');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
  });

  it('createEvent: node(id) of a slot id read before the slot existed is fresh afterwards', async () => {
    // Ids are handed out in order, so the new slots take ids from just after the newest one.
    const first = await nextId(gw, 'schedules');
    const upcoming = Array.from({ length: 4 }, (_, index) => gid.schedule(first + index));
    for (const id of upcoming) expect(await k.warm('node(schedule id) before it exists', NODE, { id })).toEqual({ node: null });
    expect(await k.warm('nodes(schedule ids) before they exist', NODES, { ids: upcoming })).toEqual({
      nodes: upcoming.map(() => null),
    });

    const created = await k.mutate('createEvent', CREATE_EVENT, {
      input: { title: 'Slot probe', slots: [{ date: '2026-12-21', time: '08:00' }, { date: '2026-12-21', time: '08:15' }] },
    });
    const slots = created.createEvent.schedules as { id: string; date: string; time: string }[];
    // The probe only means something if the new slots got ids read above.
    expect(upcoming).toEqual(expect.arrayContaining(slots.map((slot) => slot.id)));

    const expected = new Map(slots.map((slot) => [slot.id, { ...slot, selectionCount: 0 }]));
    for (const slot of slots) {
      expect(await k.fresh('node(schedule id)', NODE, { id: slot.id })).toEqual({ node: expected.get(slot.id) });
    }
    expect(await k.fresh('nodes(schedule ids)', NODES, { ids: upcoming })).toEqual({
      nodes: upcoming.map((id) => expected.get(id) ?? null),
    });
  });

  it('deleteEvent: the event, its slots and selections are gone from every shape; other reads stay cached', async () => {
    const id = E('de');
    const dan = P('deltaDan');
    const event = await k.warm('event(id)', EVENT, { id });
    expect(event.event).toMatchObject({ title: 'Delta clinic', participantCount: 2 });
    expect((await k.warm('node(id)', NODE, { id })).node).toEqual({ id, title: 'Delta clinic' });
    expect((await k.warm('node(schedule id)', NODE, { id: S('de', 0) })).node).toMatchObject({ id: S('de', 0), selectionCount: 1 });
    expect((await k.warm('node(selection id)', NODE, { id: SEL('danDE0') })).node).toEqual({
      id: SEL('danDE0'),
      patient: { id: dan },
      schedule: { id: S('de', 0) },
    });
    const page = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });
    expect(ids(page.events.nodes)).toContain(id);
    const danPatient = await k.warm('patient(id).selections', PATIENT, { id: dan });
    expect(danPatient.patient.selections).toEqual([{ id: SEL('danDE0'), schedule: { id: S('de', 0) } }]);
    expect(await k.warm('patient.selections(eventId:)', SELECTIONS_IN_EVENT, { id: dan, event: id })).toEqual({
      patient: { id: dan, selections: [{ id: SEL('danDE0'), schedule: { id: S('de', 0) } }] },
    });
    const dotPatient = await k.warm('patient(id).selections of the other participant', PATIENT, { id: P('deltaDot') });
    expect(dotPatient.patient.selections).toHaveLength(1);
    const whole = await k.warm('whole response', WHOLE_EVENTS, { event: id, patient: dan });
    await unrelated.warm();
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });
    const DAN_ROW = `query DanRow($id: ID!) { patient(id: $id) { id name recordCount } }`;
    const danRow = await k.warm('patient(id), own fields and count', DAN_ROW, { id: dan });

    expect(await k.mutate('deleteEvent', DELETE_EVENT, { id })).toEqual({ deleteEvent: id });

    expect(await k.fresh('event(id)', EVENT, { id })).toEqual({ event: null });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: null });
    expect(await k.fresh('node(schedule id)', NODE, { id: S('de', 0) })).toEqual({ node: null });
    expect(await k.fresh('node(selection id)', NODE, { id: SEL('danDE0') })).toEqual({ node: null });
    const pageAfter = await k.fresh('events(first: 50)', EVENTS_PAGE, { first: 50 });
    expect(pageAfter.events).toEqual({
      totalCount: page.events.totalCount - 1,
      nodes: page.events.nodes.filter((entry: any) => entry.id !== id),
    });
    expect(await k.fresh('patient(id).selections', PATIENT, { id: dan })).toEqual({
      patient: { ...danPatient.patient, selections: [] },
    });
    expect(await k.fresh('patient.selections(eventId:)', SELECTIONS_IN_EVENT, { id: dan, event: id })).toEqual({
      patient: { id: dan, selections: [] },
    });
    expect(await k.fresh('patient(id).selections of the other participant', PATIENT, { id: P('deltaDot') })).toEqual({
      patient: { ...dotPatient.patient, selections: [] },
    });
    expect(await k.fresh('whole response', WHOLE_EVENTS, { event: id, patient: dan })).toEqual({
      event: null,
      node: null,
      events: pageAfter.events,
      patient: { ...whole.patient, selections: [] },
    });

    expect(await k.cached('patient(id), own fields and count', DAN_ROW, { id: dan })).toEqual(danRow);
    await unrelated.expectCached('deleteEvent');
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
  });

  it('setSelections: changed picks show in slot lists, slot counts, the patient’s selections; untouched slots stay cached', async () => {
    const eventId = E('se');
    const sam = P('sam');
    const sue = P('sue');
    const samNode = { id: sam, name: 'Sigma Sam' };
    const sueNode = { id: sue, name: 'Sigma Sue' };
    const event = await k.warm('event(id)', EVENT, { id: eventId });
    expect(event.event.participants).toEqual({ totalCount: 2, nodes: [samNode, sueNode] });
    expect(event.event.schedules.map((slot: any) => slot.selectionCount)).toEqual([1, 2, 0, 0]);
    const samPatient = await k.warm('patient(id).selections', PATIENT, { id: sam });
    expect(samPatient.patient.selections).toEqual([
      { id: SEL('samSE0'), schedule: { id: S('se', 0) } },
      { id: SEL('samSE1'), schedule: { id: S('se', 1) } },
    ]);
    await k.warm('patient.selections(eventId:)', SELECTIONS_IN_EVENT, { id: sam, event: eventId });
    expect((await k.warm('node(dropped selection)', NODE, { id: SEL('samSE0') })).node).not.toBeNull();
    const kept = await k.warm('node(kept selection)', NODE, { id: SEL('samSE1') });
    const whole = await k.warm('whole response', WHOLE_EVENTS, { event: eventId, patient: sam });
    const own = await k.warm('own data, as the patient', OWN, { id: sam }, { patientId: rows.patient.sam });
    const suePatient = await k.warm('patient(id) of a participant in an unchanged slot', PATIENT, { id: sue });
    await unrelated.warm();
    const events = await k.warm('events(first: 50)', EVENTS_PAGE, { first: 50 });
    const names = await k.warm('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 });

    // Drop slot 0, keep slot 1, add slot 2.
    const set = await k.mutate('setSelections', SET_SELECTIONS, {
      input: { eventId, patientId: sam, scheduleIds: [S('se', 1), S('se', 2)] },
    });
    const picks = set.setSelections as { id: string; schedule: { id: string } }[];
    expect(picks.map((pick) => pick.schedule.id)).toEqual([S('se', 1), S('se', 2)]);
    expect(picks[0]!.id).toBe(SEL('samSE1'));
    const added = picks[1]!.id;

    // First read after the write: the event and its slots are still cached; only the counts of
    // the two changed slots are read again (one statement for both).
    const partial = await k.read(
      'slot counts',
      `query ($id: ID!) { slots: event(id: $id) { title schedules { id selectionCount } } }`,
      { id: eventId },
    );
    expect(partial.data.slots.schedules.map((slot: any) => slot.selectionCount)).toEqual([0, 2, 1, 0]);
    expect(partial.sqlCount).toBe(1);

    const [slot0, slot1, slot2, slot3] = event.event.schedules;
    expect(await k.fresh('event(id)', EVENT, { id: eventId })).toEqual({
      event: {
        ...event.event,
        participantCount: 2,
        participants: { totalCount: 2, nodes: [samNode, sueNode] },
        schedules: [
          { ...slot0, selectionCount: 0, selections: [] },
          slot1,
          { ...slot2, selectionCount: 1, selections: [{ id: added, patient: samNode }] },
          slot3,
        ],
      },
    });
    expect(await k.fresh('patient(id).selections', PATIENT, { id: sam })).toEqual({
      patient: { ...samPatient.patient, selections: picks },
    });
    expect(await k.fresh('patient.selections(eventId:)', SELECTIONS_IN_EVENT, { id: sam, event: eventId })).toEqual({
      patient: { id: sam, selections: picks },
    });
    expect(await k.fresh('node(dropped selection)', NODE, { id: SEL('samSE0') })).toEqual({ node: null });
    expect(await k.fresh('node(kept selection)', NODE, { id: SEL('samSE1') })).toEqual(kept);
    expect(await k.fresh('whole response', WHOLE_EVENTS, { event: eventId, patient: sam })).toEqual({
      ...whole,
      event: {
        ...whole.event,
        schedules: [
          { ...whole.event.schedules[0], selectionCount: 0, selections: [] },
          whole.event.schedules[1],
          { ...whole.event.schedules[2], selectionCount: 1, selections: [{ id: added, patient: { id: sam } }] },
          whole.event.schedules[3],
        ],
      },
      patient: { id: sam, selections: picks },
    });
    expect(await k.fresh('own data, as the patient', OWN, { id: sam }, { patientId: rows.patient.sam })).toEqual({
      ...own,
      patient: { ...own.patient, selections: picks },
    });

    // Sue's pick is in slot 1, which kept its selections: her list, rows and counts were not touched.
    expect(await k.cached('patient(id) of a participant in an unchanged slot', PATIENT, { id: sue })).toEqual(suePatient);
    await unrelated.expectCached('setSelections');
    expect(await k.cached('events(first: 50)', EVENTS_PAGE, { first: 50 })).toEqual(events);
    expect(await k.cached('patients(first: 50), names only', PATIENTS_PAGE, { first: 50 })).toEqual(names);
  });

  it('setSelections: a patient joining and one leaving change participants and participantCount', async () => {
    const eventId = E('se');
    const rex = P('rex');
    const sue = P('sue');
    const PARTICIPANTS = /* GraphQL */ `
      query Participants($id: ID!) {
        event(id: $id) { participantCount participants(first: 20) { totalCount nodes { id } } schedules { id selectionCount } }
      }
    `;
    const before = await k.warm('participants', PARTICIPANTS, { id: eventId });
    expect(ids(before.event.participants.nodes)).toEqual([P('sam'), sue]);
    const counts = before.event.schedules.map((slot: any) => slot.selectionCount) as number[];
    expect((await k.warm('patient(id) joining', PATIENT, { id: rex })).patient.selections).toEqual([]);
    const suePatient = await k.warm('patient(id) leaving', PATIENT, { id: sue });
    expect(suePatient.patient.selections).toEqual([{ id: SEL('sueSE1'), schedule: { id: S('se', 1) } }]);
    expect((await k.warm('node(selection) of the leaver', NODE, { id: SEL('sueSE1') })).node).not.toBeNull();
    await unrelated.warm();

    const joined = await k.mutate('setSelections (join)', SET_SELECTIONS, {
      input: { eventId, patientId: rex, scheduleIds: [S('se', 3)] },
    });
    expect(await k.fresh('participants', PARTICIPANTS, { id: eventId })).toEqual({
      event: {
        participantCount: 3,
        participants: { totalCount: 3, nodes: [{ id: P('sam') }, { id: sue }, { id: rex }] },
        schedules: before.event.schedules.map((slot: any, index: number) => ({
          ...slot,
          selectionCount: counts[index]! + (index === 3 ? 1 : 0),
        })),
      },
    });
    expect((await k.fresh('patient(id) joining', PATIENT, { id: rex })).patient.selections).toEqual(joined.setSelections);
    await k.warm('participants', PARTICIPANTS, { id: eventId });

    expect(await k.mutate('setSelections (leave)', SET_SELECTIONS, { input: { eventId, patientId: sue, scheduleIds: [] } })).toEqual({
      setSelections: [],
    });
    expect(await k.fresh('participants', PARTICIPANTS, { id: eventId })).toEqual({
      event: {
        participantCount: 2,
        participants: { totalCount: 2, nodes: [{ id: P('sam') }, { id: rex }] },
        schedules: before.event.schedules.map((slot: any, index: number) => ({
          ...slot,
          selectionCount: counts[index]! + (index === 3 ? 1 : 0) - (index === 1 ? 1 : 0),
        })),
      },
    });
    expect(await k.fresh('patient(id) leaving', PATIENT, { id: sue })).toEqual({ patient: { ...suePatient.patient, selections: [] } });
    expect(await k.fresh('node(selection) of the leaver', NODE, { id: SEL('sueSE1') })).toEqual({ node: null });

    await unrelated.expectCached('joinAndLeave');
  });

  it('setSelections: node(id) of a selection id read before the selection existed is fresh afterwards', async () => {
    // Ids are handed out in order, so the new selection takes an id from just after the newest one
    // (a few more in case the newest was deleted: auto-increment ids are not reused).
    const first = await nextId(gw, 'selections');
    const upcoming = Array.from({ length: 4 }, (_, index) => gid.selection(first + index));
    for (const id of upcoming) expect(await k.warm('node(selection id) before it exists', NODE, { id })).toEqual({ node: null });
    expect(await k.warm('nodes(selection ids) before they exist', NODES, { ids: upcoming })).toEqual({
      nodes: upcoming.map(() => null),
    });

    const set = await k.mutate('setSelections', SET_SELECTIONS, {
      input: { eventId: E('probe'), patientId: P('zephyr2'), scheduleIds: [S('probe', 0)] },
    });
    const [pick] = set.setSelections as { id: string; schedule: { id: string } }[];
    // The probe only means something if the new selection got an id read above.
    expect(upcoming).toContain(pick!.id);

    const expected = { id: pick!.id, patient: { id: P('zephyr2') }, schedule: { id: S('probe', 0) } };
    expect(await k.fresh('node(selection id)', NODE, { id: pick!.id })).toEqual({ node: expected });
    expect(await k.fresh('nodes(selection ids)', NODES, { ids: upcoming })).toEqual({
      nodes: upcoming.map((id) => (id === pick!.id ? expected : null)),
    });
  });

  // -------------------------------------------------------------------------
  // A patient reading their own data
  // -------------------------------------------------------------------------

  it('a patient reading their own data sees admin mutations at once, and an admin sees the patient’s own setSelections', async () => {
    const self = rows.patient.portia;
    const id = P('portia');
    const asSelf: Caller = { patientId: self };
    const eventId = E('pe');
    const own = await k.warm('own data', OWN, { id }, asSelf);
    expect(own).toEqual({
      viewer: { role: 'PATIENT', patient: { id, name: 'Portia Role' } },
      patient: {
        id,
        name: 'Portia Role',
        version: 1,
        recordCount: 1,
        records: { totalCount: 1, nodes: [{ id: R('portia1'), diagnosis: 'Portia eczema' }] },
        selections: [{ id: SEL('portiaPE0'), schedule: { id: S('pe', 0) } }],
      },
    });
    expect(await k.warm('own patient list', PATIENTS_PAGE, { first: 3 }, asSelf)).toEqual({
      patients: { totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [{ id, name: 'Portia Role' }] },
    });
    const event = await k.warm('event(id), as the patient', EVENT, { id: eventId }, asSelf);
    expect(event.event.participantCount).toBe(2);
    expect(event.event.participants).toEqual({ totalCount: 1, nodes: [{ id, name: 'Portia Role' }] });
    expect(event.event.schedules.map((slot: any) => slot.selectionCount)).toEqual([2, 0, 0]);
    expect(event.event.schedules[0].selections).toEqual([{ id: SEL('portiaPE0'), patient: { id, name: 'Portia Role' } }]);
    expect((await k.warm('own record', RECORD, { id: R('portia1') }, asSelf)).record.patient.name).toBe('Portia Role');
    const OTHER_EVENT = `query OtherEvent($id: ID!) { event(id: $id) { title participantCount schedules { id selectionCount } } }`;
    const otherEvent = await k.warm('another event, as the patient', OTHER_EVENT, { id: E('be') }, asSelf);
    const adminEvent = await k.warm('event(id), as an admin', EVENT, { id: eventId });
    await unrelated.warm();

    await k.mutate('updatePatient', UPDATE_PATIENT, { input: { id, expectedVersion: 1, name: 'Portia Renamed' } });
    const record = await k.mutate('createRecord', CREATE_RECORD, { input: { patientId: id, diagnosis: 'Portia dermatitis' } });
    const set = await k.mutate('setSelections', SET_SELECTIONS, { input: { eventId, patientId: id, scheduleIds: [S('pe', 1)] } });
    const renamed = { id, name: 'Portia Renamed' };

    expect(await k.fresh('own data', OWN, { id }, asSelf)).toEqual({
      viewer: { role: 'PATIENT', patient: renamed },
      patient: {
        ...renamed,
        version: 2,
        recordCount: 2,
        records: {
          totalCount: 2,
          nodes: [{ id: record.createRecord.id, diagnosis: 'Portia dermatitis' }, ...own.patient.records.nodes],
        },
        selections: set.setSelections,
      },
    });
    expect(await k.fresh('own patient list', PATIENTS_PAGE, { first: 3 }, asSelf)).toEqual({
      patients: { totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [renamed] },
    });
    const [slot0, slot1, slot2] = event.event.schedules;
    expect(await k.fresh('event(id), as the patient', EVENT, { id: eventId }, asSelf)).toEqual({
      event: {
        ...event.event,
        participantCount: 2,
        participants: { totalCount: 1, nodes: [renamed] },
        schedules: [
          // The friend's pick stays counted but is not shown to this patient.
          { ...slot0, selectionCount: 1, selections: [] },
          { ...slot1, selectionCount: 1, selections: [{ id: set.setSelections[0].id, patient: renamed }] },
          slot2,
        ],
      },
    });
    expect((await k.fresh('own record', RECORD, { id: R('portia1') }, asSelf)).record.patient).toEqual(renamed);
    expect(await k.cached('another event, as the patient', OTHER_EVENT, { id: E('be') }, asSelf)).toEqual(otherEvent);

    // The patient changes their own picks; the admin's view follows.
    await k.warm('event(id), as an admin', EVENT, { id: eventId });
    const own2 = await k.warm('own data', OWN, { id }, asSelf);
    const mine = await k.mutate('setSelections, as the patient', SET_SELECTIONS, {
      input: { eventId, patientId: id, scheduleIds: [S('pe', 2)] },
    }, asSelf);
    expect((mine.setSelections as any[]).map((pick) => pick.schedule.id)).toEqual([S('pe', 2)]);
    expect(await k.fresh('own data', OWN, { id }, asSelf)).toEqual({
      ...own2,
      patient: { ...own2.patient, selections: mine.setSelections },
    });
    const adminAfter = await k.fresh('event(id), as an admin', EVENT, { id: eventId });
    expect(adminAfter.event.schedules.map((slot: any) => slot.selectionCount)).toEqual([1, 0, 1]);
    expect(adminAfter.event.schedules[2].selections).toEqual([{ id: mine.setSelections[0].id, patient: renamed }]);
    expect(adminAfter.event.participants.nodes).toEqual(
      adminEvent.event.participants.nodes.map((entry: any) => (entry.id === id ? renamed : entry)),
    );
    expect(await k.cached('another event, as the patient', OTHER_EVENT, { id: E('be') }, asSelf)).toEqual(otherEvent);
    await unrelated.expectCached('patientRole');
  });
});

// ===========================================================================
// In-process cache only (REDIS_URL=off)
// ===========================================================================

describe('cache invalidation with the in-process cache only', () => {
  let gw: TestGateway;
  const k = kit(() => gw);
  const row = {
    lia: 0,
    bo: 0,
    cy: 0,
    lia1: 0,
    bo1: 0,
    event: { eventId: 0, scheduleIds: [] as number[] },
    other: { eventId: 0, scheduleIds: [] as number[] },
    liaPick: 0,
  };
  const unrelated = bystanders(k, () => ({
    una: gid.patient(row.bo),
    otto: gid.patient(row.cy),
    event: gid.event(row.other.eventId),
    record: gid.record(row.bo1),
  }));

  beforeAll(async () => {
    gw = await createTestGateway({ name: 'cache_inval_local', cache: true, env: { REDIS_URL: 'off' } });
    const pool = gw.database.pool;
    [row.lia, row.bo, row.cy] = (await insertPatients(pool, [
      { name: 'Local Lia', createdAt: fixtureInstant() },
      { name: 'Local Bo', createdAt: fixtureInstant() },
      { name: 'Local Cy', createdAt: fixtureInstant() },
    ])) as [number, number, number];
    [row.lia1, row.bo1] = (await insertRecords(pool, [
      { patientId: row.lia, diagnosis: 'Lia bronchitis', status: 'ACTIVE', createdAt: fixtureInstant() },
      { patientId: row.bo, diagnosis: 'Bo sprain', status: 'ACTIVE', createdAt: fixtureInstant() },
      { patientId: row.cy, diagnosis: 'Cy otitis', status: 'CLOSED', createdAt: fixtureInstant() },
    ])) as [number, number, number];
    row.event = await insertEvent(pool, { title: 'Local day', days: 1, slotsPerDay: 2 });
    row.other = await insertEvent(pool, { title: 'Local other day', days: 1, slotsPerDay: 2 });
    [row.liaPick] = (await insertSelections(pool, [
      { patientId: row.lia, eventId: row.event.eventId, scheduleId: row.event.scheduleIds[0]! },
      { patientId: row.bo, eventId: row.other.eventId, scheduleId: row.other.scheduleIds[0]! },
      { patientId: row.cy, eventId: row.other.eventId, scheduleId: row.other.scheduleIds[1]! },
    ])) as [number, number, number];
  });

  afterAll(() => gw?.close());

  it('runs on the in-process tier alone', () => {
    expect(gw.gateway.cache.mode).toBe('local');
  });

  it('updatePatient: entity, pages, filtered pages, participants and whole responses are fresh; other reads stay cached', async () => {
    const id = gid.patient(row.lia);
    const patient = await k.warm('patient(id)', PATIENT, { id });
    expect(patient.patient.name).toBe('Local Lia');
    await k.warm('node(id)', NODE, { id });
    const page = await k.warm('patients(first: 10)', PATIENTS_PAGE, { first: 10 });
    expect(await k.warm('patients(filter: old name)', FILTERED, { needle: 'lia' })).toEqual({
      patients: { totalCount: 1, nodes: [{ id, name: 'Local Lia' }] },
    });
    expect(await k.warm('patients(filter: new name)', FILTERED, { needle: 'lina' })).toEqual({
      patients: { totalCount: 0, nodes: [] },
    });
    const event = await k.warm('event participants', EVENT, { id: gid.event(row.event.eventId) });
    const whole = await k.warm('whole response', WHOLE_PATIENTS, { id, needle: 'local', first: 10 });
    const own = await k.warm('own data, as the patient', OWN, { id }, { patientId: row.lia });
    await unrelated.warm();
    const events = await k.warm('events(first: 10)', EVENTS_PAGE, { first: 10 });

    await k.mutate('updatePatient', UPDATE_PATIENT, { input: { id, expectedVersion: 1, name: 'Local Lina' } });
    const renamed = { id, name: 'Local Lina' };
    const rename = (nodes: any[]) => nodes.map((entry) => (entry.id === id ? { ...entry, name: 'Local Lina' } : entry));

    expect(await k.fresh('patient(id)', PATIENT, { id })).toEqual({ patient: { ...patient.patient, name: 'Local Lina', version: 2 } });
    expect(await k.fresh('node(id)', NODE, { id })).toEqual({ node: { ...renamed, version: 2 } });
    expect(await k.fresh('patients(first: 10)', PATIENTS_PAGE, { first: 10 })).toEqual({
      patients: { ...page.patients, nodes: rename(page.patients.nodes) },
    });
    expect(await k.fresh('patients(filter: old name)', FILTERED, { needle: 'lia' })).toEqual({ patients: { totalCount: 0, nodes: [] } });
    expect(await k.fresh('patients(filter: new name)', FILTERED, { needle: 'lina' })).toEqual({
      patients: { totalCount: 1, nodes: [renamed] },
    });
    const eventAfter = await k.fresh('event participants', EVENT, { id: gid.event(row.event.eventId) });
    expect(eventAfter.event.participants).toEqual({ ...event.event.participants, nodes: [renamed] });
    expect(await k.fresh('whole response', WHOLE_PATIENTS, { id, needle: 'local', first: 10 })).toEqual({
      patient: { ...whole.patient, name: 'Local Lina', version: 2 },
      node: renamed,
      patients: { ...whole.patients, nodes: rename(whole.patients.nodes) },
      filtered: { ...whole.filtered, nodes: rename(whole.filtered.nodes) },
    });
    expect(await k.fresh('own data, as the patient', OWN, { id }, { patientId: row.lia })).toEqual({
      viewer: { role: 'PATIENT', patient: renamed },
      patient: { ...own.patient, name: 'Local Lina', version: 2 },
    });

    await unrelated.expectCached('localUpdatePatient');
    expect(await k.cached('events(first: 10)', EVENTS_PAGE, { first: 10 })).toEqual(events);
  });

  it('createRecord: the patient’s pages, counts, the entity and whole responses are fresh; other reads stay cached', async () => {
    const patientId = gid.patient(row.lia);
    const id = gid.record(await nextId(gw, 'medical_records'));
    const patient = await k.warm('patient(id)', PATIENT, { id: patientId });
    expect(patient.patient.recordCount).toBe(1);
    const byStatus = await k.warm('records(status:)', RECORDS_BY_STATUS, { id: patientId });
    expect(await k.warm('record(id) before it exists', RECORD, { id })).toEqual({ record: null });
    const counts = await k.warm('patients with recordCount', PATIENTS_WITH_COUNTS);
    const whole = await k.warm('whole response', WHOLE_RECORDS, { patient: patientId, record: id });
    await unrelated.warm();
    const names = await k.warm('patients(first: 10), names only', PATIENTS_PAGE, { first: 10 });

    const created = await k.mutate('createRecord', CREATE_RECORD, {
      input: { patientId, diagnosis: 'Lia pneumonia', status: 'CLOSED' },
    });
    expect(created.createRecord.id).toBe(id);
    const newRecord = { id, diagnosis: 'Lia pneumonia', status: 'CLOSED' };

    expect(await k.fresh('patient(id)', PATIENT, { id: patientId })).toEqual({
      patient: { ...patient.patient, recordCount: 2, records: { totalCount: 2, nodes: [newRecord, ...patient.patient.records.nodes] } },
    });
    expect(await k.fresh('records(status:)', RECORDS_BY_STATUS, { id: patientId })).toEqual({
      patient: {
        ...byStatus.patient,
        recordCount: 2,
        closedCount: byStatus.patient.closedCount + 1,
        closed: { totalCount: 1, nodes: [{ id, status: 'CLOSED' }] },
      },
    });
    expect((await k.fresh('record(id)', RECORD, { id })).record).toMatchObject(newRecord);
    const countsAfter = await k.fresh('patients with recordCount', PATIENTS_WITH_COUNTS);
    expect(countsAfter.patients.nodes).toEqual(
      counts.patients.nodes.map((entry: any) => (entry.id === patientId ? { id: patientId, recordCount: 2 } : entry)),
    );
    expect(await k.fresh('whole response', WHOLE_RECORDS, { patient: patientId, record: id })).toEqual({
      record: { ...newRecord, version: 1 },
      node: newRecord,
      patient: { ...whole.patient, recordCount: 2, records: { totalCount: 2, nodes: [newRecord, ...whole.patient.records.nodes] } },
      patients: { nodes: countsAfter.patients.nodes },
    });

    await unrelated.expectCached('localCreateRecord');
    expect(await k.cached('patients(first: 10), names only', PATIENTS_PAGE, { first: 10 })).toEqual(names);
  });

  it('setSelections: slot lists, counts, participants and the patient’s selections are fresh; other reads stay cached', async () => {
    const eventId = gid.event(row.event.eventId);
    const patientId = gid.patient(row.lia);
    const [slot0, slot1] = row.event.scheduleIds.map(gid.schedule) as [string, string];
    const event = await k.warm('event(id)', EVENT, { id: eventId });
    expect(event.event.schedules.map((slot: any) => slot.selectionCount)).toEqual([1, 0]);
    const patient = await k.warm('patient(id).selections', PATIENT, { id: patientId });
    expect(patient.patient.selections).toEqual([{ id: gid.selection(row.liaPick), schedule: { id: slot0 } }]);
    expect((await k.warm('node(selection)', NODE, { id: gid.selection(row.liaPick) })).node).not.toBeNull();
    const whole = await k.warm('whole response', WHOLE_EVENTS, { event: eventId, patient: patientId });
    const own = await k.warm('own data, as the patient', OWN, { id: patientId }, { patientId: row.lia });
    await unrelated.warm();
    const events = await k.warm('events(first: 10)', EVENTS_PAGE, { first: 10 });

    const set = await k.mutate('setSelections', SET_SELECTIONS, { input: { eventId, patientId, scheduleIds: [slot1] } });
    const picks = set.setSelections as { id: string; schedule: { id: string } }[];
    expect(picks.map((pick) => pick.schedule.id)).toEqual([slot1]);
    const participant = event.event.participants.nodes[0];

    expect(await k.fresh('event(id)', EVENT, { id: eventId })).toEqual({
      event: {
        ...event.event,
        schedules: [
          { ...event.event.schedules[0], selectionCount: 0, selections: [] },
          { ...event.event.schedules[1], selectionCount: 1, selections: [{ id: picks[0]!.id, patient: participant }] },
        ],
      },
    });
    expect(await k.fresh('patient(id).selections', PATIENT, { id: patientId })).toEqual({
      patient: { ...patient.patient, selections: picks },
    });
    expect(await k.fresh('node(selection)', NODE, { id: gid.selection(row.liaPick) })).toEqual({ node: null });
    expect(await k.fresh('whole response', WHOLE_EVENTS, { event: eventId, patient: patientId })).toEqual({
      ...whole,
      event: {
        ...whole.event,
        schedules: [
          { ...whole.event.schedules[0], selectionCount: 0, selections: [] },
          { ...whole.event.schedules[1], selectionCount: 1, selections: [{ id: picks[0]!.id, patient: { id: patientId } }] },
        ],
      },
      patient: { id: patientId, selections: picks },
    });
    expect(await k.fresh('own data, as the patient', OWN, { id: patientId }, { patientId: row.lia })).toEqual({
      ...own,
      patient: { ...own.patient, selections: picks },
    });

    await unrelated.expectCached('localSetSelections');
    expect(await k.cached('events(first: 10)', EVENTS_PAGE, { first: 10 })).toEqual(events);
  });
});
