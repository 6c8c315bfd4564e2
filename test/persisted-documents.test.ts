/**
 * Persisted documents over a real socket: Apollo's APQ protocol (unknown
 * hash, registration, hits by hash over POST and GET, a wrong hash, shared
 * between two instances through Redis, never storing a document the limits
 * refuse), GraphQL-over-HTTP `documentId`, HTTP caching of GETs by hash,
 * CSRF and content types; production mode (trusted documents only, no
 * introspection, no landing page, no GraphiQL; APQ registration only with
 * ALLOW_APQ_REGISTRATION=1); and the build step that refuses an over-cost
 * document in `npm run codegen`.
 *
 * SQL counts come from the x-sql-statements header in development and from
 * the process-wide driver counter (totalStatements) in production, where the
 * header is off; both are src/db/sql-counter.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect } from 'vitest';
import { totalStatements } from '../src/db/sql-counter.js';
import { sha256Hex } from '../src/persisted/manifest.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { type Answer, get, insertClinicians, insertEvent, insertPatients, insertRecords, post, PRODUCTION_SECRET, send, sqlHeader } from './support/index.js';

const manifest = JSON.parse(readFileSync(new URL('../operations/persisted-documents.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;
const hashOf = (operationName: string): string => {
  const entry = Object.entries(manifest).find(([, text]) => new RegExp(`^(query|mutation) ${operationName}\\b`).test(text));
  if (!entry) throw new Error(`operations/ has no ${operationName}`);
  return entry[0];
};


const apq = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });
const code = (answer: Answer) => answer.body.errors?.[0]?.extensions?.code;

/**
 * This file's gateways (each its own database and APQ store): `development` (the test environment's
 * defaults, which accept APQ as development does), `local` (the same with Redis off) and `trusted`
 * (production). The instances that share `development`'s or `trusted`'s database and store
 * (createTestGateway's `shareWith`: other processes of one deployment) are made in their tests.
 */
const test = gatewaysTest('persisted', {
  development: {},
  local: { env: { REDIS_URL: 'off' } },
  trusted: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } },
});

describe('development: automatic persisted queries', () => {
  let first: TestGateway;
  let second: TestGateway;
  let urlA: string;
  let urlB: string;
  let admin: Record<string, string>;
  let redis: Redis;
  let patientId: string;
  // Unique per run, so the hash is unknown to the shared Redis even when a key prefix were reused.
  const patientQuery = `query PatientName($id: ID!) { patient(id: $id) { id name } } # ${Date.now()}`;
  const patientHash = sha256Hex(patientQuery);

  test.beforeAll(async ({ development }) => {
    first = development;
    second = await createTestGateway({ shareWith: first });
    urlA = (await first.gateway.listen()).url;
    urlB = (await second.gateway.listen()).url;
    admin = { authorization: (await first.authorizationFor('admin')) as string };
    const [id] = (await insertPatients(first.database.pool, [{ name: 'Ada Apq' }])) as [number];
    patientId = toGlobalId('Patient', id);
    redis = new Redis(first.config.redisUrl);
  });

  // The second instance closes here (leaving the database to its owner, which the fixture closes later).
  afterAll(async () => {
    redis?.disconnect();
    await second?.close();
  });

  test('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND (200, not cacheable) and runs no SQL', async () => {
    const answer = await post(urlA, { extensions: apq(patientHash), variables: { id: patientId } }, admin);
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }]);
    expect(answer.headers.get('cache-control')).toBe('private, no-cache, must-revalidate');
    expect(answer.headers.get('x-sql-statements')).toBeNull();
  });

  test('registers hash and query sent together, stores the text in Redis, and runs it', async () => {
    const answer = await post(urlA, { query: patientQuery, extensions: apq(patientHash), variables: { id: patientId } }, admin);
    expect(answer.body).toEqual({ data: { patient: { id: patientId, name: 'Ada Apq' } } });
    expect(sqlHeader(answer)).toBe(1);
    expect(await redis.get(`${first.name}:apq:${patientHash}`)).toBe(patientQuery);
    expect(await redis.ttl(`${first.name}:apq:${patientHash}`)).toBeGreaterThan(first.config.apqTtlSeconds - 60);
  });

  test('runs the registered document by hash alone over POST, on this instance and on another one', async () => {
    for (const url of [urlA, urlB]) {
      const answer = await post(url, { extensions: apq(patientHash), variables: { id: patientId } }, admin);
      expect(answer.body).toEqual({ data: { patient: { id: patientId, name: 'Ada Apq' } } });
      expect(sqlHeader(answer)).toBe(1);
    }
  });

  test('runs it by hash over GET, with HTTP caching headers from the SDL policy', async () => {
    const answer = await get(urlB, { extensions: apq(patientHash), variables: { id: patientId } }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(answer.body).toEqual({ data: { patient: { id: patientId, name: 'Ada Apq' } } });
    expect(sqlHeader(answer)).toBe(1);
    // Patients are PRIVATE in the SDL (@cacheControl): only the browser may keep it.
    expect(answer.headers.get('cache-control')).toMatch(/^max-age=\d+, private$/);
    expect(answer.headers.get('vary')).toMatch(/Authorization/);
    expect(answer.headers.get('vary')).toMatch(/Accept/);
  });

  test('marks a GET of PUBLIC data public, and a GET that failed no-store', async () => {
    const eventQuery = 'query EventTitle($id: ID!) { event(id: $id) { title } }';
    const eventId = toGlobalId('Event', await insertEvent(first.database.pool, { title: 'Open day', days: 1, slotsPerDay: 1 }).then((event) => event.eventId));
    const hash = sha256Hex(eventQuery);
    const registered = await post(urlA, { query: eventQuery, extensions: apq(hash), variables: { id: eventId } }, admin);
    expect(registered.body).toEqual({ data: { event: { title: 'Open day' } } });
    const cached = await get(urlA, { extensions: apq(hash), variables: { id: eventId } }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(cached.headers.get('cache-control')).toMatch(/^max-age=\d+, public$/);
    expect(sqlHeader(cached)).toBe(1);
    const failed = await get(urlA, { extensions: apq(hash), variables: { id: 'not-an-id' } }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(code(failed)).toBe('BAD_USER_INPUT');
    expect(failed.headers.get('cache-control')).toBe('no-store');
    expect(sqlHeader(failed)).toBe(0);
  });

  test('refuses a query whose sha256 is not the hash sent, and stores nothing under that hash', async () => {
    const otherHash = sha256Hex(`${patientQuery} # other`);
    const answer = await post(urlA, { query: patientQuery, extensions: apq(otherHash), variables: { id: patientId } }, admin);
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('BAD_REQUEST');
    expect(answer.body.errors?.[0]?.message).toBe('provided sha does not match query');
    expect(await redis.exists(`${first.name}:apq:${otherHash}`)).toBe(0);
    const lookup = await post(urlB, { extensions: apq(otherHash), variables: { id: patientId } }, admin);
    expect(code(lookup)).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  test('never stores a registration the limits refuse, nor an invalid document', async () => {
    const tooCostly = `{ patients(first: 100) { nodes { records(first: 100) { nodes { id author { name } } } } } }`;
    const invalid = `{ patients { nope } }`;
    for (const [query, expected] of [
      [tooCostly, 'COST_LIMIT_EXCEEDED'],
      [invalid, 'GRAPHQL_VALIDATION_FAILED'],
    ] as const) {
      const hash = sha256Hex(query);
      const answer = await post(urlA, { query, extensions: apq(hash) }, admin);
      expect(answer.status).toBe(400);
      expect(code(answer)).toBe(expected);
      expect(sqlHeader(answer)).toBe(0);
      expect(await redis.exists(`${first.name}:apq:${hash}`)).toBe(0);
      expect(code(await post(urlB, { extensions: apq(hash) }, admin))).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
  });

  test('accepts trusted documents by hash and by documentId, over POST and GET', async () => {
    const hash = hashOf('Viewer');
    const byExtension = await post(urlA, { extensions: apq(hash) }, admin);
    const byDocumentId = await post(urlA, { documentId: `sha256:${hash}` }, admin);
    const byGet = await get(urlA, { documentId: `sha256:${hash}` }, { ...admin, 'apollo-require-preflight': 'true' });
    for (const answer of [byExtension, byDocumentId, byGet]) {
      expect(answer.body).toEqual({ data: { viewer: { role: 'ADMIN', subject: 'test-admin', patient: null } } });
      expect(sqlHeader(answer)).toBe(0);
    }
  });

  test('refuses malformed persisted-query envelopes with BAD_REQUEST (400)', async () => {
    const cases: [unknown, RegExp][] = [
      [{ extensions: { persistedQuery: { version: 2, sha256Hash: patientHash } } }, /Unsupported persisted query version/],
      [{ extensions: { persistedQuery: { version: 1, sha256Hash: 'ABC' } } }, /64 lowercase hex/],
      [{ extensions: { persistedQuery: { version: 1 } } }, /64 lowercase hex/],
      [{ documentId: patientHash }, /documentId must be "sha256:"/],
      [{ documentId: 42 }, /documentId must be "sha256:"/],
      [{ documentId: `sha256:${patientHash}`, extensions: apq(hashOf('Viewer')) }, /name different documents/],
      [{ query: 42, extensions: apq(patientHash) }, /query must be a string/],
    ];
    for (const [payload, message] of cases) {
      const answer = await post(urlA, payload, admin);
      expect(answer.status, JSON.stringify(payload)).toBe(400);
      expect(code(answer)).toBe('BAD_REQUEST');
      expect(answer.body.errors?.[0]?.message).toMatch(message);
    }
    const badExtensions = await get(urlA, { extensions: '{not json' }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(badExtensions.status).toBe(400);
    expect(badExtensions.body.errors?.[0]?.message).toMatch(/extensions.*not valid JSON/);
  });

  test('refuses a mutation over GET with 405, even by hash', async () => {
    const answer = await get(urlA, { extensions: apq(hashOf('DeletePatient')), variables: { id: patientId } }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
    expect(sqlHeader(answer)).toBe(0);
    const stillThere = await post(urlA, { extensions: apq(patientHash), variables: { id: patientId } }, admin);
    expect(stillThere.body.data?.patient?.name).toBe('Ada Apq');
  });

  test('applies CSRF prevention before any lookup or registration, and refuses non-JSON POSTs', async () => {
    const query = `{ __typename } # csrf ${Date.now()}`;
    const hash = sha256Hex(query);
    // A simple GET (no preflight header) that would register: Apollo's CSRF refusal, nothing stored.
    const simpleGet = await get(urlA, { query, extensions: apq(hash) }, admin);
    expect(simpleGet.status).toBe(400);
    expect(simpleGet.body.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    expect(await redis.exists(`${first.name}:apq:${hash}`)).toBe(0);
    const textPlain = await send(urlA, { method: 'POST', headers: { 'content-type': 'text/plain', ...admin }, body: JSON.stringify({ query }) });
    expect(textPlain.status).toBe(400);
    expect(textPlain.body.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
    const textPlainPreflight = await send(urlA, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'apollo-require-preflight': 'true', ...admin },
      body: JSON.stringify({ query }),
    });
    expect(textPlainPreflight.status).toBe(415);
    expect(code(textPlainPreflight)).toBe('BAD_REQUEST');
    const xml = await send(urlA, { method: 'POST', headers: { 'content-type': 'application/xml', ...admin }, body: '<query/>' });
    expect(xml.status).toBe(415);
  });

  test('with ALLOW_APQ_REGISTRATION=0 runs a document sent with its hash but does not store it', async () => {
    const closed = await createTestGateway({ shareWith: first, env: { ALLOW_APQ_REGISTRATION: '0' } });
    try {
      const url = (await closed.gateway.listen()).url;
      const query = `query Unstored { __typename } # ${Date.now()}`;
      const hash = sha256Hex(query);
      const answer = await post(url, { query, extensions: apq(hash) }, admin);
      expect(answer.body).toEqual({ data: { __typename: 'Query' } });
      expect(await redis.exists(`${first.name}:apq:${hash}`)).toBe(0);
      expect(code(await post(url, { extensions: apq(hash) }, admin))).toBe('PERSISTED_QUERY_NOT_FOUND');
      // Documents others registered are still served.
      expect((await post(url, { extensions: apq(patientHash), variables: { id: patientId } }, admin)).body.data?.patient?.name).toBe('Ada Apq');
    } finally {
      await closed.close();
    }
  });

  test('keeps APQ documents in process when Redis is off', async ({ local }) => {
    const url = (await local.gateway.listen()).url;
    const query = `query Local { __typename } # ${Date.now()}`;
    const hash = sha256Hex(query);
    expect(code(await post(url, { extensions: apq(hash) }, admin))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(url, { query, extensions: apq(hash) }, admin)).body).toEqual({ data: { __typename: 'Query' } });
    const hit = await get(url, { extensions: apq(hash) }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(hit.body).toEqual({ data: { __typename: 'Query' } });
    expect(sqlHeader(hit)).toBe(0);
    expect(await redis.exists(`${local.name}:apq:${hash}`)).toBe(0);
  });

  test('serves the Apollo Sandbox landing page to a browser in development', async () => {
    const page = await send(urlA, { method: 'GET', headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toMatch(/embeddable-sandbox|Apollo/i);
  });
});

describe('production: trusted documents only', () => {
  let gateway: TestGateway;
  let url: string;
  let origin: string;
  let admin: Record<string, string>;
  let patientId: string;
  let busyPatientId: string;

  test.beforeAll(async ({ trusted }) => {
    gateway = trusted;
    const listening = await gateway.gateway.listen();
    url = listening.url;
    origin = `http://127.0.0.1:${listening.port}`;
    admin = { authorization: (await gateway.authorizationFor('admin')) as string };
    const [id, busy] = (await insertPatients(gateway.database.pool, [{ name: 'Pat Production' }, { name: 'Busy Bee' }])) as [number, number];
    patientId = toGlobalId('Patient', id);
    busyPatientId = toGlobalId('Patient', busy);
    const [clinician] = (await insertClinicians(gateway.database.pool, ['Dr. Prod'])) as [number];
    await insertRecords(
      gateway.database.pool,
      Array.from({ length: 30 }, (_, index) => ({ patientId: busy, authorId: clinician, diagnosis: `Diagnosis ${index}` })),
    );
  });

  /** SQL statements `action` sent, counted at the driver (the x-sql-statements header is off in production). */
  async function counted(action: () => Promise<Answer>): Promise<{ answer: Answer; sql: number }> {
    const before = totalStatements();
    const answer = await action();
    return { answer, sql: totalStatements() - before };
  }

  test('runs manifest documents by hash (extensions or documentId, POST or GET)', async () => {
    const hash = hashOf('PatientDetail');
    const expected = { id: patientId, name: 'Pat Production', recordCount: 0, records: { totalCount: 0, nodes: [] }, selections: [] };
    for (const action of [
      () => post(url, { extensions: apq(hash), variables: { id: patientId } }, admin),
      () => post(url, { documentId: `sha256:${hash}`, variables: { id: patientId } }, admin),
      () => get(url, { documentId: `sha256:${hash}`, variables: { id: patientId } }, { ...admin, 'apollo-require-preflight': 'true' }),
    ]) {
      const { answer, sql } = await counted(action);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?.patient).toMatchObject(expected);
      expect(sql).toBe(4);
      expect(answer.headers.get('x-sql-statements')).toBeNull();
    }
    // The same document for a patient with 30 records (a page of 20, their authors joined to it): the same count.
    const { answer, sql } = await counted(() => post(url, { extensions: apq(hash), variables: { id: busyPatientId } }, admin));
    expect(answer.body.data?.patient?.records?.nodes).toHaveLength(20);
    expect(answer.body.data?.patient?.records?.totalCount).toBe(30);
    expect(sql).toBe(4);
  });

  test('refuses an arbitrary document, introspection and hash+query registration with PERSISTED_QUERY_REQUIRED (400)', async () => {
    const arbitrary = '{ patients(first: 1) { nodes { name } } }';
    const introspection = '{ __schema { types { name } } }';
    for (const payload of [
      { query: arbitrary },
      { query: introspection },
      { query: arbitrary, extensions: apq(sha256Hex(arbitrary)) },
      { extensions: apq(sha256Hex(arbitrary)) },
      { documentId: `sha256:${sha256Hex(introspection)}` },
      {},
    ]) {
      const { answer, sql } = await counted(() => post(url, payload, admin));
      expect(answer.status, JSON.stringify(payload)).toBe(400);
      expect(code(answer)).toBe('PERSISTED_QUERY_REQUIRED');
      expect(answer.body.errors?.[0]?.message).toMatch(/only trusted documents/);
      expect(answer.body.data).toBeUndefined();
      expect(sql).toBe(0);
    }
  });

  test('refuses the landing page and a plain GET query, and serves no GraphiQL', async () => {
    const landing = await send(url, { method: 'GET', headers: { accept: 'text/html' } });
    expect(landing.status).toBe(400);
    expect(landing.headers.get('content-type')).toMatch(/application\/json/);
    expect(code(landing)).toBe('PERSISTED_QUERY_REQUIRED');
    const plainGet = await get(url, { query: '{ __typename }' }, { ...admin, 'apollo-require-preflight': 'true' });
    expect(code(plainGet)).toBe('PERSISTED_QUERY_REQUIRED');
    const graphiql = await send(`${origin}/graphiql`, { method: 'GET', headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(404);
  });

  test('with ALLOW_APQ_REGISTRATION=1 registers APQ documents but still refuses plain ones and introspection', async () => {
    const open = await createTestGateway({
      shareWith: gateway,
      env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, ALLOW_APQ_REGISTRATION: '1' },
    });
    try {
      const openUrl = (await open.gateway.listen()).url;
      const query = `query Names { patients(first: 5) { nodes { name } } } # ${Date.now()}`;
      const hash = sha256Hex(query);
      expect(code(await post(openUrl, { extensions: apq(hash) }, admin))).toBe('PERSISTED_QUERY_NOT_FOUND');
      const registered = await counted(() => post(openUrl, { query, extensions: apq(hash) }, admin));
      expect(registered.answer.body).toEqual({ data: { patients: { nodes: [{ name: 'Busy Bee' }, { name: 'Pat Production' }] } } });
      expect(registered.sql).toBe(1);
      expect((await post(openUrl, { extensions: apq(hash) }, admin)).body.data?.patients?.nodes).toHaveLength(2);
      // The instance without registration shares the store, but does not accept registered hashes.
      expect(code(await post(url, { extensions: apq(hash) }, admin))).toBe('PERSISTED_QUERY_REQUIRED');
      expect(code(await post(openUrl, { query }, admin))).toBe('PERSISTED_QUERY_REQUIRED');
      const introspection = '{ __schema { queryType { name } } }';
      const refused = await post(openUrl, { query: introspection, extensions: apq(sha256Hex(introspection)) }, admin);
      expect(refused.status).toBe(400);
      expect(code(refused)).toBe('GRAPHQL_VALIDATION_FAILED');
    } finally {
      await open.close();
    }
  });
});

describe('the build step: npm run codegen', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'operations-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  const codegen = () =>
    spawnSync('npm', ['run', '--silent', 'codegen'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, OPERATIONS_DIR: folder, MAX_COST: '5000' },
      encoding: 'utf8',
    });

  test('writes a manifest of sha256(text) -> text for documents within the limits', () => {
    writeFileSync(path.join(folder, 'page.graphql'), 'query Page { patients(first: 10) { nodes { name records(first: 5) { nodes { id } } } } }\n');
    const result = codegen();
    expect(result.status, result.stderr).toBe(0);
    const written = JSON.parse(readFileSync(path.join(folder, 'persisted-documents.json'), 'utf8')) as Record<string, string>;
    const entries = Object.entries(written);
    expect(entries).toHaveLength(1);
    const [[hash, text]] = entries as [[string, string]];
    expect(hash).toBe(sha256Hex(text));
    expect(text).toMatch(/^query Page \{/);
    expect(existsSync(path.join(folder, '__generated__', 'graphql.ts'))).toBe(true);
  });

  test('fails, naming the document and its cost, when one is over MAX_COST', () => {
    rmSync(path.join(folder, 'persisted-documents.json'));
    writeFileSync(path.join(folder, 'huge.graphql'), 'query Huge { patients(first: 100) { nodes { records(first: 100) { nodes { author { name } } } } } }\n');
    const result = codegen();
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/Huge costs 20201, over MAX_COST 5000/);
    expect(existsSync(path.join(folder, 'persisted-documents.json'))).toBe(false);
  });
});
