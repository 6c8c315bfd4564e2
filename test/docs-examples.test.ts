/**
 * The documentation's GraphQL is true, because it runs here against seeded data:
 *
 * - every operation in a ```graphql block of README.md and docs/*.md runs over HTTP without errors, queries
 *   with 1 and with 20 rows per list; where the comment above it states a number of statements ("… 4
 *   statements …", "… = 4 statements …"), that is what the response's `x-sql-statements` reports (the
 *   operation's statements, counted at the driver through the request's own handle);
 * - the mutation table of docs/api.md (statements per mutation, BEGIN/COMMIT included, before nested
 *   fields) holds for each row, with 1 child and with 1,000 where the row says so.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections, manyPatients } from './support/fixtures.js';

const ROOT = new URL('..', import.meta.url);

interface Example {
  readonly page: string;
  readonly name: string;
  readonly text: string;
  readonly kind: 'query' | 'mutation';
  /** The statement count its comment states, or null when it states none. */
  readonly statements: number | null;
}

/** README.md and every page of docs/ but the generated settings table. */
function documentationPages(): { page: string; text: string }[] {
  const docs = readdirSync(new URL('docs/', ROOT)).filter((file) => file.endsWith('.md') && file !== 'configuration.md');
  return ['README.md', ...docs.map((file) => `docs/${file}`)].map((page) => ({ page, text: readFileSync(new URL(page, ROOT), 'utf8') }));
}

/** The operations of a page's ```graphql blocks, each with the comment lines just above it. */
function examplesOf(page: string, markdown: string): Example[] {
  const examples: Example[] = [];
  for (const block of markdown.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    let comment: string[] = [];
    let current: { name: string; lines: string[]; comment: string; kind: Example['kind'] } | null = null;
    const finish = () => {
      if (!current) return;
      const stated = /(\d+) statements?\b/.exec(current.comment);
      examples.push({ page, name: current.name, kind: current.kind, text: current.lines.join('\n'), statements: stated ? Number(stated[1]) : null });
      current = null;
    };
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('#')) {
        finish();
        comment.push(line);
      } else if (/^(query|mutation)\b/.test(line)) {
        finish();
        const kind = line.startsWith('query') ? 'query' : 'mutation';
        const name = /^(?:query|mutation)\s+(\w+)/.exec(line)?.[1] ?? /\{\s*(\w+)/.exec(line)?.[1] ?? line.slice(0, 40);
        current = { name, kind, lines: [line], comment: comment.join(' ') };
        comment = [];
      } else if (current && line.trim() !== '') current.lines.push(line);
      else if (line.trim() === '') comment = current ? comment : [];
    }
    finish();
  }
  return examples;
}

const EXAMPLES = documentationPages().flatMap(({ page, text }) => examplesOf(page, text));
const QUERIES = EXAMPLES.filter((example) => example.kind === 'query');
const MUTATIONS = EXAMPLES.filter((example) => example.kind === 'mutation');

/** One data set: `size` patients (all active), each with `size` records by a clinician, and an event they all picked. */
async function seeded(size: number) {
  const gateway = await createTestGateway({ name: `docs_${size}` });
  const pool = gateway.database.pool;
  const [clinician] = await insertClinicians(pool, ['Dr. Readme']);
  const patients = await insertPatients(pool, manyPatients(size, 'Reader'));
  await insertRecords(
    pool,
    patients.flatMap((patientId) => Array.from({ length: size }, () => ({ patientId, authorId: clinician!, diagnosis: 'Asthma', status: 'ACTIVE' as const }))),
  );
  const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Readme day', organizerId: clinician!, days: 1, slotsPerDay: Math.max(2, size) });
  await insertSelections(pool, patients.flatMap((patientId) => scheduleIds.slice(0, size).map((scheduleId) => ({ patientId, scheduleId, eventId }))));
  const variables = { id: toGlobalId('Event', eventId), ids: [toGlobalId('Patient', patients[0]!), toGlobalId('Event', eventId)], after: null };
  return { gateway, variables };
}

/** Fresh rows for one mutation: a patient (version 1) with `children` records and picks, an event with `children` slots. */
async function mutationRows(gateway: TestGateway, children: number) {
  const pool = gateway.database.pool;
  const [patientId] = await insertPatients(pool, [{ name: 'Mutated Patient' }]);
  const recordIds = await insertRecords(pool, Array.from({ length: children }, () => ({ patientId: patientId!, diagnosis: 'Asthma' })));
  const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Mutated event', days: 1, slotsPerDay: children });
  await insertSelections(pool, scheduleIds.map((scheduleId) => ({ patientId: patientId!, scheduleId, eventId })));
  const patient = toGlobalId('Patient', patientId!);
  return {
    patient,
    event: toGlobalId('Event', eventId),
    records: recordIds.map((id) => toGlobalId('MedicalRecord', id)),
    slots: scheduleIds.map((id) => toGlobalId('Schedule', id)),
    // The variable names the documentation's mutation examples use.
    variables: {
      id: patient,
      p: patient,
      r: toGlobalId('MedicalRecord', recordIds[0]!),
      e: toGlobalId('Event', eventId),
      s: scheduleIds.slice(0, 1).map((id) => toGlobalId('Schedule', id)),
      ids: recordIds.map((id) => toGlobalId('MedicalRecord', id)),
    },
  };
}

/** The operation over HTTP, as a reader of the docs sends it: its errors and `x-sql-statements`. */
const listening = new Map<TestGateway, Promise<{ url: string }>>();
async function overHttp(gateway: TestGateway, query: string, variables: Record<string, unknown>) {
  if (!listening.has(gateway)) listening.set(gateway, gateway.gateway.listen());
  const { url } = await listening.get(gateway)!;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: (await gateway.authorizationFor('admin'))! },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { errors?: unknown };
  return { status: response.status, errors: body.errors, header: Number(response.headers.get('x-sql-statements')) };
}

describe('the documentation’s GraphQL examples', () => {
  const sets: Awaited<ReturnType<typeof seeded>>[] = [];
  let writes: TestGateway;
  beforeAll(async () => {
    sets.push(await seeded(1), await seeded(20));
    writes = await createTestGateway({ name: 'docs_writes' });
  });
  afterAll(async () => {
    for (const set of sets) await set.gateway.close();
    await writes?.close();
  });

  it('finds the examples (the parser still reads the pages)', () => {
    expect(QUERIES.map((example) => example.name)).toEqual(expect.arrayContaining(['Events', 'PatientList', 'EventPage', 'Nodes', 'Search']));
    expect(QUERIES.filter((example) => example.page === 'README.md' && example.statements !== null).map((example) => example.name)).toEqual([
      'Events',
      'EventPage',
      'PatientList',
      'Search',
    ]);
    expect(MUTATIONS.map((example) => example.name)).toEqual(
      expect.arrayContaining(['createPatient', 'updatePatient', 'createRecord', 'updateRecord', 'createEvent', 'setSelections', 'deletePatient', 'deleteRecords', 'deleteEvent']),
    );
  });

  it.each(QUERIES.map((example) => [`${example.page}: ${example.name}`, example] as const))(
    '%s runs the statements it states (x-sql-statements), with 1 row per list and with 20',
    async (_name, example) => {
      const counts: number[] = [];
      for (const { gateway, variables } of sets) {
        const result = await overHttp(gateway, example.text, variables);
        expect(result.errors).toBeUndefined();
        expect(result.status).toBe(200);
        counts.push(result.header);
      }
      expect(counts[0]).toBe(counts[1]);
      if (example.statements !== null) expect(counts[0]).toBe(example.statements);
    },
  );

  it.each(MUTATIONS.map((example) => [`${example.page}: ${example.name}`, example] as const))('%s runs without errors', async (_name, example) => {
    const { variables } = await mutationRows(writes, 2);
    const result = await overHttp(writes, example.text, variables);
    expect(result.errors).toBeUndefined();
  });
});

/** The rows of docs/api.md's mutation table: names, the statements stated, and whether it claims "with 1 or 1,000". */
function mutationTable(): { names: string[]; statements: number; upTo: boolean; anySize: boolean }[] {
  const api = readFileSync(new URL('docs/api.md', ROOT), 'utf8');
  const table = api.slice(api.indexOf('| mutation | statements'));
  return [...table.matchAll(/^\| ((?:`\w+`(?:, )?)+) \| (up to )?(\d+)([^|]*)/gm)].map((row) => ({
    names: [...row[1]!.matchAll(/`(\w+)`/g)].map((name) => name[1]!),
    statements: Number(row[3]) + (/\+ (\d+) to read the result/.exec(row[4]!) ? Number(/\+ (\d+) to read/.exec(row[4]!)![1]) : 0),
    upTo: row[2] !== undefined,
    anySize: /with 1 or 1,000/.test(row[4]!),
  }));
}

/** Each mutation selecting only what its write returns, so the count is the write's own. */
const MINIMAL: Record<string, (rows: Awaited<ReturnType<typeof mutationRows>>, children: number) => [string, Record<string, unknown>]> = {
  createPatient: () => ['mutation { createPatient(input: { name: "Table Patient", birthDate: "1990-01-01" }) { id } }', {}],
  createRecord: (rows) => ['mutation ($p: ID!) { createRecord(input: { patientId: $p, diagnosis: "Cough" }) { id } }', { p: rows.patient }],
  updatePatient: (rows) => ['mutation ($id: ID!) { updatePatient(input: { id: $id, expectedVersion: 1, isActive: false }) { id } }', { id: rows.patient }],
  updateRecord: (rows) => ['mutation ($id: ID!) { updateRecord(input: { id: $id, expectedVersion: 1, status: CLOSED }) { id } }', { id: rows.records[0] }],
  deletePatient: (rows) => ['mutation ($id: ID!) { deletePatient(id: $id) }', { id: rows.patient }],
  deleteEvent: (rows) => ['mutation ($id: ID!) { deleteEvent(id: $id) }', { id: rows.event }],
  deleteRecords: (rows) => ['mutation ($ids: [ID!]!) { deleteRecords(ids: $ids) }', { ids: rows.records }],
  createEvent: (_rows, children) => [
    'mutation ($slots: [SlotInput!]!) { createEvent(input: { title: "Table event", slots: $slots }) { id } }',
    {
      slots: Array.from({ length: children }, (_, index) => ({
        date: `2027-${String(1 + Math.floor(index / 96 / 28)).padStart(2, '0')}-${String(1 + (Math.floor(index / 96) % 28)).padStart(2, '0')}`,
        time: `${String(Math.floor((index % 96) / 4)).padStart(2, '0')}:${String((index % 4) * 15).padStart(2, '0')}`,
      })),
    },
  ],
  setSelections: (rows) => [
    'mutation ($e: ID!, $p: ID!, $s: [ID!]!) { setSelections(input: { eventId: $e, patientId: $p, scheduleIds: $s }) { id } }',
    { e: rows.event, p: rows.patient, s: rows.slots.slice(0, Math.ceil(rows.slots.length / 2)) },
  ],
};

describe('the mutation table of docs/api.md', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await createTestGateway({ name: 'docs_mutation_table' });
  });
  afterAll(() => gateway?.close());

  const rows = mutationTable();
  it('lists every mutation of the schema once', () => {
    expect(rows.flatMap((row) => row.names).sort()).toEqual(Object.keys(MINIMAL).sort());
  });

  it.each(rows.flatMap((row) => row.names.map((name) => [name, row] as const)))('%s runs the statements the table states', async (name, row) => {
    const sizes = row.anySize ? [1, 1000] : [1, 20];
    for (const children of sizes) {
      const [document, variables] = MINIMAL[name]!(await mutationRows(gateway, children), children);
      const result = await gateway.run(document, variables);
      expect(result.errors, `${name} with ${children}`).toBeUndefined();
      if (row.upTo) expect(result.sqlCount, `${name} with ${children}`).toBeLessThanOrEqual(row.statements);
      else expect(result.sqlCount, `${name} with ${children}`).toBe(row.statements);
    }
  });
});
