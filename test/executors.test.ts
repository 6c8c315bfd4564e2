/**
 * Both executors answer alike (src/execution/executor.ts): every trusted
 * document of operations/, the bench's documents, and documents that fail in
 * each way (a bad id, a refused field, an unknown operation, variables that
 * fail coercion, a null in a non-null field), executed by graphql-jit and by
 * graphql-js, give the same data and the same errors (message, path,
 * locations, code). Besides this file, the test kit executes every query the
 * suites run through `run()` with both engines and fails on a difference
 * (`compareExecutors`, on whenever the cache is off).
 *
 * Also: a document is compiled on its second execution, and documents
 * graphql-jit must not compile (@skip/@include, very large expansions) are
 * interpreted.
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, print, type DocumentNode, type ExecutionResult } from 'graphql';
import { describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { QUERIES } from '../bench/scenarios.js';
import { CREATE_PATIENT_ID, insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections } from './support/index.js';

const manifest = JSON.parse(readFileSync(new URL('../operations/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('executors', { compareExecutors: false });
let gw: TestGateway;
let ids: { patient: string; event: string; record: string; schedules: string[] };

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const pool = gw.database.pool;
  const [clinician] = (await insertClinicians(pool, ['Dr. Both'])) as [number];
  const patients = await insertPatients(pool, [{ name: 'Jit Jane' }, { name: 'Js Jim' }, { name: 'Both Bo' }]);
  const records = await insertRecords(pool, patients.flatMap((patientId) => [{ patientId, authorId: clinician }, { patientId }]));
  const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Executors', organizerId: clinician, days: 2, slotsPerDay: 3 });
  await insertSelections(pool, patients.flatMap((patientId, index) => scheduleIds.filter((_, slot) => (slot + index) % 2 === 0).map((scheduleId) => ({ patientId, scheduleId, eventId }))));
  ids = {
    patient: toGlobalId('Patient', patients[0]!),
    event: toGlobalId('Event', eventId),
    record: toGlobalId('MedicalRecord', records[0]!),
    schedules: scheduleIds.map((id) => toGlobalId('Schedule', id)),
  };
});

/** The same answer in a comparable form: data, and each error's message, path, locations and code. */
function comparable(result: ExecutionResult): string {
  return JSON.stringify({
    data: result.data,
    errors: result.errors?.map((error) => ({ message: error.message, path: error.path, locations: error.locations, code: error.extensions?.code ?? null })),
  });
}

async function both(document: DocumentNode, variables: Record<string, unknown>, as: Parameters<TestGateway['authorizationFor']>[0] = 'admin') {
  const authorization = await gw.authorizationFor(as);
  const outcome = async (engine: 'jit' | 'graphql-js') =>
    gw.gateway.execution.executeWith(engine, { document, operationName: null, variables, contextValue: await gw.gateway.createContext({ authorization }) });
  return { jit: await outcome('jit'), js: await outcome('graphql-js') };
}

/** Plausible variables for a document, from its variable names. */
function variablesFor(document: DocumentNode): Record<string, unknown> {
  const operation = document.definitions.find((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const values: Record<string, unknown> = {};
  for (const definition of operation?.kind === Kind.OPERATION_DEFINITION ? (operation.variableDefinitions ?? []) : []) {
    const name = definition.variable.name.value;
    if (/^id$/i.test(name)) values[name] = /\bevent\(id:/.test(print(document)) ? ids.event : ids.patient;
    else if (/eventId/i.test(name)) values[name] = ids.event;
    else if (/patientId/i.test(name)) values[name] = ids.patient;
    else if (/first/i.test(name)) values[name] = 2;
    // A search's words (S6, operations/record-search.graphql defaults its own).
    else if (name === 'query') values[name] = 'diagnosis';
  }
  return values;
}

describe('graphql-jit and graphql-js answer alike', () => {
  const queries = [
    ...Object.values(manifest).filter((text) => /^\s*(#.*\n)*\s*query\b/m.test(text) && !/^\s*mutation\b/m.test(text)),
    ...Object.entries(QUERIES)
      .filter(([name]) => name.startsWith('S'))
      .map(([, text]) => text),
  ];

  test.each(queries.map((text) => [text.replace(/\s+/g, ' ').slice(0, 70), text]))('%s', async (_name, text) => {
    const document = parse(text);
    const { jit, js } = await both(document, variablesFor(document));
    expect(comparable(jit)).toEqual(comparable(js));
    expect(js.errors).toBeUndefined();
  });

  test.each([
    ['a malformed global id', 'query { patient(id: "not-an-id") { name } }', {}],
    ['an id of the wrong type', `query { patient(id: "${toGlobalId('Event', 1)}") { name } }`, {}],
    ['first out of range', 'query { patients(first: 1000) { nodes { name } } }', {}],
    ['a tampered cursor', 'query { patients(after: "bm90LWEtY3Vyc29y") { nodes { name } } }', {}],
    ['a variable of the wrong type', 'query ($first: Int) { patients(first: $first) { nodes { name } } }', { first: 'many' }],
    ['a missing required variable', 'query ($id: ID!) { patient(id: $id) { name } }', {}],
    ['an invalid email variable', CREATE_PATIENT_ID, { input: { name: 'x', birthDate: '2000-01-01', email: 'nope' } }],
  ])('on %s', async (_name, text, variables) => {
    const { jit, js } = await both(parse(text), variables);
    expect(comparable(jit)).toEqual(comparable(js));
    expect(js.errors?.length).toBeGreaterThan(0);
  });

  test('for a patient, whose access rules hide other patients through every path', async () => {
    const document = parse(`query ($id: ID!) { event(id: $id) { participantCount participants(first: 10) { totalCount nodes { name } } schedules { selectionCount selections { patient { name } } } } }`);
    const { jit, js } = await both(document, { id: ids.event }, { patientId: 1 });
    expect(comparable(jit)).toEqual(comparable(js));
  });

  test('without a token: the same UNAUTHENTICATED errors field by field', async () => {
    const { jit, js } = await both(parse(QUERIES.S1), {}, null);
    expect(comparable(jit)).toEqual(comparable(js));
    expect(js.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('plans', () => {
  test('compiles a document on its second execution and reuses the plan after', async () => {
    const before = gw.gateway.execution.planCount();
    const query = `query PlanCount { patients(first: 2) { nodes { name } } } # ${Date.now()}`;
    for (let run = 0; run < 3; run += 1) expect((await gw.run(query)).errors).toBeUndefined();
    expect(gw.gateway.execution.planCount()).toBe(before + 1);
  });

  test('interprets documents with @skip/@include, and gives the answer graphql-js gives', async () => {
    const document = parse(
      'query ($s: Boolean!) { patient(id: "' + ids.patient + '") { ...F ... @skip(if: $s) { selections { id schedule { id } } } } } fragment F on Patient { name selections { id } }',
    );
    const { jit, js } = await both(document, { s: true });
    expect(comparable(jit)).toEqual(comparable(js));
  });
});
