/**
 * Real client libraries against a real gateway over HTTP: Apollo Client 4
 * (HttpLink + PersistedQueryLink) and urql (@urql/core + persistedExchange),
 * in development and in production mode (trusted documents only).
 *
 * - Trusted documents: the client's `generateHash` answers the manifest hash of
 *   the operation (operations/persisted-documents.json, found by operation
 *   name), so every request carries a hash and never the document's text.
 * - Flows: cursor paging over the patient list, the nested event page, a
 *   CONFLICT on a stale `expectedVersion` surfaced through each client's error
 *   object, trusted documents by POST and by GET (Apollo Client's hash-only GETs
 *   carry `content-type: application/json`), and Apollo's APQ registration
 *   (hash-only GET, PERSISTED_QUERY_NOT_FOUND, retry with the query) where
 *   registration is allowed, refused with PERSISTED_QUERY_REQUIRED where not.
 * - urql's default non-persisted GET in development needs a preflight header
 *   (Apollo's CSRF rule); the one-line client setting is shown at the end.
 *
 * Every client gets its own recording fetch, so the assertions name the
 * requests that really went over the wire (method, URL, body, content type).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ApolloClient,
  ApolloLink,
  CombinedGraphQLErrors,
  HttpLink,
  InMemoryCache,
  ServerError,
  type TypedDocumentNode,
} from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { Client, CombinedError, cacheExchange, fetchExchange, gql as urqlGql } from '@urql/core';
import { persistedExchange } from '@urql/exchange-persisted';
import { parse, type GraphQLFormattedError } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, describe, expect } from 'vitest';
import type {
  EventPageQuery,
  EventPageQueryVariables,
  PatientListQuery,
  PatientListQueryVariables,
  UpdatePatientMutation,
  UpdatePatientMutationVariables,
  ViewerQuery,
  ViewerQueryVariables,
} from '../src/__generated__/client/graphql.js';
import { totalStatements } from '../src/db/sql-counter.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { insertEvent, insertPatients, insertSelections, PRODUCTION_SECRET } from './support/index.js';


// ---------------------------------------------------------------------------
// Trusted documents: operations/persisted-documents.json, hash -> text.

const manifest = JSON.parse(readFileSync(new URL('../operations/persisted-documents.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;

/** The manifest hash of the operation named `operationName`. */
function hashOf(operationName: string): string {
  const entry = Object.entries(manifest).find(([, text]) => new RegExp(`^(query|mutation) ${operationName}\\b`).test(text));
  if (!entry) throw new Error(`operations/ has no ${operationName}`);
  return entry[0];
}

/** The trusted document, parsed, typed by the generated types of operations/. */
function trusted<TData, TVariables>(operationName: string): TypedDocumentNode<TData, TVariables> {
  return parse(manifest[hashOf(operationName)]!) as TypedDocumentNode<TData, TVariables>;
}

/** The name of a document's (first) operation; works for graphql-js' and urql's document nodes alike. */
function operationNameOf(document: { readonly definitions: readonly unknown[] }): string {
  for (const definition of document.definitions) {
    const node = definition as { kind?: string; name?: { value?: string } };
    if (node.kind === 'OperationDefinition' && node.name?.value) return node.name.value;
  }
  throw new Error('The document has no named operation.');
}

/** What a client's `generateHash` answers for a trusted document: its manifest hash, by operation name. */
const manifestHash = (document: { readonly definitions: readonly unknown[] }): string => hashOf(operationNameOf(document));

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const PatientList = trusted<PatientListQuery, PatientListQueryVariables>('PatientList');
const EventPage = trusted<EventPageQuery, EventPageQueryVariables>('EventPage');
const UpdatePatient = trusted<UpdatePatientMutation, UpdatePatientMutationVariables>('UpdatePatient');
const Viewer = trusted<ViewerQuery, ViewerQueryVariables>('Viewer');

// ---------------------------------------------------------------------------
// Recording fetch: what each client really sent.

interface Sent {
  readonly method: string;
  readonly url: URL;
  readonly contentType: string | null;
  readonly headers: Headers;
  /** The JSON body of a POST, parsed; null for a GET. */
  readonly body: Record<string, unknown> | null;
  /** The HTTP status of the answer. */
  status?: number;
  /** The answer's body, parsed (a GraphQL response). */
  answer?: { data?: unknown; errors?: GraphQLFormattedError[] };
}

interface Recorder {
  readonly sent: Sent[];
  readonly fetch: typeof fetch;
}

function recorder(): Recorder {
  const sent: Sent[] = [];
  const recording: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    const entry: Sent = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url: new URL(input instanceof Request ? input.url : String(input)),
      contentType: headers.get('content-type'),
      headers,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : null,
    };
    sent.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    entry.answer = JSON.parse(await response.clone().text()) as Sent['answer'];
    return response;
  };
  return { sent, fetch: recording };
}

/** The persisted-query hash a request named (URL for a GET, body for a POST). */
function sentHash(request: Sent): string | undefined {
  const extensions =
    request.method === 'GET'
      ? (JSON.parse(request.url.searchParams.get('extensions') ?? '{}') as Record<string, unknown>)
      : ((request.body?.extensions ?? {}) as Record<string, unknown>);
  return (extensions.persistedQuery as { sha256Hash?: string } | undefined)?.sha256Hash;
}

/** The query text a request carried, if any. */
function sentQuery(request: Sent): unknown {
  return request.method === 'GET' ? (request.url.searchParams.get('query') ?? undefined) : request.body?.query;
}

// ---------------------------------------------------------------------------
// Clients.

const apolloClients: ApolloClient[] = [];

interface ApolloSetup {
  readonly url: string;
  readonly authorization: string;
  readonly fetch: typeof fetch;
  /** useGETForHashedQueries (default true). */
  readonly get?: boolean;
  /** 'manifest' (trusted documents: generateHash answers the manifest hash) or 'sha256' (APQ: the link hashes the printed query). */
  readonly hashing?: 'manifest' | 'sha256';
  /** PersistedQueryLink's retry option (default: Apollo's own). */
  readonly retry?: () => boolean;
}

function apolloClient({ url, authorization, fetch, get = true, hashing = 'manifest', retry }: ApolloSetup): ApolloClient {
  const persisted =
    hashing === 'manifest'
      ? new PersistedQueryLink({ generateHash: (document) => manifestHash(document), useGETForHashedQueries: get, ...(retry ? { retry } : {}) })
      : new PersistedQueryLink({ sha256, useGETForHashedQueries: get, ...(retry ? { retry } : {}) });
  const client = new ApolloClient({
    link: ApolloLink.from([persisted, new HttpLink({ uri: url, fetch, headers: { authorization } })]),
    cache: new InMemoryCache(),
  });
  apolloClients.push(client);
  return client;
}

interface UrqlSetup {
  readonly url: string;
  readonly authorization: string;
  readonly fetch: typeof fetch;
  /** preferGetForPersistedQueries (default true). */
  readonly get?: boolean;
}

/** urql with trusted documents: queries and mutations by manifest hash, never by text. */
function urqlClient({ url, authorization, fetch, get = true }: UrqlSetup): Client {
  return new Client({
    url,
    fetch,
    fetchOptions: { headers: { authorization } },
    exchanges: [
      cacheExchange,
      persistedExchange({
        generateHash: async (_query, document) => manifestHash(document),
        enforcePersistedQueries: true,
        enableForMutation: true,
        preferGetForPersistedQueries: get,
      }),
      fetchExchange,
    ],
  });
}

/**
 * The GraphQL errors behind an error Apollo Client 4 rejected with. A GraphQL
 * response with errors is a CombinedGraphQLErrors; but Apollo Client 4 follows GraphQL over HTTP
 * for `application/json` answers, and turns one with a non-2xx status into a ServerError, whose
 * body it then only keeps as text (PersistedQueryLink parses it the same way). The gateway's own
 * refusals (PERSISTED_QUERY_REQUIRED, CSRF) are such answers today, whatever the client accepts.
 */
function apolloErrors(error: unknown): { errors: readonly GraphQLFormattedError[] } {
  if (CombinedGraphQLErrors.is(error)) {
    expect(error.data).toBeUndefined();
    return { errors: error.errors };
  }
  if (ServerError.is(error)) {
    const body = JSON.parse(error.bodyText) as { errors?: GraphQLFormattedError[]; data?: unknown };
    expect(body.data).toBeUndefined();
    return { errors: body.errors ?? [] };
  }
  throw new Error(`Not a GraphQL error: ${String(error)}`);
}

/** The error of a rejected promise (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`Expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

// ---------------------------------------------------------------------------
// Gateways, one per mode, seeded once.

/** This file's gateways (each its own database), one per mode, shared by the describe blocks of that mode. */
const test = gatewaysTest('real_clients', {
  development: { env: { NODE_ENV: 'development' } },
  production: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } },
  productionApq: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, ALLOW_APQ_REGISTRATION: '1' } },
});

interface Mode {
  readonly name: string;
  /** The fixture of the mode's gateway. */
  readonly fixture: 'development' | 'production' | 'productionApq';
}

const DEVELOPMENT: Mode = { name: 'development', fixture: 'development' };
const PRODUCTION: Mode = { name: 'production', fixture: 'production' };
const PRODUCTION_APQ: Mode = { name: 'production with ALLOW_APQ_REGISTRATION=1', fixture: 'productionApq' };

/** describe.each rows: [name, mode]. */
const cases = (...modes: Mode[]): [string, Mode][] => modes.map((mode) => [mode.name, mode]);

const PAGER_NAMES = Array.from({ length: 7 }, (_, index) => `Pager ${index + 1}`);

interface Harness {
  readonly gateway: TestGateway;
  readonly url: string;
  readonly admin: string;
  /** Patients named Pager 1..7, in insertion order (the list is newest first). */
  readonly pagers: readonly { id: string; name: string }[];
  /** Two patients at version 1 for the CONFLICT flow: one per client library. */
  readonly conflict: { readonly apollo: string; readonly urql: string };
  readonly event: { readonly id: string; readonly scheduleIds: readonly string[] };
  /** The token of Pager 1, a patient with selections on the event. */
  readonly patient: { readonly authorization: string };
}

const harnesses = new Map<string, Promise<Harness>>();

async function createHarness(gateway: TestGateway): Promise<Harness> {
  const { url } = await gateway.gateway.listen();
  const pool = gateway.database.pool;
  const pagerIds = await insertPatients(pool, PAGER_NAMES.map((name) => ({ name })));
  const [apolloPatient, urqlPatient] = (await insertPatients(pool, [{ name: 'Conflict Apollo' }, { name: 'Conflict Urql' }])) as [number, number];
  const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Vaccination day', days: 2, slotsPerDay: 2 });
  // Slot 0: Pager 1 and Pager 2; slot 1: nobody; slot 2: Pager 3; slot 3: Pager 1.
  await insertSelections(pool, [
    { patientId: pagerIds[0]!, scheduleId: scheduleIds[0]!, eventId },
    { patientId: pagerIds[1]!, scheduleId: scheduleIds[0]!, eventId },
    { patientId: pagerIds[2]!, scheduleId: scheduleIds[2]!, eventId },
    { patientId: pagerIds[0]!, scheduleId: scheduleIds[3]!, eventId },
  ]);
  return {
    gateway,
    url,
    admin: (await gateway.authorizationFor('admin'))!,
    pagers: pagerIds.map((id, index) => ({ id: toGlobalId('Patient', id), name: PAGER_NAMES[index]! })),
    conflict: { apollo: toGlobalId('Patient', apolloPatient), urql: toGlobalId('Patient', urqlPatient) },
    event: { id: toGlobalId('Event', eventId), scheduleIds: scheduleIds.map((id) => toGlobalId('Schedule', id)) },
    patient: { authorization: (await gateway.authorizationFor({ patientId: pagerIds[0]! }))! },
  };
}

/** The mode's gateway, seeded on first use and shared by the describes of that mode. */
function harnessFor(mode: Mode, gateway: TestGateway): Promise<Harness> {
  let harness = harnesses.get(mode.name);
  if (!harness) {
    harness = createHarness(gateway);
    harnesses.set(mode.name, harness);
  }
  return harness;
}

/**
 * Gives a describe block its mode's harness before its tests: a hook that names only that mode's gateway
 * fixture (Vitest creates the fixtures a hook destructures), so a mode no block runs has no gateway.
 */
function useHarness(mode: Mode, set: (harness: Harness) => void): void {
  const hooks: Record<Mode['fixture'], () => void> = {
    development: () => test.beforeAll(async ({ development }) => set(await harnessFor(mode, development))),
    production: () => test.beforeAll(async ({ production }) => set(await harnessFor(mode, production))),
    productionApq: () => test.beforeAll(async ({ productionApq }) => set(await harnessFor(mode, productionApq))),
  };
  hooks[mode.fixture]();
}

// The clients stop here; the fixtures close the gateways when the worker ends.
afterAll(() => {
  for (const client of apolloClients) client.stop();
});

// ---------------------------------------------------------------------------

describe.each(cases(DEVELOPMENT, PRODUCTION))('%s: trusted documents with real clients', (_name, mode) => {
  let harness: Harness;

  useHarness(mode, (value) => (harness = value));

  /** The pager patients in list order (createdAt DESC, id DESC). */
  const expectedOrder = () => [...harness.pagers].reverse();
  const filter = { nameContains: 'Pager' };

  /** Follows endCursor from the first page to the last (at most 10 pages), checking totalCount on each. */
  async function walkPages(page: (after: string | null) => Promise<PatientListQuery['patients']>) {
    const seen: { id: string; name: string }[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const connection = await page(after);
      pages += 1;
      expect(connection.totalCount).toBe(7);
      seen.push(...connection.nodes.map(({ id, name }) => ({ id, name })));
      if (!connection.pageInfo.hasNextPage) return { pages, seen };
      after = connection.pageInfo.endCursor;
      expect(after).toEqual(expect.any(String));
      expect(pages).toBeLessThan(10);
    }
  }

  describe('cursor paging over the patient list', () => {
    test('Apollo Client walks every page with after: endCursor and sees each patient once, in order', async () => {
      const { sent, fetch } = recorder();
      const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch });
      const { pages, seen } = await walkPages(async (after) => {
        const { data, error } = await client.query({ query: PatientList, variables: { first: 3, after, filter }, fetchPolicy: 'network-only' });
        expect(error).toBeUndefined();
        return data!.patients;
      });
      expect(pages).toBe(3);
      expect(seen).toEqual(expectedOrder());
      // Every page a hash-only GET (Apollo sends content-type: application/json on it), none with the text.
      expect(sent).toHaveLength(3);
      for (const request of sent) {
        expect(request.method).toBe('GET');
        expect(request.contentType).toBe('application/json');
        expect(request.status).toBe(200);
        expect(sentHash(request)).toBe(hashOf('PatientList'));
        expect(sentQuery(request)).toBeUndefined();
      }
      expect(sent.slice(1).map((request) => JSON.parse(request.url.searchParams.get('variables')!).after)).toEqual([
        expect.any(String),
        expect.any(String),
      ]);
    });

    test('urql walks every page with after: endCursor and sees each patient once, in order', async () => {
      const { sent, fetch } = recorder();
      const client = urqlClient({ url: harness.url, authorization: harness.admin, fetch });
      const { pages, seen } = await walkPages(async (after) => {
        const { data, error } = await client.query(PatientList, { first: 2, after, filter }, { requestPolicy: 'network-only' }).toPromise();
        expect(error).toBeUndefined();
        return data!.patients;
      });
      expect(pages).toBe(4);
      expect(seen).toEqual(expectedOrder());
      expect(sent).toHaveLength(4);
      for (const request of sent) {
        expect(request.method).toBe('GET');
        expect(request.status).toBe(200);
        expect(sentHash(request)).toBe(hashOf('PatientList'));
        expect(sentQuery(request)).toBeUndefined();
      }
    });
  });

  describe('the event page', () => {
    const expectedSchedules = () => {
      const [p1, p2, p3] = harness.pagers as [Harness['pagers'][0], Harness['pagers'][0], Harness['pagers'][0]];
      const s = harness.event.scheduleIds;
      return [
        { id: s[0], date: '2026-12-07', day: 'MONDAY', selectionCount: 2, patients: [p1, p2] },
        { id: s[1], date: '2026-12-07', day: 'MONDAY', selectionCount: 0, patients: [] },
        { id: s[2], date: '2026-12-08', day: 'TUESDAY', selectionCount: 1, patients: [p3] },
        { id: s[3], date: '2026-12-08', day: 'TUESDAY', selectionCount: 1, patients: [p1] },
      ];
    };
    const shape = (event: NonNullable<EventPageQuery['event']>) =>
      event.schedules.map((schedule) => ({
        id: schedule.id,
        date: schedule.date,
        day: schedule.day,
        selectionCount: schedule.selectionCount,
        patients: schedule.selections.map((selection) => ({ id: selection.patient.id, name: selection.patient.name })),
      }));

    test('Apollo Client receives the event with its schedules, selections and their patients', async () => {
      const { fetch } = recorder();
      const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch });
      const { data, error } = await client.query({ query: EventPage, variables: { id: harness.event.id } });
      expect(error).toBeUndefined();
      const event = data!.event!;
      expect(event).toMatchObject({ id: harness.event.id, title: 'Vaccination day', description: 'About Vaccination day', version: 1, participantCount: 3, organizer: null });
      expect(shape(event)).toEqual(expectedSchedules());
      expect(event.schedules.map((schedule) => schedule.time)).toEqual([
        expect.stringMatching(/^07:00/),
        expect.stringMatching(/^07:15/),
        expect.stringMatching(/^07:00/),
        expect.stringMatching(/^07:15/),
      ]);
    });

    test('urql receives the same page; with a patient token only their own selections, totals unchanged', async () => {
      const { fetch } = recorder();
      const admin = urqlClient({ url: harness.url, authorization: harness.admin, fetch });
      const full = await admin.query(EventPage, { id: harness.event.id }).toPromise();
      expect(full.error).toBeUndefined();
      expect(shape(full.data!.event!)).toEqual(expectedSchedules());
      expect(full.data!.event!.participantCount).toBe(3);

      const patient = urqlClient({ url: harness.url, authorization: harness.patient.authorization, fetch });
      const own = await patient.query(EventPage, { id: harness.event.id }).toPromise();
      expect(own.error).toBeUndefined();
      const self = harness.pagers[0]!;
      expect(shape(own.data!.event!)).toEqual(
        expectedSchedules().map((schedule) => ({ ...schedule, patients: schedule.patients.filter((p) => p.id === self.id) })),
      );
      expect(own.data!.event!.participantCount).toBe(3);
    });
  });

  describe('CONFLICT on a stale expectedVersion', () => {
    test('Apollo Client: the second update with expectedVersion 1 rejects with CombinedGraphQLErrors (CONFLICT, currentVersion 2)', async () => {
      const { sent, fetch } = recorder();
      const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch });
      const id = harness.conflict.apollo;
      const first = await client.mutate({ mutation: UpdatePatient, variables: { input: { id, expectedVersion: 1, name: 'Apollo Renamed' } } });
      expect(first.data?.updatePatient).toMatchObject({ id, name: 'Apollo Renamed', version: 2 });
      const error = await rejection(client.mutate({ mutation: UpdatePatient, variables: { input: { id, expectedVersion: 1, name: 'Apollo Stale' } } }));
      expect(CombinedGraphQLErrors.is(error)).toBe(true);
      const [conflict] = (error as CombinedGraphQLErrors).errors;
      expect(conflict?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
      expect(conflict?.path).toEqual(['updatePatient']);
      // Mutations go by POST, by hash, never with the text.
      expect(sent.map((request) => request.method)).toEqual(['POST', 'POST']);
      for (const request of sent) {
        expect(sentHash(request)).toBe(hashOf('UpdatePatient'));
        expect(sentQuery(request)).toBeUndefined();
      }
    });

    test('urql: the second update with expectedVersion 1 yields a CombinedError whose graphQLErrors hold CONFLICT, currentVersion 2', async () => {
      const { sent, fetch } = recorder();
      const client = urqlClient({ url: harness.url, authorization: harness.admin, fetch });
      const id = harness.conflict.urql;
      const first = await client.mutation(UpdatePatient, { input: { id, expectedVersion: 1, name: 'Urql Renamed' } }).toPromise();
      expect(first.error).toBeUndefined();
      expect(first.data?.updatePatient).toMatchObject({ id, name: 'Urql Renamed', version: 2 });
      const second = await client.mutation(UpdatePatient, { input: { id, expectedVersion: 1, name: 'Urql Stale' } }).toPromise();
      expect(second.error).toBeInstanceOf(CombinedError);
      expect(second.error?.networkError).toBeUndefined();
      const [conflict] = second.error!.graphQLErrors;
      expect(conflict?.extensions).toMatchObject({ code: 'CONFLICT', currentVersion: 2 });
      expect(sent.map((request) => request.method)).toEqual(['POST', 'POST']);
      for (const request of sent) {
        expect(sentHash(request)).toBe(hashOf('UpdatePatient'));
        expect(sentQuery(request)).toBeUndefined();
      }
    });
  });

  describe('trusted documents by POST and by GET', () => {
    const adminViewer = { role: 'ADMIN', subject: 'test-admin', patient: null };

    test.each([
      { useGETForHashedQueries: true, method: 'GET' },
      { useGETForHashedQueries: false, method: 'POST' },
    ])('Apollo Client, useGETForHashedQueries: $useGETForHashedQueries -> hash-only $method', async ({ useGETForHashedQueries, method }) => {
      const { sent, fetch } = recorder();
      const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch, get: useGETForHashedQueries });
      const viewer = await client.query({ query: Viewer });
      expect(viewer.error).toBeUndefined();
      expect(viewer.data?.viewer).toEqual(adminViewer);
      const page = await client.query({ query: PatientList, variables: { first: 7, filter } });
      expect(page.error).toBeUndefined();
      expect(page.data?.patients.nodes.map((patient) => patient.name)).toEqual(expectedOrder().map((patient) => patient.name));

      expect(sent.map((request) => request.method)).toEqual([method, method]);
      expect(sent.map(sentHash)).toEqual([hashOf('Viewer'), hashOf('PatientList')]);
      for (const request of sent) {
        expect(request.status).toBe(200);
        expect(sentQuery(request)).toBeUndefined();
        // Apollo Client sends content-type: application/json on GETs too; the gateway takes a hash-only GET whatever it carries.
        expect(request.contentType).toBe('application/json');
        if (method === 'GET') {
          expect(request.url.searchParams.has('query')).toBe(false);
          expect(request.headers.has('apollo-require-preflight')).toBe(false);
        } else {
          expect(request.body).not.toHaveProperty('query');
          expect(request.url.search).toBe('');
        }
      }
    });

    test.each([
      { preferGetForPersistedQueries: true, method: 'GET' },
      { preferGetForPersistedQueries: false, method: 'POST' },
    ])('urql, preferGetForPersistedQueries: $preferGetForPersistedQueries -> hash-only $method', async ({ preferGetForPersistedQueries, method }) => {
      const { sent, fetch } = recorder();
      const client = urqlClient({ url: harness.url, authorization: harness.admin, fetch, get: preferGetForPersistedQueries });
      const viewer = await client.query(Viewer, {}).toPromise();
      expect(viewer.error).toBeUndefined();
      expect(viewer.data?.viewer).toEqual(adminViewer);
      const page = await client.query(PatientList, { first: 7, filter }).toPromise();
      expect(page.error).toBeUndefined();
      expect(page.data?.patients.nodes.map((patient) => patient.name)).toEqual(expectedOrder().map((patient) => patient.name));

      expect(sent.map((request) => request.method)).toEqual([method, method]);
      expect(sent.map(sentHash)).toEqual([hashOf('Viewer'), hashOf('PatientList')]);
      for (const request of sent) {
        expect(request.status).toBe(200);
        expect(sentQuery(request)).toBeUndefined();
        if (method === 'GET') {
          // urql sends no content type and no preflight header on a GET: the hash-only exception lets it through.
          expect(request.contentType).toBeNull();
          expect(request.headers.has('apollo-require-preflight')).toBe(false);
          expect(request.url.searchParams.has('query')).toBe(false);
        } else {
          expect(request.contentType).toBe('application/json');
          expect(request.body).not.toHaveProperty('query');
        }
      }
    });
  });
});

// ---------------------------------------------------------------------------

describe.each(cases(DEVELOPMENT, PRODUCTION_APQ))('%s: APQ registration by Apollo Client', (_name, mode) => {
  let harness: Harness;
  // Not in the manifest; each gateway has its own APQ key space, so it is unknown to each at first.
  const document = parse('query ApqPatientNames($first: Int!, $filter: PatientFilter) { patients(first: $first, filter: $filter) { nodes { id name } } }');
  const variables = { first: 3, filter: { nameContains: 'Pager' } };

  useHarness(mode, (value) => (harness = value));

  test('hash-only GET -> PERSISTED_QUERY_NOT_FOUND -> retry with the query -> data; a second client then gets it by hash alone', async () => {
    const expected = harness.pagers
      .slice(-3)
      .reverse()
      .map(({ id, name }) => ({ __typename: 'Patient', id, name }));

    const first = recorder();
    const registering = apolloClient({ url: harness.url, authorization: harness.admin, fetch: first.fetch, hashing: 'sha256' });
    const registered = await registering.query({ query: document, variables });
    expect(registered.error).toBeUndefined();
    expect(registered.data).toEqual({ patients: { __typename: 'PatientConnection', nodes: expected } });

    // The hash the link computed: sha256 of the printed document it sent (Apollo adds __typename).
    const [lookup, registration] = first.sent as [Sent, Sent];
    expect(first.sent).toHaveLength(2);
    const hash = sentHash(lookup)!;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest[hash]).toBeUndefined();
    // 1. The hash alone, by GET (with Apollo's content-type: application/json): not known yet.
    expect(lookup.method).toBe('GET');
    expect(lookup.contentType).toBe('application/json');
    expect(lookup.url.searchParams.has('query')).toBe(false);
    expect(JSON.parse(lookup.url.searchParams.get('variables')!)).toEqual(variables);
    expect(lookup.status).toBe(200);
    expect(lookup.answer).toEqual({ errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
    // 2. The registration: the query and its hash, by POST.
    expect(registration.method).toBe('POST');
    expect(registration.status).toBe(200);
    expect(sentHash(registration)).toBe(hash);
    expect(typeof sentQuery(registration)).toBe('string');
    expect(sha256(sentQuery(registration) as string)).toBe(hash);
    expect(sentQuery(registration)).toMatch(/__typename/);
    expect(registration.answer).toMatchObject({ data: registered.data });
    expect(registration.answer?.errors).toBeUndefined();

    // Another client (fresh cache, fresh hash cache): one hash-only GET, answered from the registered text.
    const second = recorder();
    const reader = apolloClient({ url: harness.url, authorization: harness.admin, fetch: second.fetch, hashing: 'sha256' });
    const read = await reader.query({ query: document, variables });
    expect(read.error).toBeUndefined();
    expect(read.data).toEqual(registered.data);
    expect(second.sent).toHaveLength(1);
    expect(second.sent[0]!.method).toBe('GET');
    expect(sentHash(second.sent[0]!)).toBe(hash);
    expect(sentQuery(second.sent[0]!)).toBeUndefined();
    expect(second.sent[0]!.status).toBe(200);
  });

  test('answers the hash-only GET with PERSISTED_QUERY_NOT_FOUND, which is what makes the link retry', async () => {
    const unknown = parse('query ApqViewerRole { viewer { role } }');
    const { sent, fetch } = recorder();
    const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch, hashing: 'sha256', retry: () => false });
    const error = await rejection(client.query({ query: unknown }));
    expect(CombinedGraphQLErrors.is(error)).toBe(true);
    expect((error as CombinedGraphQLErrors).errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
    expect(sent.map((request) => request.method)).toEqual(['GET']);
  });
});

describe.each(cases(DEVELOPMENT, PRODUCTION_APQ))('%s: APQ registration by urql', (_name, mode) => {
  let harness: Harness;
  const query = urqlGql<{ patients: { nodes: { id: string; name: string }[] } }, { first: number }>`
    query UrqlApqNames($first: Int!) {
      patients(first: $first, filter: { nameContains: "Pager" }) {
        nodes {
          id
          name
        }
      }
    }
  `;

  useHarness(mode, (value) => (harness = value));

  /** urql's APQ setup: the persisted exchange with its defaults (its own sha256, GET for persisted queries). */
  const apqClient = (recording: typeof fetch, headers: Record<string, string>) =>
    new Client({ url: harness.url, fetch: recording, fetchOptions: { headers }, exchanges: [cacheExchange, persistedExchange(), fetchExchange] });

  test('re-sends the query by GET after PersistedQueryNotFound: refused as CSRF without a preflight header, nothing stored', async () => {
    const { sent, fetch } = recorder();
    const result = await apqClient(fetch, { authorization: harness.admin }).query(query, { first: 2 }).toPromise();
    expect(result.data).toBeUndefined();
    expect(result.error?.graphQLErrors[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(sent.map((request) => [request.method, request.status])).toEqual([
      ['GET', 200],
      ['GET', 400],
    ]);
    const hash = sentHash(sent[0]!)!;
    expect(sentQuery(sent[0]!)).toBeUndefined();
    expect(sent[0]!.answer?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    // The retry: the same hash marked `miss`, and the text, still by GET (urql keeps preferGetMethod).
    expect(sentHash(sent[1]!)).toBe(hash);
    expect(JSON.parse(sent[1]!.url.searchParams.get('extensions')!)).toMatchObject({ persistedQuery: { miss: true } });
    expect(sha256(sentQuery(sent[1]!) as string)).toBe(hash);
    // Nothing was registered: the hash alone is still unknown.
    const again = recorder();
    const lookup = await apqClient(again.fetch, { authorization: harness.admin }).query(query, { first: 2 }).toPromise();
    expect(lookup.error?.graphQLErrors[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(again.sent.map((request) => request.status)).toEqual([200, 400]);
    expect(again.sent[0]!.answer?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  test("registers with the preflight header (fetchOptions headers 'apollo-require-preflight'), then serves the hash alone", async () => {
    const headers = { authorization: harness.admin, 'apollo-require-preflight': 'true' };
    const expected = harness.pagers
      .slice(-2)
      .reverse()
      .map(({ id, name }) => ({ __typename: 'Patient', id, name }));
    const first = recorder();
    const registered = await apqClient(first.fetch, headers).query(query, { first: 2 }).toPromise();
    expect(registered.error).toBeUndefined();
    expect(registered.data).toEqual({ patients: { __typename: 'PatientConnection', nodes: expected } });
    expect(first.sent.map((request) => [request.method, request.status])).toEqual([
      ['GET', 200],
      ['GET', 200],
    ]);
    expect(sentQuery(first.sent[0]!)).toBeUndefined();
    expect(first.sent[0]!.answer?.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(typeof sentQuery(first.sent[1]!)).toBe('string');

    const second = recorder();
    const read = await apqClient(second.fetch, headers).query(query, { first: 2 }).toPromise();
    expect(read.error).toBeUndefined();
    expect(read.data).toEqual(registered.data);
    expect(second.sent).toHaveLength(1);
    expect(sentQuery(second.sent[0]!)).toBeUndefined();
    expect(sentHash(second.sent[0]!)).toBe(sentHash(first.sent[0]!));
  });
});

describe('production without ALLOW_APQ_REGISTRATION: Apollo Client cannot register', () => {
  let harness: Harness;
  let redis: Redis;

  useHarness(PRODUCTION, (value) => (harness = value));

  test.beforeAll(() => {
    redis = new Redis(harness.gateway.config.redisUrl);
  });

  afterAll(() => {
    redis?.disconnect();
  });

  test('refuses the hash-only GET and the registration POST with PERSISTED_QUERY_REQUIRED; nothing runs, nothing is stored', async () => {
    const document = parse('query ApqRefused { patients(first: 2) { nodes { id name } } }');
    const { sent, fetch } = recorder();
    // retry: () => true makes the link send the registration even though the first answer was not PERSISTED_QUERY_NOT_FOUND.
    const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch, hashing: 'sha256', retry: () => true });
    const before = totalStatements();
    const error = await rejection(client.query({ query: document }));
    expect(totalStatements() - before).toBe(0);

    const refusal = apolloErrors(error);
    expect(refusal.errors.map((entry) => entry.extensions?.code)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(sent.map((request) => [request.method, request.status, request.answer?.errors?.[0]?.extensions?.code])).toEqual([
      ['GET', 400, 'PERSISTED_QUERY_REQUIRED'],
      ['POST', 400, 'PERSISTED_QUERY_REQUIRED'],
    ]);
    expect(sent.map((request) => request.answer?.data)).toEqual([undefined, undefined]);
    const hash = sentHash(sent[0]!)!;
    expect(sentQuery(sent[0]!)).toBeUndefined();
    expect(sha256(sentQuery(sent[1]!) as string)).toBe(hash);
    expect(await redis.exists(`${harness.gateway.name}:apq:${hash}`)).toBe(0);
  });

  test('with Apollo default options: a single hash-only GET, refused with PERSISTED_QUERY_REQUIRED', async () => {
    const document = parse('query ApqRefusedDefault { viewer { role } }');
    const { sent, fetch } = recorder();
    const client = apolloClient({ url: harness.url, authorization: harness.admin, fetch, hashing: 'sha256' });
    const error = await rejection(client.query({ query: document }));
    const refusal = apolloErrors(error);
    expect(refusal.errors.map((entry) => entry.extensions?.code)).toEqual(['PERSISTED_QUERY_REQUIRED']);
    expect(refusal.errors[0]?.message).toMatch(/only trusted documents/);
    expect(sent.map((request) => [request.method, request.status])).toEqual([['GET', 400]]);
  });
});

// ---------------------------------------------------------------------------

describe("development: urql's default (non-persisted) GET and Apollo's CSRF rule", () => {
  let harness: Harness;
  const query = urqlGql<ViewerQuery, ViewerQueryVariables>`
    query UrqlPlainViewer {
      viewer {
        role
        subject
      }
    }
  `;

  useHarness(DEVELOPMENT, (value) => (harness = value));

  test('is refused as a potential CSRF without a preflight header', async () => {
    const { sent, fetch } = recorder();
    // urql's defaults: preferGetMethod 'within-url-limit', so a query goes by GET with its text and no content type.
    const client = new Client({ url: harness.url, fetch, fetchOptions: { headers: { authorization: harness.admin } }, exchanges: [fetchExchange] });
    const result = await client.query(query, {}).toPromise();
    expect(result.data).toBeUndefined();
    expect(result.error).toBeInstanceOf(CombinedError);
    expect(result.error?.graphQLErrors[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(result.error?.graphQLErrors[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'GET', contentType: null, status: 400 });
    expect(sent[0]!.url.searchParams.get('query')).toMatch(/UrqlPlainViewer/);
  });

  test("works with fetchOptions: { headers: { 'apollo-require-preflight': 'true' } }", async () => {
    const { sent, fetch } = recorder();
    const client = new Client({
      url: harness.url,
      fetch,
      // The one-line setting: Apollo's CSRF prevention lets a GET with query text through when it carries this header.
      fetchOptions: { headers: { 'apollo-require-preflight': 'true', authorization: harness.admin } },
      exchanges: [fetchExchange],
    });
    const result = await client.query(query, {}).toPromise();
    expect(result.error).toBeUndefined();
    expect(result.data).toEqual({ viewer: { role: 'ADMIN', subject: 'test-admin' } });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'GET', status: 200 });
    expect(sent[0]!.headers.get('apollo-require-preflight')).toBe('true');
  });
});
