/**
 * N-independence: the same document runs the same number of SQL statements
 * whether every level holds 1 row or 100 (cold loaders, two databases of the
 * same shape). This is the property that keeps an event page from turning
 * into one query per participant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections, manyPatients } from './support/fixtures.js';

interface Shape {
  gateway: TestGateway;
  patients: number[];
  records: number[];
  clinicians: number[];
  events: number[];
  schedules: number[];
}

/** n clinicians, n patients with n records each, n events; event 1 has n slots, each picked by all n patients. */
async function buildShape(n: number): Promise<Shape> {
  // N = 100 on every level is over the default cost budget (that is the point of MAX_COST); these tests are about SQL.
  const gateway = await createTestGateway({ name: `n${n}`, env: { MAX_COST: '10000000', MAX_ALIASES: '100' } });
  const pool = gateway.database.pool;
  const clinicians = await insertClinicians(pool, Array.from({ length: n }, (_, index) => `Dr. ${index + 1}`));
  const patients = await insertPatients(pool, manyPatients(n));
  const records = await insertRecords(
    pool,
    patients.flatMap((patientId) =>
      Array.from({ length: n }, (_, index) => ({ patientId, authorId: clinicians[index % n]!, status: 'ACTIVE' as const })),
    ),
  );
  const events: number[] = [];
  const schedules: number[] = [];
  const selections: { patientId: number; scheduleId: number; eventId: number }[] = [];
  for (let index = 0; index < n; index += 1) {
    const event = await insertEvent(pool, {
      title: `Event ${index + 1}`,
      organizerId: clinicians[index]!,
      days: 1,
      slotsPerDay: index === 0 ? n : 1,
    });
    events.push(event.eventId);
    schedules.push(...event.scheduleIds);
    for (const scheduleId of event.scheduleIds) {
      for (const patientId of patients) selections.push({ patientId, scheduleId, eventId: event.eventId });
    }
  }
  await insertSelections(pool, selections);
  return { gateway, patients, records, clinicians, events, schedules };
}

const DOCUMENTS: Record<string, { query: string; variables: (shape: Shape) => Record<string, unknown> }> = {
  'patients { records { author } recordCount }': {
    query: `{ patients(first: 100) { nodes { recordCount records(first: 100) { nodes { id author { name } } } } } }`,
    variables: () => ({}),
  },
  'event { schedules { selections { patient { records(first: 3) } } } }': {
    query: `query ($id: ID!) { event(id: $id) { schedules { time selections { patient { name records(first: 3) { nodes { id } } } } } } }`,
    variables: (shape) => ({ id: toGlobalId('Event', shape.events[0]!) }),
  },
  'nodes(ids: [mixed])': {
    query: `query ($ids: [ID!]!) { nodes(ids: $ids) { id ... on Patient { name } ... on Event { title } } }`,
    variables: (shape) => {
      const take = Math.max(1, Math.floor(shape.patients.length / 5));
      return {
        ids: [
          ...shape.patients.slice(0, take).map((id) => toGlobalId('Patient', id)),
          ...shape.records.slice(0, take).map((id) => toGlobalId('MedicalRecord', id)),
          ...shape.clinicians.slice(0, take).map((id) => toGlobalId('Clinician', id)),
          ...shape.events.slice(0, take).map((id) => toGlobalId('Event', id)),
          ...shape.schedules.slice(0, take).map((id) => toGlobalId('Schedule', id)),
        ],
      };
    },
  },
  'events { participants { recordCount } schedules { selectionCount } }': {
    query: `{ events(first: 100) { totalCount nodes { participantCount organizer { name }
        participants(first: 100) { totalCount nodes { name recordCount } }
        schedules { selectionCount } } } }`,
    variables: () => ({}),
  },
  'patient { selections { schedule { event { organizer } } } records { author patient } }': {
    query: `query ($id: ID!) { patient(id: $id) {
        selections { schedule { event { title organizer { name } } } }
        records(first: 100) { totalCount nodes { author { name } patient { name } } } } }`,
    variables: (shape) => ({ id: toGlobalId('Patient', shape.patients[0]!) }),
  },
};

let one: Shape;
let hundred: Shape;

beforeAll(async () => {
  [one, hundred] = await Promise.all([buildShape(1), buildShape(100)]);
});

afterAll(async () => {
  await Promise.all([one?.gateway.close(), hundred?.gateway.close()]);
});

describe('SQL count does not depend on row count', () => {
  const counts: Record<string, { n1: number; n100: number; rows100: number }> = {};

  for (const [name, document] of Object.entries(DOCUMENTS)) {
    it(name, async () => {
      const small = await one.gateway.run(document.query, document.variables(one));
      const large = await hundred.gateway.run(document.query, document.variables(hundred));
      expect(small.errors).toBeUndefined();
      expect(large.errors).toBeUndefined();
      const rows = JSON.stringify(large.data).split('{').length;
      // The large answer really is large: the property is vacuous otherwise.
      expect(rows).toBeGreaterThan(100);
      expect(large.sqlCount).toBe(small.sqlCount);
      counts[name] = { n1: small.sqlCount, n100: large.sqlCount, rows100: rows };
    });
  }

  it('has the expected statement counts', () => {
    expect(Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, count.n1]))).toEqual({
      'patients { records { author } recordCount }': 2,
      'event { schedules { selections { patient { records(first: 3) } } } }': 5,
      'nodes(ids: [mixed])': 5,
      'events { participants { recordCount } schedules { selectionCount } }': 9,
      'patient { selections { schedule { event { organizer } } } records { author patient } }': 6,
    });
    console.table(counts);
  });
});
