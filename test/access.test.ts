/**
 * Read access, as the contract's "Identity and access" section states it:
 * without a token nothing but `__typename` answers (UNAUTHENTICATED, no SQL);
 * refused tokens say why; a patient sees only their own Patient, records and
 * selections (whatever path reaches them: patient, node, nodes, record,
 * patients, event.schedules.selections, event.participants) while the totals
 * stay totals; clinicians and admins see everything. Every data-touching case
 * asserts the exact data and the exact number of SQL statements, and a
 * repeated document costs the same SQL again (loaders live per request).
 */
import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { type Caller, type TestGateway } from '../src/testing/index.js';
import { base64urlJson, insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections } from './support/index.js';

interface Ids {
  clinicianOne: string;
  clinicianTwo: string;
  patientA: string;
  patientB: string;
  recordAFlu: string;
  recordASprain: string;
  recordBAsthma: string;
  event: string;
  slotOne: string;
  slotTwo: string;
  slotThree: string;
  selectionASlotOne: string;
  selectionASlotTwo: string;
  selectionBSlotTwo: string;
  selectionBSlotThree: string;
}

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('access');
let gw: TestGateway;
let ids: Ids;
let patientARowId: number;

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const pool = gw.database.pool;
  const [clinicianOne, clinicianTwo] = (await insertClinicians(pool, ['Dr. Ada Grey', 'Dr. Ben Stone'])) as [
    number,
    number,
  ];
  const [patientA, patientB] = (await insertPatients(pool, [
    { name: 'Alice Ames', email: 'alice@example.org' },
    { name: 'Bruno Bell', email: 'bruno@example.org' },
  ])) as [number, number];
  // Inserted oldest first: A's sprain is newer than A's flu.
  const [recordAFlu, recordASprain, recordBAsthma] = (await insertRecords(pool, [
    { patientId: patientA, authorId: clinicianOne, diagnosis: 'Flu' },
    { patientId: patientA, authorId: null, diagnosis: 'Sprain' },
    { patientId: patientB, authorId: clinicianTwo, diagnosis: 'Asthma' },
  ])) as [number, number, number];
  const { eventId, scheduleIds } = await insertEvent(pool, {
    title: 'Vaccination day',
    organizerId: clinicianOne,
    days: 1,
    slotsPerDay: 3,
  });
  const [slotOne, slotTwo, slotThree] = scheduleIds as [number, number, number];
  const [selectionASlotOne, selectionASlotTwo, selectionBSlotTwo, selectionBSlotThree] = (await insertSelections(pool, [
    { patientId: patientA, scheduleId: slotOne, eventId },
    { patientId: patientA, scheduleId: slotTwo, eventId },
    { patientId: patientB, scheduleId: slotTwo, eventId },
    { patientId: patientB, scheduleId: slotThree, eventId },
  ])) as [number, number, number, number];

  patientARowId = patientA;
  ids = {
    clinicianOne: toGlobalId('Clinician', clinicianOne),
    clinicianTwo: toGlobalId('Clinician', clinicianTwo),
    patientA: toGlobalId('Patient', patientA),
    patientB: toGlobalId('Patient', patientB),
    recordAFlu: toGlobalId('MedicalRecord', recordAFlu),
    recordASprain: toGlobalId('MedicalRecord', recordASprain),
    recordBAsthma: toGlobalId('MedicalRecord', recordBAsthma),
    event: toGlobalId('Event', eventId),
    slotOne: toGlobalId('Schedule', slotOne),
    slotTwo: toGlobalId('Schedule', slotTwo),
    slotThree: toGlobalId('Schedule', slotThree),
    selectionASlotOne: toGlobalId('Selection', selectionASlotOne),
    selectionASlotTwo: toGlobalId('Selection', selectionASlotTwo),
    selectionBSlotTwo: toGlobalId('Selection', selectionBSlotTwo),
    selectionBSlotThree: toGlobalId('Selection', selectionBSlotThree),
  };
});

const patientAToken = (): Caller => ({ patientId: patientARowId });

// ---------------------------------------------------------------- documents

const PATIENT_WITH_RECORDS_AND_SELECTIONS = /* GraphQL */ `
  query PatientWithRecordsAndSelections($id: ID!) {
    patient(id: $id) {
      id
      name
      recordCount
      records {
        totalCount
        nodes { id diagnosis author { id } }
      }
      selections { id schedule { id } }
    }
  }
`;
// patient by id; the records page (its window count answers totalCount, its join the authors),
// recordCount and selections in one round; then the selections' schedules.
const PATIENT_WITH_RECORDS_AND_SELECTIONS_SQL = 5;

const NODE = /* GraphQL */ `
  query NodeById($id: ID!) {
    node(id: $id) { __typename id }
  }
`;

const NODES = /* GraphQL */ `
  query NodesByIds($ids: [ID!]!) {
    nodes(ids: $ids) { __typename id }
  }
`;

const RECORD = /* GraphQL */ `
  query RecordById($id: ID!) {
    record(id: $id) { id diagnosis patient { id } }
  }
`;

const PATIENT_LIST = /* GraphQL */ `
  query PatientList {
    patients { totalCount nodes { id } }
  }
`;
// the page, then the count
const PATIENT_LIST_SQL = 2;

const EVENT_LIST = /* GraphQL */ `
  query EventList {
    events { totalCount nodes { id title } }
  }
`;

const VIEWER = /* GraphQL */ `
  query Viewer {
    viewer { role subject patient { id } }
  }
`;

const EVENT_WITH_SELECTIONS = /* GraphQL */ `
  query EventWithSelections($id: ID!) {
    event(id: $id) {
      id
      schedules {
        id
        selections { id patient { id } }
        selectionCount
      }
      participants { totalCount nodes { id } }
      participantCount
    }
  }
`;
// event by id; schedules, participant page and participant count in one round;
// selections per schedule (their lists are also the selection counts); the participating
// patients (one by-id batch, shared by selections.patient and participants.nodes).
const EVENT_WITH_SELECTIONS_SQL_FOR_STAFF = 6;
// A patient's participants.totalCount counts their own participation: one more statement.
const EVENT_WITH_SELECTIONS_SQL_FOR_PATIENT = 7;

// ---------------------------------------------------------------- no token

describe('without a token', () => {
  test('answers { __typename } with no SQL', async () => {
    const { data, errors, sqlCount } = await gw.run('{ __typename }', undefined, { as: null });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ __typename: 'Query' });
    expect(sqlCount).toBe(0);
  });

  // Nullable root fields become null; non-null ones (patients, nodes, events) null the whole data.
  const protectedFields: {
    field: string;
    document: () => { query: string; variables?: Record<string, unknown> };
    data: Record<string, null> | null;
  }[] = [
    { field: 'patients', document: () => ({ query: PATIENT_LIST }), data: null },
    {
      field: 'patient',
      document: () => ({ query: PATIENT_WITH_RECORDS_AND_SELECTIONS, variables: { id: ids.patientA } }),
      data: { patient: null },
    },
    { field: 'node', document: () => ({ query: NODE, variables: { id: ids.patientA } }), data: { node: null } },
    {
      field: 'nodes',
      document: () => ({ query: NODES, variables: { ids: [ids.patientA, ids.event] } }),
      data: null,
    },
    { field: 'viewer', document: () => ({ query: VIEWER }), data: { viewer: null } },
    {
      field: 'event',
      document: () => ({ query: EVENT_WITH_SELECTIONS, variables: { id: ids.event } }),
      data: { event: null },
    },
    { field: 'events', document: () => ({ query: EVENT_LIST }), data: null },
    { field: 'record', document: () => ({ query: RECORD, variables: { id: ids.recordAFlu } }), data: { record: null } },
  ];

  test.each(protectedFields)('refuses $field with UNAUTHENTICATED and no SQL', async ({ field, document, data: expected }) => {
    const { query, variables } = document();
    const { data, errors, sqlCount } = await gw.run(query, variables, { as: null });
    expect(data).toEqual(expected);
    expect(errors).toHaveLength(1);
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errors?.[0]?.path).toEqual([field]);
    expect(errors?.[0]?.message).toMatch(/bearer token/i);
    expect(sqlCount).toBe(0);
  });

  test('refuses introspection with UNAUTHENTICATED and no SQL', async () => {
    const { data, errors, sqlCount } = await gw.run('{ __schema { queryType { name } } }', undefined, { as: null });
    expect(data ?? null).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(sqlCount).toBe(0);
  });

  test('refuses introspection hidden in a fragment', async () => {
    const { data, errors, sqlCount } = await gw.run(
      'query { ...Schema } fragment Schema on Query { __type(name: "Patient") { name } }',
      undefined,
      { as: null },
    );
    expect(data ?? null).toBeNull();
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(sqlCount).toBe(0);
  });

  test.each(['admin', 'clinician', 'patient'] as const)('allows introspection with a %s token', async (role) => {
    const caller: Caller = role === 'patient' ? patientAToken() : role;
    const { data, errors, sqlCount } = await gw.run('{ __schema { queryType { name } } }', undefined, { as: caller });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(sqlCount).toBe(0);
  });
});

// ---------------------------------------------------------------- refused tokens

const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token with `claims`; `exp` one hour ahead unless `expiresAt` says otherwise (null: no exp). */
async function hs256Token(
  claims: JWTPayload,
  options: { secret?: string; expiresAt?: number | null; subject?: string } = {},
): Promise<string> {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject ?? 'refused-token-subject')
    .setIssuedAt(now() - 60);
  const expiresAt = options.expiresAt === undefined ? now() + 3600 : options.expiresAt;
  if (expiresAt !== null) jwt = jwt.setExpirationTime(expiresAt);
  return jwt.sign(new TextEncoder().encode(options.secret ?? gw.config.jwtSecret));
}

describe('refused tokens', () => {
  const refusals: { name: string; authorization: () => Promise<string>; why: RegExp }[] = [
    { name: 'a scheme other than Bearer', authorization: async () => 'Token abc', why: /"Bearer <token>"/ },
    { name: 'Bearer without a token', authorization: async () => 'Bearer', why: /"Bearer <token>"/ },
    { name: 'a garbage JWT', authorization: async () => 'Bearer not.a.jwt', why: /not a well-formed JWT/ },
    {
      name: 'an expired token',
      authorization: async () => `Bearer ${await hs256Token({ role: 'admin' }, { expiresAt: now() - 3600 })}`,
      why: /expired/,
    },
    {
      name: 'a token signed with another secret',
      authorization: async () =>
        `Bearer ${await hs256Token({ role: 'admin' }, { secret: 'another-secret-that-is-long-enough-0123456789' })}`,
      why: /signature does not verify/,
    },
    {
      name: 'an alg:none token',
      authorization: async () =>
        `Bearer ${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson({ sub: 'intruder', role: 'admin', exp: now() + 3600 })}.`,
      why: /only HS256/,
    },
    {
      name: 'an unknown role',
      authorization: async () => `Bearer ${await hs256Token({ role: 'superuser' })}`,
      why: /claim "role" must be one of admin, clinician, patient/,
    },
    {
      name: 'a patient role without patientId',
      authorization: async () => `Bearer ${await hs256Token({ role: 'patient' })}`,
      why: /claim "patientId" must be a Patient global id/,
    },
    {
      name: 'a patient role whose patientId is a Clinician id',
      authorization: async () =>
        `Bearer ${await hs256Token({ role: 'patient', patientId: toGlobalId('Clinician', 1) })}`,
      why: /claim "patientId" must be a Patient global id/,
    },
    {
      name: 'a token without exp',
      authorization: async () => `Bearer ${await hs256Token({ role: 'admin' }, { expiresAt: null })}`,
      why: /claim "exp" is missing or invalid/,
    },
  ];

  test.each(refusals)('refuses $name with UNAUTHENTICATED saying why, and no SQL', async ({ authorization, why }) => {
    const header = await authorization();
    const { data, errors, sqlCount } = await gw.run(
      'query ($id: ID!) { viewer { role } patient(id: $id) { id } }',
      { id: ids.patientA },
      { as: { authorization: header } },
    );
    expect(data).toEqual({ viewer: null, patient: null });
    expect(errors).toHaveLength(2);
    for (const error of errors ?? []) {
      expect(error.extensions?.code).toBe('UNAUTHENTICATED');
      expect(error.message).toMatch(/^The bearer token was refused: /);
      expect(error.message).toMatch(why);
    }
    expect(sqlCount).toBe(0);
  });

  test('refuses introspection with a refused token, saying why', async () => {
    const header = `Bearer ${await hs256Token({ role: 'admin' }, { expiresAt: now() - 3600 })}`;
    const { errors, sqlCount } = await gw.run('{ __schema { queryType { name } } }', undefined, {
      as: { authorization: header },
    });
    expect(errors).toHaveLength(1);
    expect(errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(errors?.[0]?.message).toMatch(/expired/);
    expect(sqlCount).toBe(0);
  });

  test('accepts a hand-signed token with every required claim (the refusals above are about their one defect)', async () => {
    const header = `Bearer ${await hs256Token({ role: 'patient', patientId: ids.patientA }, { subject: 'alice' })}`;
    const { data, errors, sqlCount } = await gw.run(VIEWER, undefined, { as: { authorization: header } });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ viewer: { role: 'PATIENT', subject: 'alice', patient: { id: ids.patientA } } });
    expect(sqlCount).toBe(1);
  });
});

// ---------------------------------------------------------------- patient token

describe('a patient token (patient A)', () => {
  test('reads their own patient', async () => {
    const { data, errors, sqlCount } = await gw.run(
      'query ($id: ID!) { patient(id: $id) { id name email } }',
      { id: ids.patientA },
      { as: patientAToken() },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ patient: { id: ids.patientA, name: 'Alice Ames', email: 'alice@example.org' } });
    expect(sqlCount).toBe(1);
  });

  test('reads their own records and selections through patient(id:)', async () => {
    const { data, errors, sqlCount } = await gw.run(
      PATIENT_WITH_RECORDS_AND_SELECTIONS,
      { id: ids.patientA },
      { as: patientAToken() },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      patient: {
        id: ids.patientA,
        name: 'Alice Ames',
        recordCount: 2,
        records: {
          totalCount: 2,
          nodes: [
            { id: ids.recordASprain, diagnosis: 'Sprain', author: null },
            { id: ids.recordAFlu, diagnosis: 'Flu', author: { id: ids.clinicianOne } },
          ],
        },
        selections: [
          { id: ids.selectionASlotOne, schedule: { id: ids.slotOne } },
          { id: ids.selectionASlotTwo, schedule: { id: ids.slotTwo } },
        ],
      },
    });
    expect(sqlCount).toBe(PATIENT_WITH_RECORDS_AND_SELECTIONS_SQL);
  });

  test('gets null, and no error, for another patient', async () => {
    const { data, errors, sqlCount } = await gw.run(
      PATIENT_WITH_RECORDS_AND_SELECTIONS,
      { id: ids.patientB },
      { as: patientAToken() },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({ patient: null });
    expect(sqlCount).toBe(1);
  });

  test('gets the same null for another patient as for a patient that does not exist', async () => {
    const missing = await gw.run(PATIENT_WITH_RECORDS_AND_SELECTIONS, { id: toGlobalId('Patient', 999_999) }, {
      as: patientAToken(),
    });
    const foreign = await gw.run(PATIENT_WITH_RECORDS_AND_SELECTIONS, { id: ids.patientB }, { as: patientAToken() });
    expect(foreign.data).toEqual(missing.data);
    expect(foreign.errors).toEqual(missing.errors);
    expect(foreign.sqlCount).toBe(missing.sqlCount);
  });

  test.each([
    ['another patient', 'patientB'],
    ["another patient's record", 'recordBAsthma'],
    ["another patient's selection", 'selectionBSlotTwo'],
  ] as const)('gets null from node(id:) for %s', async (_label, key) => {
    const { data, errors, sqlCount } = await gw.run(NODE, { id: ids[key] }, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ node: null });
    expect(sqlCount).toBe(1);
  });

  test.each([
    ['Patient', 'patientA'],
    ['MedicalRecord', 'recordAFlu'],
    ['Selection', 'selectionASlotOne'],
    ['Event', 'event'],
    ['Schedule', 'slotThree'],
    ['Clinician', 'clinicianTwo'],
  ] as const)('reads a visible %s through node(id:)', async (typename, key) => {
    const { data, errors, sqlCount } = await gw.run(NODE, { id: ids[key] }, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ node: { __typename: typename, id: ids[key] } });
    expect(sqlCount).toBe(1);
  });

  test("gets null from record(id:) for another patient's record", async () => {
    const { data, errors, sqlCount } = await gw.run(RECORD, { id: ids.recordBAsthma }, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ record: null });
    expect(sqlCount).toBe(1);
  });

  test('reads their own record through record(id:)', async () => {
    const { data, errors, sqlCount } = await gw.run(RECORD, { id: ids.recordAFlu }, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ record: { id: ids.recordAFlu, diagnosis: 'Flu', patient: { id: ids.patientA } } });
    // the record, then its patient
    expect(sqlCount).toBe(2);
  });

  test('gets null in nodes(ids:) exactly where node(id:) would be null', async () => {
    const { data, errors, sqlCount } = await gw.run(
      NODES,
      { ids: [ids.patientA, ids.patientB, ids.recordAFlu, ids.recordBAsthma, ids.event] },
      { as: patientAToken() },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      nodes: [
        { __typename: 'Patient', id: ids.patientA },
        null,
        { __typename: 'MedicalRecord', id: ids.recordAFlu },
        null,
        { __typename: 'Event', id: ids.event },
      ],
    });
    // one by-id statement per type: patients, records, events
    expect(sqlCount).toBe(3);
  });

  test('finds only themselves in patients, with totalCount 1', async () => {
    const { data, errors, sqlCount } = await gw.run(PATIENT_LIST, undefined, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ patients: { totalCount: 1, nodes: [{ id: ids.patientA }] } });
    expect(sqlCount).toBe(PATIENT_LIST_SQL);
  });

  test('is the PATIENT viewer with their own patient', async () => {
    const { data, errors, sqlCount } = await gw.run(VIEWER, undefined, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      viewer: { role: 'PATIENT', subject: `test-patient-${patientARowId}`, patient: { id: ids.patientA } },
    });
    expect(sqlCount).toBe(1);
  });

  test('reads every event', async () => {
    const { data, errors, sqlCount } = await gw.run(EVENT_LIST, undefined, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ events: { totalCount: 1, nodes: [{ id: ids.event, title: 'Vaccination day' }] } });
    expect(sqlCount).toBe(2);
  });

  test('sees only their own selections and participation in an event, while the counts are totals', async () => {
    const { data, errors, sqlCount } = await gw.run(EVENT_WITH_SELECTIONS, { id: ids.event }, { as: patientAToken() });
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      event: {
        id: ids.event,
        schedules: [
          {
            id: ids.slotOne,
            selections: [{ id: ids.selectionASlotOne, patient: { id: ids.patientA } }],
            selectionCount: 1,
          },
          {
            id: ids.slotTwo,
            selections: [{ id: ids.selectionASlotTwo, patient: { id: ids.patientA } }],
            selectionCount: 2,
          },
          { id: ids.slotThree, selections: [], selectionCount: 1 },
        ],
        participants: { totalCount: 1, nodes: [{ id: ids.patientA }] },
        participantCount: 2,
      },
    });
    expect(sqlCount).toBe(EVENT_WITH_SELECTIONS_SQL_FOR_PATIENT);
  });

  test('gets the same answer and the same SQL when the same document runs twice (loaders live per request)', async () => {
    const first = await gw.run(EVENT_WITH_SELECTIONS, { id: ids.event }, { as: patientAToken() });
    const second = await gw.run(EVENT_WITH_SELECTIONS, { id: ids.event }, { as: patientAToken() });
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(first.sqlCount).toBe(EVENT_WITH_SELECTIONS_SQL_FOR_PATIENT);
    expect(second.sqlCount).toBe(EVENT_WITH_SELECTIONS_SQL_FOR_PATIENT);
  });

  test('does not get another patient from a cache warmed by a clinician request', async () => {
    const clinician = await gw.run(NODE, { id: ids.patientB }, { as: 'clinician' });
    expect(clinician.data).toEqual({ node: { __typename: 'Patient', id: ids.patientB } });
    const patient = await gw.run(NODE, { id: ids.patientB }, { as: patientAToken() });
    expect(patient.errors).toBeUndefined();
    expect(patient.data).toEqual({ node: null });
    expect(patient.sqlCount).toBe(1);
  });
});

// ---------------------------------------------------------------- staff tokens

describe.each(['clinician', 'admin'] as const)('a %s token', (role) => {
  test("reads another patient's records and selections", async () => {
    const { data, errors, sqlCount } = await gw.run(PATIENT_WITH_RECORDS_AND_SELECTIONS, { id: ids.patientB }, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      patient: {
        id: ids.patientB,
        name: 'Bruno Bell',
        recordCount: 1,
        records: {
          totalCount: 1,
          nodes: [{ id: ids.recordBAsthma, diagnosis: 'Asthma', author: { id: ids.clinicianTwo } }],
        },
        selections: [
          { id: ids.selectionBSlotTwo, schedule: { id: ids.slotTwo } },
          { id: ids.selectionBSlotThree, schedule: { id: ids.slotThree } },
        ],
      },
    });
    expect(sqlCount).toBe(PATIENT_WITH_RECORDS_AND_SELECTIONS_SQL);
  });

  test('reads every record through record(id:)', async () => {
    const { data, errors, sqlCount } = await gw.run(RECORD, { id: ids.recordBAsthma }, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ record: { id: ids.recordBAsthma, diagnosis: 'Asthma', patient: { id: ids.patientB } } });
    expect(sqlCount).toBe(2);
  });

  test.each([
    ['Patient', 'patientB'],
    ['MedicalRecord', 'recordBAsthma'],
    ['Selection', 'selectionBSlotThree'],
  ] as const)('reads any %s through node(id:)', async (typename, key) => {
    const { data, errors, sqlCount } = await gw.run(NODE, { id: ids[key] }, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ node: { __typename: typename, id: ids[key] } });
    expect(sqlCount).toBe(1);
  });

  test('gets every entry of nodes(ids:)', async () => {
    const { data, errors, sqlCount } = await gw.run(
      NODES,
      { ids: [ids.patientA, ids.patientB, ids.recordAFlu, ids.recordBAsthma, ids.event] },
      { as: role },
    );
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      nodes: [
        { __typename: 'Patient', id: ids.patientA },
        { __typename: 'Patient', id: ids.patientB },
        { __typename: 'MedicalRecord', id: ids.recordAFlu },
        { __typename: 'MedicalRecord', id: ids.recordBAsthma },
        { __typename: 'Event', id: ids.event },
      ],
    });
    expect(sqlCount).toBe(3);
  });

  test('lists every patient, newest first', async () => {
    const { data, errors, sqlCount } = await gw.run(PATIENT_LIST, undefined, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({ patients: { totalCount: 2, nodes: [{ id: ids.patientB }, { id: ids.patientA }] } });
    expect(sqlCount).toBe(PATIENT_LIST_SQL);
  });

  test('is the viewer of its role, without a patient and with no SQL', async () => {
    const { data, errors, sqlCount } = await gw.run(VIEWER, undefined, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      viewer:
        role === 'admin'
          ? { role: 'ADMIN', subject: 'test-admin', patient: null }
          : { role: 'CLINICIAN', subject: ids.clinicianOne, patient: null },
    });
    expect(sqlCount).toBe(0);
  });

  test("sees every patient's selections and every participant of an event", async () => {
    const { data, errors, sqlCount } = await gw.run(EVENT_WITH_SELECTIONS, { id: ids.event }, { as: role });
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      event: {
        id: ids.event,
        schedules: [
          {
            id: ids.slotOne,
            selections: [{ id: ids.selectionASlotOne, patient: { id: ids.patientA } }],
            selectionCount: 1,
          },
          {
            id: ids.slotTwo,
            selections: [
              { id: ids.selectionASlotTwo, patient: { id: ids.patientA } },
              { id: ids.selectionBSlotTwo, patient: { id: ids.patientB } },
            ],
            selectionCount: 2,
          },
          {
            id: ids.slotThree,
            selections: [{ id: ids.selectionBSlotThree, patient: { id: ids.patientB } }],
            selectionCount: 1,
          },
        ],
        participants: { totalCount: 2, nodes: [{ id: ids.patientA }, { id: ids.patientB }] },
        participantCount: 2,
      },
    });
    expect(sqlCount).toBe(EVENT_WITH_SELECTIONS_SQL_FOR_STAFF);
  });

  test('gets the same answer and the same SQL when the same document runs twice (loaders live per request)', async () => {
    const first = await gw.run(PATIENT_WITH_RECORDS_AND_SELECTIONS, { id: ids.patientB }, { as: role });
    const second = await gw.run(PATIENT_WITH_RECORDS_AND_SELECTIONS, { id: ids.patientB }, { as: role });
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    expect(second.data).toEqual(first.data);
    expect(first.sqlCount).toBe(PATIENT_WITH_RECORDS_AND_SELECTIONS_SQL);
    expect(second.sqlCount).toBe(PATIENT_WITH_RECORDS_AND_SELECTIONS_SQL);
  });
});
