/**
 * The generated typed SDK used as a frontend uses it: `createClient` from
 * src/client with the documents codegen generated from operations/, against a
 * production gateway (trusted documents only) over a real socket. Every
 * request carries the document's hash and never its text; queries go by GET,
 * mutations by POST; results are typed by the document.
 *
 * SQL is counted at the driver (totalStatements; the x-sql-statements header
 * is off in production), and the event page runs the same number of
 * statements for 1 and for 100 slots.
 */
import { describe, expect, expectTypeOf } from 'vitest';
import {
  CreatePatientDocument,
  EventPageDocument,
  PatientDetailDocument,
  PatientListDocument,
  SetSelectionsDocument,
  UpdatePatientDocument,
  ViewerDocument,
  type PatientListQuery,
} from '../src/__generated__/client/graphql.js';
import { createClient, type GatewayClient } from '../src/client/index.js';
import { totalStatements } from '../src/db/sql-counter.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { insertEvent, insertPatients } from './support/fixtures.js';

/** This file's gateway (its own database, production settings), shared by every test and hook here. */
const test = gatewayTest('client_sdk', {
  env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters!' },
});
let gateway: TestGateway;
let client: GatewayClient;
let patientClient: GatewayClient;
let patientId: number;
const sent: { method: string; url: string; body: string | null }[] = [];

const recordingFetch: typeof fetch = async (input, init) => {
  sent.push({ method: init?.method ?? 'GET', url: String(input), body: typeof init?.body === 'string' ? init.body : null });
  return fetch(input, init);
};

async function counted<T>(action: () => Promise<T>): Promise<{ result: T; sql: number }> {
  const before = totalStatements();
  const result = await action();
  return { result, sql: totalStatements() - before };
}

test.beforeAll(async ({ gateway: created }) => {
  gateway = created;
  const { url } = await gateway.gateway.listen();
  [patientId] = (await insertPatients(gateway.database.pool, [{ name: 'Cleo Client' }, { name: 'Dan Client' }])) as [number];
  const admin = (await gateway.authorizationFor('admin'))!.replace(/^Bearer /, '');
  const patient = (await gateway.authorizationFor({ patientId }))!.replace(/^Bearer /, '');
  client = createClient({ url, token: admin, fetch: recordingFetch });
  patientClient = createClient({ url, token: patient, fetch: recordingFetch });
});

describe('the typed SDK against a production gateway', () => {
  test('loads the patient list page by hash over GET, typed by the document', async () => {
    sent.length = 0;
    const { result, sql } = await counted(() => client.execute(PatientListDocument, { first: 20 }));
    expect(result.errors).toBeUndefined();
    expectTypeOf(result.data).toEqualTypeOf<PatientListQuery | null | undefined>();
    expect(result.data?.patients.totalCount).toBe(2);
    expect(result.data?.patients.nodes.map((patient) => patient.name).sort()).toEqual(['Cleo Client', 'Dan Client']);
    // The page, the total, and the records of every patient (whose window count is recordCount): one statement each.
    expect(sql).toBe(3);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.method).toBe('GET');
    expect(sent[0]!.url).toMatch(/documentId=sha256%3A[0-9a-f]{64}/);
    expect(sent[0]!.url).not.toMatch(/query=/);
  });

  test('runs mutations by hash over POST, and reads see them', async () => {
    sent.length = 0;
    const created = await counted(() =>
      client.execute(CreatePatientDocument, { input: { name: 'Eve Client', birthDate: '1990-04-01', email: 'eve@example.com' } }),
    );
    expect(created.result.errors).toBeUndefined();
    const eve = created.result.data!.createPatient;
    expect(eve).toMatchObject({ name: 'Eve Client', email: 'eve@example.com', version: 1, isActive: true });
    // One INSERT; the row is returned as written.
    expect(created.sql).toBe(1);

    const updated = await client.execute(UpdatePatientDocument, { input: { id: eve.id, expectedVersion: 1, name: 'Eve Updated' } });
    expect(updated.data?.updatePatient).toMatchObject({ name: 'Eve Updated', version: 2 });
    const conflict = await client.execute(UpdatePatientDocument, { input: { id: eve.id, expectedVersion: 1, name: 'Stale' } });
    expect(conflict.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(conflict.errors?.[0]?.extensions?.currentVersion).toBe(2);

    const detail = await client.execute(PatientDetailDocument, { id: eve.id });
    expect(detail.data?.patient).toMatchObject({ name: 'Eve Updated', version: 2, recordCount: 0 });
    for (const request of sent) {
      expect(request.body ?? '').not.toMatch(/"query"/);
      if (request.method === 'POST') expect(JSON.parse(request.body!)).toMatchObject({ documentId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    }
    expect(sent.filter((request) => request.method === 'POST')).toHaveLength(3);
  });

  test('loads the event page with the same number of statements for 1 and for 100 slots', async () => {
    const small = await insertEvent(gateway.database.pool, { title: 'Small', days: 1, slotsPerDay: 1 });
    const large = await insertEvent(gateway.database.pool, { title: 'Large', days: 2, slotsPerDay: 50 });
    const counts: number[] = [];
    for (const event of [small, large]) {
      const { result, sql } = await counted(() => client.execute(EventPageDocument, { id: toGlobalId('Event', event.eventId) }));
      expect(result.errors).toBeUndefined();
      expect(result.data?.event?.schedules).toHaveLength(event.scheduleIds.length);
      counts.push(sql);
    }
    // event, participantCount, schedules, selections (whose lists are the selection counts); no organizer and no patients to load.
    expect(counts).toEqual([4, 4]);
  });

  test('lets a patient set their own selections and see them, by hash', async () => {
    const { eventId, scheduleIds } = await insertEvent(gateway.database.pool, { title: 'Pick me', days: 1, slotsPerDay: 3 });
    const set = await patientClient.execute(SetSelectionsDocument, {
      input: {
        eventId: toGlobalId('Event', eventId),
        patientId: toGlobalId('Patient', patientId),
        scheduleIds: scheduleIds.slice(0, 2).map((id) => toGlobalId('Schedule', id)),
      },
    });
    expect(set.errors).toBeUndefined();
    expect(set.data?.setSelections.map((selection) => selection.schedule.selectionCount)).toEqual([1, 1]);
    const viewer = await patientClient.execute(ViewerDocument);
    expect(viewer.data?.viewer).toEqual({ role: 'PATIENT', subject: `test-patient-${patientId}`, patient: { id: toGlobalId('Patient', patientId), name: 'Cleo Client' } });
    const page = await patientClient.execute(EventPageDocument, { id: toGlobalId('Event', eventId) });
    expect(page.data?.event?.schedules.map((schedule) => schedule.selections.length)).toEqual([1, 1, 0]);
  });

  test('refuses a document that is not generated, with the error saying what it expected', async () => {
    await expect(client.execute({ toString: () => '{ __typename }' } as never, {})).rejects.toThrow(/Expected a document generated by `npm run codegen`/);
  });
});
