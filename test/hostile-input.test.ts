/**
 * Hostile input over real HTTP (global fetch against a listening gateway).
 * Every case asserts the exact HTTP status and `extensions.code` of the
 * contract's error table (Apollo's own request codes where the request is
 * not a GraphQL request at all), never a 500, and ends with expectHealthy():
 * /healthz answers 200 and an authenticated query still answers exactly.
 *
 * Covered: malformed and non-object JSON bodies, batches, empty bodies,
 * wrong or missing content types and charsets, bodies over 1 MB (also
 * gzip-inflated), broken gzip, invalid UTF-8 bytes; deeply nested JSON
 * (10,000 levels in variables or extensions, by POST and GET) and oversized
 * lists and strings; SQL metacharacters, NUL, controls, astral characters
 * and bidirectional marks in every string field of every mutation, stored
 * and read back verbatim with the same SQL as a benign value and no other
 * table touched; unpaired surrogates and text over a TEXT column refused;
 * refused tokens and Authorization headers; global ids and cursors of every
 * wrong shape; invalid scalar literals; GET with malformed query-string
 * fields; unknown and duplicate operation names, a query that is not a string.
 *
 * Decisions a demanding client would expect, and this suite pins:
 * - Text is verbatim. MySQL's utf8mb4 stores NUL and every other code point,
 *   so NUL, controls, quotes, backslashes, `%`, `_` and backticks are stored
 *   and returned exactly (only leading and trailing whitespace is trimmed,
 *   as the SDL documents). What MySQL cannot store as sent is refused with
 *   BAD_USER_INPUT before any SQL: an unpaired UTF-16 surrogate (JSON allows
 *   "\ud800"; it would silently become U+FFFD) and long text over the 65,535
 *   bytes of a TEXT column.
 * - A body that is not UTF-8 is 400 BAD_REQUEST, not silently repaired with
 *   U+FFFD; a body nested deeper than 64 levels is 400 BAD_REQUEST.
 * - `nodes(ids:)` with 10,000 ids: the contract prices `nodes` at one per id,
 *   so the operation costs 10,000, over MAX_COST (5,000): COST_LIMIT_EXCEEDED
 *   (400), refused before any SQL. Over the bound of 100 but within the cost
 *   limit (101 ids) it is BAD_USER_INPUT (200), as the error table says.
 */
import zlib from 'node:zlib';
import { SignJWT, type JWTPayload } from 'jose';
import type { RowDataPacket } from 'mysql2/promise';
import { beforeAll, describe, expect } from 'vitest';
import { createCursorCodec } from '../src/relay/cursor.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { b64, base64urlJson, CREATE_EVENT_ID, CREATE_PATIENT_ID, CREATE_RECORD_ID, DELETE_EVENT, DELETE_PATIENT, DELETE_RECORDS, gid, type GraphQLBody, insertClinicians, insertEvent, insertPatients, insertRecords, listen, SET_SELECTIONS_ID } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('hostile');
let gw: TestGateway;
let graphqlUrl: string;
let origin: string;
let admin: string;
let clinicianRowId: number;
let healthPatientId: string;
let patientRowId: number;
let recordRowId: number;
let eventRowId: number;
let scheduleRowIds: number[];

const HEALTH_PATIENT_NAME = 'Hattie Health';
const TABLES = ['clinicians', 'events', 'medical_records', 'patients', 'schedules', 'selections'] as const;
type Table = (typeof TABLES)[number];

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const pool = gw.database.pool;
  [clinicianRowId] = (await insertClinicians(pool, ['Dr. Ada Grey'])) as [number];
  const [health, patient] = (await insertPatients(pool, [{ name: HEALTH_PATIENT_NAME }, { name: 'Paula Plain' }])) as [
    number,
    number,
  ];
  healthPatientId = toGlobalId('Patient', health);
  patientRowId = patient;
  [recordRowId] = (await insertRecords(pool, [{ patientId: patient, authorId: clinicianRowId, diagnosis: 'Flu' }])) as [number];
  const event = await insertEvent(pool, { title: 'Vaccination day', organizerId: clinicianRowId, days: 1, slotsPerDay: 2 });
  eventRowId = event.eventId;
  scheduleRowIds = event.scheduleIds;
  ({ url: graphqlUrl, origin } = await listen(gw));
  admin = (await gw.authorizationFor('admin')) as string;
});

// ---------------------------------------------------------------- helpers

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: GraphQLBody;
}

type Body = string | Buffer | Record<string, unknown> | unknown[];

async function reply(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: GraphQLBody;
  try {
    json = JSON.parse(text) as GraphQLBody;
  } catch {
    throw new Error(`HTTP ${response.status} answered with a body that is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** POST /graphql; objects and arrays are sent as JSON, strings and Buffers as they are. */
async function post(body: Body, headers: Record<string, string | undefined> = {}): Promise<Reply> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', authorization: admin, ...headers })) {
    if (value !== undefined) merged[name] = value;
  }
  const payload = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
  return reply(await fetch(graphqlUrl, { method: 'POST', headers: merged, body: payload }));
}

/** GET /graphql with a raw (already encoded) query string, with Apollo's preflight header. */
async function get(search: string, headers: Record<string, string> = {}): Promise<Reply> {
  return reply(
    await fetch(`${graphqlUrl}?${search}`, {
      headers: { authorization: admin, 'apollo-require-preflight': 'true', ...headers },
    }),
  );
}

const sqlOf = (answer: Reply) => answer.headers.get('x-sql-statements');

/** The status, that every error carries `code`, and (given) the message and the SQL statement count. */
function expectRefusal(answer: Reply, status: number, code: string, options: { message?: RegExp; sql?: string } = {}): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect(answer.json.errors?.length ?? 0).toBeGreaterThan(0);
  for (const error of answer.json.errors ?? []) expect(error.extensions?.code).toBe(code);
  if (options.message) expect(answer.json.errors?.[0]?.message).toMatch(options.message);
  if (options.sql !== undefined) expect(sqlOf(answer)).toBe(options.sql);
}

/** A request error: no data at all (Apollo and the HTTP layer answer before execution). */
function expectRequestError(answer: Reply, status: number, code: string, message?: RegExp): void {
  expectRefusal(answer, status, code, message ? { message } : {});
  expect(answer.json.data).toBeUndefined();
}

/** The process still serves: /healthz is 200 and an authenticated query answers exactly, with one statement. */
async function expectHealthy(): Promise<void> {
  const health = await fetch(`${origin}/healthz`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const answer = await post({ query: 'query ($id: ID!) { patient(id: $id) { id name } }', variables: { id: healthPatientId } });
  expect(answer.status).toBe(200);
  expect(answer.json).toEqual({ data: { patient: { id: healthPatientId, name: HEALTH_PATIENT_NAME } } });
  expect(sqlOf(answer)).toBe('1');
}

/** Rows per table; also proves every table is still there (a dropped one fails the query). */
async function rowCounts(): Promise<Record<Table, number>> {
  const [rows] = await gw.database.pool.query<RowDataPacket[]>(
    `SELECT ${TABLES.map((table) => `(SELECT COUNT(*) FROM \`${table}\`) AS \`${table}\``).join(', ')}`,
  );
  return Object.fromEntries(TABLES.map((table) => [table, Number(rows[0]![table])])) as Record<Table, number>;
}

function plus(counts: Record<Table, number>, delta: Partial<Record<Table, number>>): Record<Table, number> {
  return Object.fromEntries(TABLES.map((table) => [table, counts[table] + (delta[table] ?? 0)])) as Record<Table, number>;
}

/** `levels` arrays inside each other: `[[[…]]]`. */
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** `levels` objects inside each other: `{"a":{"a":…1…}}`. */
const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

const PATIENT_QUERY = 'query ($id: ID!) { patient(id: $id) { id name } }';

// ---------------------------------------------------------------- request bodies

describe('request bodies that are not a GraphQL request', () => {
  const typename = JSON.stringify({ query: '{ __typename }' });
  const notUtf8 = (bytes: number[]) =>
    Buffer.concat([Buffer.from('{"query":"{ __typename }","variables":{"x":"'), Buffer.from(bytes), Buffer.from('"}}')]);

  test.each<{ name: string; body: string | Buffer; status: number; message: RegExp }>([
    { name: 'truncated JSON', body: typename.slice(0, 12), status: 400, message: /^The request body is not valid JSON\.$/ },
    { name: 'JSON with trailing garbage', body: `${typename} trailing`, status: 400, message: /^The request body is not valid JSON\.$/ },
    { name: 'two JSON objects back to back', body: `${typename}${typename}`, status: 400, message: /not valid JSON/ },
    { name: 'only whitespace', body: '  \n\t ', status: 400, message: /not valid JSON/ },
    { name: 'a bare JSON string', body: '"{ __typename }"', status: 400, message: /must be a JSON object/ },
    { name: 'a bare JSON number', body: '42', status: 400, message: /must be a JSON object/ },
    { name: 'a bare JSON null', body: 'null', status: 400, message: /must be a JSON object/ },
    { name: 'a bare JSON true', body: 'true', status: 400, message: /must be a JSON object/ },
    { name: 'an empty array (an empty batch)', body: '[]', status: 400, message: /batching disabled/ },
    { name: 'a batch of two operations', body: `[${typename},${typename}]`, status: 400, message: /batching disabled/ },
    { name: 'an empty body', body: '', status: 400, message: /POST body missing/ },
    { name: 'a raw NUL byte inside a JSON string', body: Buffer.from('{"query":"{ __type\u0000name }"}'), status: 400, message: /not valid JSON/ },
    { name: 'a raw NUL byte between tokens', body: Buffer.from('{"query":\u0000"{ __typename }"}'), status: 400, message: /not valid JSON/ },
    { name: 'invalid UTF-8 bytes (0xFF 0xFE, a truncated sequence)', body: notUtf8([0xff, 0xfe, 0xc3]), status: 400, message: /^The request body is not valid UTF-8\.$/ },
    { name: 'an overlong UTF-8 encoding of "/"', body: notUtf8([0xc0, 0xaf]), status: 400, message: /not valid UTF-8/ },
    { name: 'a UTF-8-encoded surrogate (CESU-8)', body: notUtf8([0xed, 0xa0, 0x80]), status: 400, message: /not valid UTF-8/ },
  ])('answers $name with $status BAD_REQUEST', async ({ body, status, message }) => {
    expectRequestError(await post(body), status, 'BAD_REQUEST', message);
    await expectHealthy();
  });

  test('accepts a UTF-8 byte order mark before the JSON (RFC 8259 lets a parser ignore it)', async () => {
    const answer = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(typename)]));
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { __typename: 'Query' } });
    await expectHealthy();
  });

  test.each<{ name: string; headers: Record<string, string | undefined>; status: number; message: RegExp }>([
    // Apollo's CSRF prevention: a "simple" request (these types, or none) without a preflight header is 400.
    { name: 'text/plain', headers: { 'content-type': 'text/plain' }, status: 400, message: /Cross-Site Request Forgery/ },
    { name: 'multipart/form-data', headers: { 'content-type': 'multipart/form-data; boundary=x' }, status: 400, message: /Cross-Site Request Forgery/ },
    { name: 'application/x-www-form-urlencoded', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 400, message: /Cross-Site Request Forgery/ },
    { name: 'no content type', headers: { 'content-type': undefined }, status: 400, message: /Cross-Site Request Forgery/ },
    // Past CSRF prevention, anything but JSON is 415 Unsupported Media Type.
    { name: 'text/plain with the preflight header', headers: { 'content-type': 'text/plain', 'apollo-require-preflight': 'true' }, status: 415, message: /Content-Type: application\/json/ },
    { name: 'no content type with the preflight header', headers: { 'content-type': undefined, 'apollo-require-preflight': 'true' }, status: 415, message: /Content-Type: application\/json/ },
    { name: 'application/xml', headers: { 'content-type': 'application/xml' }, status: 415, message: /Content-Type: application\/json/ },
    { name: 'application/graphql', headers: { 'content-type': 'application/graphql' }, status: 415, message: /Content-Type: application\/json/ },
    { name: 'application/json; charset=latin1', headers: { 'content-type': 'application/json; charset=latin1' }, status: 415, message: /UTF-8/ },
    { name: 'application/json; charset=utf-16', headers: { 'content-type': 'application/json; charset=utf-16' }, status: 415, message: /UTF-8/ },
    { name: 'an unknown Content-Encoding', headers: { 'content-encoding': 'x-unknown' }, status: 415, message: /Content-Encoding/ },
  ])('answers a valid JSON body sent as $name with $status BAD_REQUEST', async ({ headers, status, message }) => {
    // A Buffer body, so fetch adds no content type of its own.
    expectRequestError(await post(Buffer.from(typename), headers), status, 'BAD_REQUEST', message);
    await expectHealthy();
  });

  test('answers a body over 1 MB with 413 BAD_REQUEST', async () => {
    const padding = 'x'.repeat(gw.config.bodyLimitBytes + 1);
    expect(gw.config.bodyLimitBytes).toBe(1024 * 1024);
    const answer = await post({ query: '{ __typename }', variables: { padding } });
    expectRequestError(answer, 413, 'BAD_REQUEST', /larger than 1048576 bytes/);
    await expectHealthy();
  });

  test('answers a 5 KB gzip body that inflates past 1 MB (a zip bomb) with 413 BAD_REQUEST', async () => {
    const bomb = zlib.gzipSync(Buffer.from(JSON.stringify({ query: '{ __typename }', variables: { x: ' '.repeat(5 * 1024 * 1024) } })));
    expect(bomb.length).toBeLessThan(16 * 1024);
    expectRequestError(await post(bomb, { 'content-encoding': 'gzip' }), 413, 'BAD_REQUEST', /larger than/);
    await expectHealthy();
  });

  test('answers a body that is not gzip but says so with 400 BAD_REQUEST, and runs a real gzip body', async () => {
    expectRequestError(await post(Buffer.from(typename), { 'content-encoding': 'gzip' }), 400, 'BAD_REQUEST', /could not be read/);
    const gzipped = await post(zlib.gzipSync(Buffer.from(typename)), { 'content-encoding': 'gzip' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.json).toEqual({ data: { __typename: 'Query' } });
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- the request's fields

describe('request fields of the wrong shape', () => {
  test.each<{ name: string; body: Record<string, unknown>; status: number; code: string; message: RegExp; sql?: string }>([
    { name: 'a query that is a number', body: { query: 42 }, status: 400, code: 'BAD_REQUEST', message: /queries must be strings/ },
    { name: 'a query that is an array', body: { query: ['{ __typename }'] }, status: 400, code: 'BAD_REQUEST', message: /queries must be strings/ },
    { name: 'a query that is an object', body: { query: { kind: 'Document' } }, status: 400, code: 'BAD_REQUEST', message: /queries must be strings/ },
    { name: 'a null query', body: { query: null }, status: 400, code: 'BAD_REQUEST', message: /non-empty `query`/ },
    { name: 'an empty query', body: { query: '' }, status: 400, code: 'BAD_REQUEST', message: /non-empty `query`/ },
    { name: 'variables that are an array', body: { query: '{ __typename }', variables: [1] }, status: 400, code: 'BAD_REQUEST', message: /`variables`/ },
    { name: 'variables that are a JSON-encoded string', body: { query: '{ __typename }', variables: '{}' }, status: 400, code: 'BAD_REQUEST', message: /`variables`/ },
    { name: 'an operationName that is a number', body: { query: '{ __typename }', operationName: 42 }, status: 400, code: 'BAD_REQUEST', message: /`operationName`/ },
    { name: 'extensions that are a string', body: { query: '{ __typename }', extensions: 'x' }, status: 400, code: 'BAD_REQUEST', message: /`extensions`/ },
    { name: 'extensions that are an array', body: { query: '{ __typename }', extensions: [] }, status: 400, code: 'BAD_REQUEST', message: /`extensions`/ },
    { name: 'a persistedQuery that is a string', body: { query: '{ __typename }', extensions: { persistedQuery: 'x' } }, status: 400, code: 'BAD_REQUEST', message: /persisted query version/ },
    { name: 'a documentId that is a number', body: { documentId: 42 }, status: 400, code: 'BAD_REQUEST', message: /documentId must be/ },
    { name: 'a syntax error', body: { query: '{ patients { totalCount }' }, status: 400, code: 'GRAPHQL_PARSE_FAILED', message: /Syntax Error/, sql: '0' },
    { name: 'an unknown operationName', body: { query: 'query A { __typename }', operationName: 'Nope' }, status: 400, code: 'OPERATION_RESOLUTION_FAILURE', message: /Unknown operation named "Nope"/, sql: '0' },
    { name: 'two operations and no operationName', body: { query: 'query A { __typename } query B { __typename }' }, status: 400, code: 'OPERATION_RESOLUTION_FAILURE', message: /Must provide operation name/, sql: '0' },
    { name: 'two operations with the same name', body: { query: 'query A { __typename } query A { viewer { role } }', operationName: 'A' }, status: 400, code: 'GRAPHQL_VALIDATION_FAILED', message: /only one operation named "A"/, sql: '0' },
  ])('answers $name with $status $code', async ({ body, status, code, message, sql }) => {
    const answer = await post(body);
    expectRequestError(answer, status, code, message);
    if (sql !== undefined) expect(sqlOf(answer)).toBe(sql);
    await expectHealthy();
  });
});

describe('GET /graphql with malformed query-string fields', () => {
  const typename = `query=${encodeURIComponent('{ __typename }')}`;

  test.each<{ name: string; search: string; status: number; code: string; message: RegExp }>([
    { name: 'variables that are not JSON', search: `${typename}&variables=${encodeURIComponent('{bad')}`, status: 400, code: 'BAD_REQUEST', message: /variables/ },
    { name: 'variables that are a JSON array', search: `${typename}&variables=${encodeURIComponent('[1]')}`, status: 400, code: 'BAD_REQUEST', message: /JSON-encoded object/ },
    { name: 'extensions that are not JSON', search: `${typename}&extensions=${encodeURIComponent('{bad')}`, status: 400, code: 'BAD_REQUEST', message: /`extensions`.*not valid JSON/ },
    // 5,000 levels (the URL must stay under Node's 16 KB header limit); enough to overflow JSON.stringify.
    { name: 'variables nested 5,000 levels deep', search: `${typename}&variables=${encodeURIComponent('{"a":')}${nestedArrays(5000)}}`, status: 400, code: 'BAD_REQUEST', message: /`variables`.*deeper than 64 levels/ },
    { name: 'extensions nested 5,000 levels deep', search: `${typename}&extensions=${encodeURIComponent('{"a":')}${nestedArrays(5000)}}`, status: 400, code: 'BAD_REQUEST', message: /`extensions`.*deeper than 64 levels/ },
    { name: 'no query at all', search: 'variables=%7B%7D', status: 400, code: 'BAD_REQUEST', message: /non-empty `query`/ },
    { name: 'an unknown operationName', search: `${typename}&operationName=Nope`, status: 400, code: 'OPERATION_RESOLUTION_FAILURE', message: /Unknown operation/ },
    { name: 'a mutation (GET is for queries)', search: `query=${encodeURIComponent(`mutation { deleteEvent(id: "${toGlobalId('Event', 1)}") }`)}`, status: 405, code: 'BAD_REQUEST', message: /only support query operations/ },
  ])('answers $name with $status $code', async ({ search, status, code, message }) => {
    const before = await rowCounts();
    expectRequestError(await get(search), status, code, message);
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- deep and large variables

describe('deeply nested and oversized variables', () => {
  test.each<{ name: string; body: () => string }>([
    {
      name: '10,000 nested arrays in a declared ID! variable',
      body: () => `{"query":"query ($id: ID!) { patient(id: $id) { id } }","variables":{"id":${nestedArrays(10_000)}}}`,
    },
    {
      name: '10,000 nested objects in an undeclared variable',
      body: () => `{"query":"{ __typename }","variables":{"x":${nestedObjects(10_000)}}}`,
    },
    { name: '10,000 nested arrays in extensions', body: () => `{"query":"{ __typename }","extensions":{"x":${nestedArrays(10_000)}}}` },
    { name: '100,000 nested arrays as the whole body', body: () => nestedArrays(100_000) },
    {
      name: '10,000 nested objects in a mutation input',
      body: () =>
        `{"query":"mutation ($input: CreatePatientInput!) { createPatient(input: $input) { id } }","variables":{"input":${nestedObjects(10_000)}}}`,
    },
  ])('answers $name with 400 BAD_REQUEST, before any SQL or write', async ({ body }) => {
    const before = await rowCounts();
    expectRequestError(await post(body()), 400, 'BAD_REQUEST', /deeper than 64 levels/);
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test('accepts moderate nesting (60 levels in an unused variable) and ignores it', async () => {
    const answer = await post(`{"query":"{ __typename }","variables":{"x":${nestedArrays(60)}}}`);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { __typename: 'Query' } });
    await expectHealthy();
  });

  test('refuses nodes(ids:) with 10,000 ids as COST_LIMIT_EXCEEDED (400): the contract prices nodes at one per id', async () => {
    const ids = Array.from({ length: 10_000 }, (_, index) => gid.patient(index + 1));
    const answer = await post({ query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } });
    expectRequestError(answer, 400, 'COST_LIMIT_EXCEEDED', /estimated cost is 10000, over the limit of 5000/);
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({ limit: 5000, value: 10_000 });
    expect(sqlOf(answer)).toBe('0');
    await expectHealthy();
  });

  test('refuses nodes(ids:) with 101 ids (over its bound, within the cost limit) as BAD_USER_INPUT (200), with no SQL', async () => {
    const ids = Array.from({ length: 101 }, (_, index) => gid.patient(index + 1));
    const answer = await post({ query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids } });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { message: /at most 100 ids, got 101/, sql: '0' });
    expect(answer.json.data).toBeNull();
    await expectHealthy();
  });

  test.each<{ name: string; query: string; variables: () => Record<string, unknown>; message: RegExp }>([
    {
      name: 'deleteRecords with 1,001 ids',
      query: DELETE_RECORDS,
      variables: () => ({ ids: Array.from({ length: 1001 }, () => gid.record(recordRowId)) }),
      message: /"ids" must hold 0\.\.1000 items, got 1001/,
    },
    {
      name: 'setSelections with 1,001 schedule ids',
      query: SET_SELECTIONS_ID,
      variables: () => ({
        input: {
          eventId: gid.event(eventRowId),
          patientId: gid.patient(patientRowId),
          scheduleIds: Array.from({ length: 1001 }, (_, index) => gid.schedule(scheduleRowIds[index % 2]!)),
        },
      }),
      message: /"input\.scheduleIds" must hold 0\.\.1000 items, got 1001/,
    },
    {
      name: 'createEvent with 1,001 slots',
      query: CREATE_EVENT_ID,
      variables: () => ({
        input: { title: 'Too many', slots: Array.from({ length: 1001 }, () => ({ date: '2026-12-07', time: '09:00' })) },
      }),
      message: /"input\.slots" must hold 1\.\.1000 items, got 1001/,
    },
    {
      name: 'a 900,000-character name',
      query: CREATE_PATIENT_ID,
      variables: () => ({ input: { name: 'n'.repeat(900_000), birthDate: '1990-01-01' } }),
      message: /"input\.name" must be 1\.\.200 characters after trimming, got 900000/,
    },
    {
      name: 'a 900,000-character global id',
      query: DELETE_PATIENT,
      variables: () => ({ id: 'A'.repeat(900_000) }),
      message: /"id" is not a valid global id/,
    },
    {
      name: '20,000 astral characters of notes (80,000 bytes, over a TEXT column)',
      query: CREATE_RECORD_ID,
      variables: () => ({ input: { patientId: gid.patient(patientRowId), diagnosis: 'Flu', notes: '😀'.repeat(20_000) } }),
      message: /"input\.notes" must be at most 65535 bytes of UTF-8, got 80000/,
    },
    {
      name: '20,000 astral characters of event description',
      query: CREATE_EVENT_ID,
      variables: () => ({
        input: { title: 'Talk', description: '𝕏'.repeat(20_000), slots: [{ date: '2026-12-07', time: '09:00' }] },
      }),
      message: /"input\.description" must be at most 65535 bytes of UTF-8, got 80000/,
    },
  ])('refuses $name with BAD_USER_INPUT (200), no SQL and no write', async ({ query, variables, message }) => {
    const before = await rowCounts();
    const answer = await post({ query, variables: variables() });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { message, sql: '0' });
    expect(answer.json.data).toBeNull();
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test.each<{ name: string; query: string; variables: () => Record<string, unknown>; cost: number }>([
    {
      name: 'deleteRecords with 10,000 ids',
      query: DELETE_RECORDS,
      variables: () => ({ ids: Array.from({ length: 10_000 }, () => gid.record(recordRowId)) }),
      cost: 10_000,
    },
    {
      name: 'setSelections with 10,000 schedule ids',
      query: SET_SELECTIONS_ID,
      variables: () => ({
        input: {
          eventId: gid.event(eventRowId),
          patientId: gid.patient(patientRowId),
          scheduleIds: Array.from({ length: 10_000 }, (_, index) => gid.schedule(scheduleRowIds[index % 2]!)),
        },
      }),
      // 1,000 assumed selections returned + 10,000 ids written.
      cost: 11_000,
    },
    {
      name: 'createEvent with 10,000 slots',
      query: CREATE_EVENT_ID,
      variables: () => ({
        input: { title: 'Too many', slots: Array.from({ length: 10_000 }, () => ({ date: '2026-12-07', time: '09:00' })) },
      }),
      cost: 10_001,
    },
  ])('refuses $name by its write volume: COST_LIMIT_EXCEEDED (400), no SQL and no write', async ({ query, variables, cost }) => {
    const before = await rowCounts();
    const answer = await post({ query, variables: variables() });
    expectRefusal(answer, 400, 'COST_LIMIT_EXCEEDED', { sql: '0' });
    expect(answer.json.errors?.[0]?.extensions).toMatchObject({ limit: 5000, value: cost });
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test('stores 20,000 characters of two-byte text in a TEXT column (the byte limit refuses only what MySQL cannot hold)', async () => {
    const notes = 'é'.repeat(20_000);
    const answer = await post({
      query: CREATE_RECORD_ID,
      variables: { input: { patientId: gid.patient(patientRowId), diagnosis: 'Long notes', notes } },
    });
    expect(answer.json.errors).toBeUndefined();
    const id = answer.json.data?.createRecord.id as string;
    const read = await post({ query: 'query ($id: ID!) { record(id: $id) { notes } }', variables: { id } });
    expect(read.json).toEqual({ data: { record: { notes } } });
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- hostile text, stored verbatim

/** Text a careless gateway would execute, mangle or choke on; none starts or ends with whitespace (that is trimmed). */
const HOSTILE_TEXT: readonly (readonly [string, string])[] = [
  ['a statement terminator and DROP TABLE', "'; DROP TABLE patients; --"],
  ['an OR 1=1 in double quotes', '" OR 1=1 --'],
  ['an OR 1=1 in single quotes', "' OR '1'='1"],
  ['a second statement against another table', "x'); DELETE FROM medical_records WHERE ('1'='1"],
  ['backslashes before quotes', 'C:\\temp\\new \\\' \\" \\\\ end\\'],
  ['the two characters backslash and zero', 'a\\0b\\Zc'],
  ['LIKE wildcards', '100% of _all_ %_%'],
  ['backticks', '`patients`; SELECT * FROM `patients`'],
  ['an unterminated comment', '/* not closed'],
  ['a NUL character', 'before\u0000after'],
  ['C0 controls and an ANSI escape', 'bell\u0007 esc\u001b[31mred\u001b[0m del\u007f'],
  ['emoji, a ZWJ sequence and astral characters', '👩‍⚕️ 😀 𝕏 𠜎'],
  ['bidirectional marks and overrides', '\u200fabc\u202edef\u202c\u2067ghi\u2069\u200e'],
  ['line and paragraph separators', 'one\u2028two\u2029three'],
  ['a zero-width space and a BOM inside', 'zero\u200bwidth\ufeffbom'],
];

interface TextField {
  /** e.g. createPatient(input.name) */
  readonly label: string;
  readonly mutation: string;
  /** The mutation's root field and the field of its result that holds the text. */
  readonly root: string;
  readonly key: string;
  /** The read that returns the stored value: its root field, given `id`. */
  readonly read: string;
  readonly readRoot: string;
  /** The mutation's variables with `value` in the field under test (may insert a row to update). */
  readonly variables: (value: string) => Promise<Record<string, unknown>>;
  /** Rows the mutation adds, per table; every other table must not change. */
  readonly adds: Partial<Record<Table, number>>;
}

const CREATE_PATIENT = 'mutation ($input: CreatePatientInput!) { createPatient(input: $input) { id name email } }';
const UPDATE_PATIENT = 'mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { id name email version } }';
const CREATE_RECORD = 'mutation ($input: CreateRecordInput!) { createRecord(input: $input) { id diagnosis treatment notes } }';
const UPDATE_RECORD =
  'mutation ($input: UpdateRecordInput!) { updateRecord(input: $input) { id diagnosis treatment notes version } }';
const CREATE_EVENT = 'mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title description } }';
const READ_PATIENT = 'query ($id: ID!) { patient(id: $id) { id name email } }';
const READ_RECORD = 'query ($id: ID!) { record(id: $id) { id diagnosis treatment notes } }';
const READ_EVENT = 'query ($id: ID!) { event(id: $id) { id title description } }';

async function freshPatient(): Promise<string> {
  const [id] = (await insertPatients(gw.database.pool, [{ name: 'To be updated' }])) as [number];
  return gid.patient(id);
}

async function freshRecord(): Promise<string> {
  const [id] = (await insertRecords(gw.database.pool, [{ patientId: patientRowId, diagnosis: 'To be updated' }])) as [number];
  return gid.record(id);
}

const createPatientWith = (key: 'name') => async (value: string) => ({ input: { birthDate: '1990-01-01', [key]: value } });
const updatePatientWith = (key: 'name') => async (value: string) => ({
  input: { id: await freshPatient(), expectedVersion: 1, [key]: value },
});
const createRecordWith = (key: 'diagnosis' | 'treatment' | 'notes') => async (value: string) => ({
  input: { patientId: gid.patient(patientRowId), diagnosis: 'Plain', [key]: value },
});
const updateRecordWith = (key: 'diagnosis' | 'treatment' | 'notes') => async (value: string) => ({
  input: { id: await freshRecord(), expectedVersion: 1, [key]: value },
});
const createEventWith = (key: 'title' | 'description') => async (value: string) => ({
  input: { title: 'Plain', [key]: value, slots: [{ date: '2026-12-07', time: '09:00' }] },
});

// Every String argument of every mutation in contract.graphql (emails are EmailAddress, tested below; there is no updateEvent).
const TEXT_FIELDS: readonly TextField[] = [
  { label: 'createPatient(input.name)', mutation: CREATE_PATIENT, root: 'createPatient', key: 'name', read: READ_PATIENT, readRoot: 'patient', variables: createPatientWith('name'), adds: { patients: 1 } },
  { label: 'updatePatient(input.name)', mutation: UPDATE_PATIENT, root: 'updatePatient', key: 'name', read: READ_PATIENT, readRoot: 'patient', variables: updatePatientWith('name'), adds: {} },
  { label: 'createRecord(input.diagnosis)', mutation: CREATE_RECORD, root: 'createRecord', key: 'diagnosis', read: READ_RECORD, readRoot: 'record', variables: createRecordWith('diagnosis'), adds: { medical_records: 1 } },
  { label: 'createRecord(input.treatment)', mutation: CREATE_RECORD, root: 'createRecord', key: 'treatment', read: READ_RECORD, readRoot: 'record', variables: createRecordWith('treatment'), adds: { medical_records: 1 } },
  { label: 'createRecord(input.notes)', mutation: CREATE_RECORD, root: 'createRecord', key: 'notes', read: READ_RECORD, readRoot: 'record', variables: createRecordWith('notes'), adds: { medical_records: 1 } },
  { label: 'updateRecord(input.diagnosis)', mutation: UPDATE_RECORD, root: 'updateRecord', key: 'diagnosis', read: READ_RECORD, readRoot: 'record', variables: updateRecordWith('diagnosis'), adds: {} },
  { label: 'updateRecord(input.treatment)', mutation: UPDATE_RECORD, root: 'updateRecord', key: 'treatment', read: READ_RECORD, readRoot: 'record', variables: updateRecordWith('treatment'), adds: {} },
  { label: 'updateRecord(input.notes)', mutation: UPDATE_RECORD, root: 'updateRecord', key: 'notes', read: READ_RECORD, readRoot: 'record', variables: updateRecordWith('notes'), adds: {} },
  { label: 'createEvent(input.title)', mutation: CREATE_EVENT, root: 'createEvent', key: 'title', read: READ_EVENT, readRoot: 'event', variables: createEventWith('title'), adds: { events: 1, schedules: 1 } },
  { label: 'createEvent(input.description)', mutation: CREATE_EVENT, root: 'createEvent', key: 'description', read: READ_EVENT, readRoot: 'event', variables: createEventWith('description'), adds: { events: 1, schedules: 1 } },
];

describe('hostile text in every string field of every mutation', () => {
  /** Statements each mutation runs with a benign value: a hostile one must run exactly as many, no more. */
  const benignSql = new Map<string, string>();

  beforeAll(async () => {
    for (const field of TEXT_FIELDS) {
      const answer = await post({ query: field.mutation, variables: await field.variables('Plain value') });
      expect(answer.json.errors).toBeUndefined();
      expect(answer.json.data?.[field.root]?.[field.key]).toBe('Plain value');
      benignSql.set(field.label, sqlOf(answer) as string);
    }
  });

  const cases = TEXT_FIELDS.flatMap((field) => HOSTILE_TEXT.map(([what, value]) => ({ field, what, value, label: field.label })));

  test.each(cases)('$label stores $what verbatim and executes none of it', async ({ field, value }) => {
    const variables = await field.variables(value);
    const before = await rowCounts();
    const answer = await post({ query: field.mutation, variables });
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    const result = answer.json.data?.[field.root] as Record<string, unknown>;
    expect(result[field.key]).toBe(value);
    expect(sqlOf(answer)).toBe(benignSql.get(field.label));
    // Read back in a new request (caches are off: from MySQL), byte for byte.
    const read = await post({ query: field.read, variables: { id: result.id } });
    expect(read.json.errors).toBeUndefined();
    expect(read.json.data?.[field.readRoot]?.[field.key]).toBe(value);
    expect(sqlOf(read)).toBe('1');
    // Every table still there, and only the mutation's own rows added.
    expect(await rowCounts()).toEqual(plus(before, field.adds));
    await expectHealthy();
  });

  test.each(HOSTILE_TEXT.map(([what, value]) => ({ what, value })))(
    'stores $what verbatim when it arrives as a string literal in the document',
    async ({ value }) => {
      // JSON string escapes are GraphQL string escapes (\u0000, \", \\, \n…).
      const query = `mutation { createPatient(input: { name: ${JSON.stringify(value)}, birthDate: "1990-01-01" }) { id name } }`;
      const answer = await post({ query });
      expect(answer.status).toBe(200);
      expect(answer.json.errors).toBeUndefined();
      const created = answer.json.data?.createPatient as { id: string; name: string };
      expect(created.name).toBe(value);
      const read = await post({ query: PATIENT_QUERY, variables: { id: created.id } });
      expect(read.json).toEqual({ data: { patient: { id: created.id, name: value } } });
      await expectHealthy();
    },
  );

  test.each(TEXT_FIELDS.flatMap((field) => ['a\ud800b', '\udc00tail'].map((value) => ({ field, value, label: field.label }))))(
    '$label refuses an unpaired surrogate ($value) with BAD_USER_INPUT (200): utf8mb4 would store U+FFFD instead',
    async ({ field, value }) => {
      const variables = await field.variables(value);
      const before = await rowCounts();
      const answer = await post({ query: field.mutation, variables });
      expectRefusal(answer, 200, 'BAD_USER_INPUT', { message: /must be well-formed Unicode text, got an unpaired surrogate/, sql: '0' });
      expect(answer.json.errors?.[0]?.extensions?.field).toBe(`input.${field.key}`);
      expect(answer.json.data).toBeNull();
      expect(await rowCounts()).toEqual(before);
      await expectHealthy();
    },
  );

  test('trims only leading and trailing whitespace, as the SDL documents', async () => {
    const answer = await post({ query: CREATE_PATIENT, variables: { input: { name: ' \t padded\u0000 name \n', birthDate: '1990-01-01' } } });
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data?.createPatient.name).toBe('padded\u0000 name');
    await expectHealthy();
  });

  test.each(["o'brien%_`{x}|~@example.org", "'or'1'='1--@example.org", 'a+b/c=d?e^f&g*h!i#j$k@example.org'])(
    'createPatient and updatePatient store the email %s verbatim (an address may hold quotes, % and _)',
    async (email) => {
      const created = await post({ query: CREATE_PATIENT, variables: { input: { name: 'Mail', birthDate: '1990-01-01', email } } });
      expect(created.json.errors).toBeUndefined();
      expect(created.json.data?.createPatient.email).toBe(email);
      const updated = await post({ query: UPDATE_PATIENT, variables: { input: { id: await freshPatient(), expectedVersion: 1, email } } });
      expect(updated.json.errors).toBeUndefined();
      for (const id of [created.json.data?.createPatient.id, updated.json.data?.updatePatient.id]) {
        const read = await post({ query: READ_PATIENT, variables: { id } });
        expect(read.json.data?.patient.email).toBe(email);
      }
      await expectHealthy();
    },
  );

  test.each(["'; DROP TABLE patients; --@x.org", '" OR 1=1 --@x.org', 'a\u0000b@x.org', 'a\ud800@x.org', '😀@x.org'])(
    'refuses the email %j: a variable that fails EmailAddress coercion is 400 BAD_USER_INPUT, with no SQL',
    async (email) => {
      const before = await rowCounts();
      const answer = await post({ query: CREATE_PATIENT, variables: { input: { name: 'Mail', birthDate: '1990-01-01', email } } });
      expectRefusal(answer, 400, 'BAD_USER_INPUT', { message: /not a valid email address/, sql: '0' });
      expect(await rowCounts()).toEqual(before);
      await expectHealthy();
    },
  );

  test('matches % _ and \\ in patients(filter: { nameContains }) literally, never as LIKE wildcards', async () => {
    await insertPatients(gw.database.pool, [{ name: 'Zed 50% off' }, { name: 'Zed a_b' }, { name: 'Zed back\\slash' }, { name: 'Zed plain' }]);
    const names = async (nameContains: string) => {
      const answer = await post({
        query: 'query ($f: PatientFilter) { patients(first: 100, filter: $f) { nodes { name } } }',
        variables: { f: { nameContains } },
      });
      expect(answer.json.errors).toBeUndefined();
      return (answer.json.data?.patients.nodes as { name: string }[]).map((node) => node.name).filter((name) => name.startsWith('Zed'));
    };
    expect(await names('%')).toEqual(['Zed 50% off']);
    expect(await names('_')).toEqual(['Zed a_b']);
    expect(await names('\\')).toEqual(['Zed back\\slash']);
    expect((await names('Zed')).sort()).toEqual(['Zed 50% off', 'Zed a_b', 'Zed back\\slash', 'Zed plain']);
    await expectHealthy();
  });
  test('refuses a nameContains longer than any name (200 characters) with BAD_USER_INPUT and no SQL', async () => {
    const answer = await post({
      query: 'query ($f: PatientFilter) { patients(first: 5, filter: $f) { totalCount } }',
      variables: { f: { nameContains: 'x'.repeat(900_000) } },
    });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { message: /at most 200 characters/, sql: '0' });
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- invalid scalars

describe('invalid scalar values', () => {
  test.each<{ name: string; query: string }>([
    { name: 'a LocalTime literal with a leap second', query: 'mutation { createEvent(input: { title: "t", slots: [{ date: "2026-12-07", time: "23:59:60" }] }) { id } }' },
    { name: 'a LocalTime literal of 24:00', query: 'mutation { createEvent(input: { title: "t", slots: [{ date: "2026-12-07", time: "24:00" }] }) { id } }' },
    { name: 'an EmailAddress literal that is SQL', query: `mutation { createPatient(input: { name: "n", birthDate: "1990-01-01", email: "'; DROP TABLE patients; --" }) { id } }` },
    { name: 'a Date literal of February 30', query: 'mutation { createPatient(input: { name: "n", birthDate: "1990-02-30" }) { id } }' },
    { name: 'a Date literal with a NUL', query: '{ patients(filter: { bornAfter: "1990-01-01\\u0000" }) { totalCount } }' },
    { name: 'an Int literal over 32 bits', query: '{ patients(first: 99999999999999999999) { totalCount } }' },
  ])('refuses $name with BAD_USER_INPUT (200, as for every invalid scalar) and no SQL', async ({ query }) => {
    const before = await rowCounts();
    const answer = await post({ query });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { sql: '0' });
    expect(answer.json.data ?? null).toBeNull();
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test.each<{ name: string; variables: Record<string, unknown> }>([
    { name: 'a time of 25:00', variables: { input: { title: 't', slots: [{ date: '2026-12-07', time: '25:00' }] } } },
    { name: 'a time with nanoseconds', variables: { input: { title: 't', slots: [{ date: '2026-12-07', time: '09:30:00.123456789' }] } } },
    { name: 'a date with a NUL', variables: { input: { title: 't', slots: [{ date: '2026-12-07\u0000', time: '09:00' }] } } },
    { name: 'a date that is SQL', variables: { input: { title: 't', slots: [{ date: "2026-12-07' OR '1'='1", time: '09:00' }] } } },
    { name: 'a slot that is a string', variables: { input: { title: 't', slots: ['2026-12-07 09:00'] } } },
    { name: 'a title that is an object', variables: { input: { title: { $gt: '' }, slots: [{ date: '2026-12-07', time: '09:00' }] } } },
  ])('refuses a variable with $name: 400 BAD_USER_INPUT (variables fail coercion), no SQL', async ({ variables }) => {
    const before = await rowCounts();
    const answer = await post({ query: CREATE_EVENT, variables });
    expectRequestError(answer, 400, 'BAD_USER_INPUT');
    expect(sqlOf(answer)).toBe('0');
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- tokens

const now = () => Math.floor(Date.now() / 1000);

/** A JWT with exactly these claims (no defaults), HS256 with the gateway's secret unless told otherwise. */
function jwt(claims: JWTPayload, options: { secret?: string; alg?: 'HS256' | 'HS512' } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(options.secret ?? gw.config.jwtSecret));
}

const valid = () => ({ sub: 'hostile-admin', role: 'admin', exp: now() + 3600 });

describe('refused tokens and Authorization headers over HTTP', () => {
  const refusals: { name: string; authorization: () => Promise<string>; why: RegExp }[] = [
    { name: 'an alg:none token', authorization: async () => `Bearer ${base64urlJson({ alg: 'none', typ: 'JWT' })}.${base64urlJson(valid())}.`, why: /only HS256/ },
    { name: 'an HS512 token with the right secret', authorization: async () => `Bearer ${await jwt(valid(), { alg: 'HS512' })}`, why: /only HS256/ },
    { name: 'a token signed with a wrong secret', authorization: async () => `Bearer ${await jwt(valid(), { secret: 'a-wrong-secret-of-sufficient-length-0123456789' })}`, why: /signature does not verify/ },
    { name: 'a token whose signature was stripped', authorization: async () => `Bearer ${(await jwt(valid())).replace(/\.[^.]+$/, '.')}`, why: /signature does not verify|not a well-formed JWT/ },
    { name: 'an expired token', authorization: async () => `Bearer ${await jwt({ ...valid(), exp: now() - 60 })}`, why: /expired/ },
    { name: 'a token not valid before next hour', authorization: async () => `Bearer ${await jwt({ ...valid(), nbf: now() + 3600 })}`, why: /claim "nbf"/ },
    { name: 'a token without exp', authorization: async () => `Bearer ${await jwt({ sub: 'x', role: 'admin' })}`, why: /claim "exp"/ },
    { name: 'a token whose exp is a string', authorization: async () => `Bearer ${await jwt({ ...valid(), exp: 'tomorrow' as unknown as number })}`, why: /claim "exp"/ },
    { name: 'a token without sub', authorization: async () => `Bearer ${await jwt({ role: 'admin', exp: now() + 3600 })}`, why: /claim "sub"/ },
    { name: 'a token with an empty sub', authorization: async () => `Bearer ${await jwt({ ...valid(), sub: '' })}`, why: /claim "sub"/ },
    { name: 'a token whose sub is a number', authorization: async () => `Bearer ${await jwt({ ...valid(), sub: 42 as unknown as string })}`, why: /claim "sub"/ },
    { name: 'a token without role', authorization: async () => `Bearer ${await jwt({ sub: 'x', exp: now() + 3600 })}`, why: /claim "role"/ },
    { name: 'a token with an unknown role', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'superuser' })}`, why: /claim "role"/ },
    { name: 'a token with role ADMIN (roles are lowercase)', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'ADMIN' })}`, why: /claim "role"/ },
    { name: 'a token whose role is an array', authorization: async () => `Bearer ${await jwt({ ...valid(), role: ['admin'] })}`, why: /claim "role"/ },
    { name: 'a patient token without patientId', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'patient' })}`, why: /claim "patientId"/ },
    { name: 'a patient token whose patientId is a number', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'patient', patientId: patientRowId })}`, why: /claim "patientId"/ },
    { name: 'a patient token whose patientId is a raw "Patient:N"', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'patient', patientId: `Patient:${patientRowId}` })}`, why: /claim "patientId"/ },
    { name: 'a patient token whose patientId is a Clinician id', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'patient', patientId: toGlobalId('Clinician', clinicianRowId) })}`, why: /claim "patientId"/ },
    { name: 'a clinician token whose sub is not a Clinician id', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'clinician', sub: 'dr-who' })}`, why: /claim "sub" must be a Clinician global id/ },
    { name: 'a clinician token whose sub is a Patient id', authorization: async () => `Bearer ${await jwt({ ...valid(), role: 'clinician', sub: gid.patient(patientRowId) })}`, why: /claim "sub" must be a Clinician global id/ },
    { name: 'the Basic scheme', authorization: async () => `Basic ${Buffer.from('admin:admin').toString('base64')}`, why: /"Bearer <token>"/ },
    { name: 'Bearer without a token', authorization: async () => 'Bearer', why: /"Bearer <token>"/ },
    { name: 'a token without the Bearer scheme', authorization: async () => jwt(valid()), why: /"Bearer <token>"/ },
    { name: 'two tokens', authorization: async () => `Bearer ${await jwt(valid())} ${await jwt(valid())}`, why: /"Bearer <token>"/ },
    { name: 'a token with characters outside base64url', authorization: async () => `Bearer ${await jwt(valid())}'--`, why: /"Bearer <token>"/ },
    { name: 'garbage in three parts', authorization: async () => 'Bearer a.b.c', why: /not a well-formed JWT/ },
    { name: 'only dots', authorization: async () => 'Bearer ..', why: /not a well-formed JWT/ },
    { name: 'one long segment', authorization: async () => `Bearer ${'A'.repeat(4000)}`, why: /not a well-formed JWT/ },
  ];

  test.each(refusals)('answers $name with UNAUTHENTICATED (200), saying why, and no SQL', async ({ authorization, why }) => {
    const answer = await post(
      { query: 'query ($id: ID!) { viewer { role } patient(id: $id) { id } }', variables: { id: healthPatientId } },
      { authorization: await authorization() },
    );
    expectRefusal(answer, 200, 'UNAUTHENTICATED', { message: /^The bearer token was refused: /, sql: '0' });
    expect(answer.json.errors).toHaveLength(2);
    expect(answer.json.errors?.[0]?.message).toMatch(why);
    expect(answer.json.data).toEqual({ viewer: null, patient: null });
    await expectHealthy();
  });

  test('answers an empty Authorization header as no token: UNAUTHENTICATED (200), no SQL', async () => {
    const answer = await post({ query: '{ viewer { role } }' }, { authorization: '' });
    expectRefusal(answer, 200, 'UNAUTHENTICATED', { message: /needs a bearer token/, sql: '0' });
    expect(answer.json.data).toEqual({ viewer: null });
    await expectHealthy();
  });

  test('refuses a mutation with a forged token with UNAUTHENTICATED and writes nothing', async () => {
    const before = await rowCounts();
    const forged = `Bearer ${base64urlJson({ alg: 'none' })}.${base64urlJson(valid())}.`;
    const answer = await post({ query: CREATE_PATIENT, variables: { input: { name: 'Forged', birthDate: '1990-01-01' } } }, { authorization: forged });
    expectRefusal(answer, 200, 'UNAUTHENTICATED', { sql: '0' });
    expect(answer.json.data).toBeNull();
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test('accepts the scheme in any case and a hand-signed clinician token with a Clinician sub (the refusals are about their defect)', async () => {
    const sub = toGlobalId('Clinician', clinicianRowId);
    const answer = await post(
      { query: '{ viewer { role subject } }' },
      { authorization: `bEaReR ${await jwt({ sub, role: 'clinician', exp: now() + 3600 })}` },
    );
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { viewer: { role: 'CLINICIAN', subject: sub } } });
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- global ids

describe('global ids of every wrong shape', () => {
  const WRONG_IDS: readonly (readonly [string, unknown])[] = [
    ['not base64url', '***not-an-id***'],
    ['the raw "Patient:1"', 'Patient:1'],
    ['standard base64 with padding', Buffer.from('Patient:10').toString('base64')],
    ['base64 with + and /', 'UGF0+aWVu/dDox'],
    ['base64url of "Patient:abc"', b64('Patient:abc')],
    ['base64url of "Patient:-1"', b64('Patient:-1')],
    ['base64url of "Patient:0"', b64('Patient:0')],
    ['base64url of "Patient:01"', b64('Patient:01')],
    ['base64url of "Patient:1.5"', b64('Patient:1.5')],
    ['base64url of "Patient:1e3"', b64('Patient:1e3')],
    ['base64url of "Patient: 1"', b64('Patient: 1')],
    ['base64url of "Patient:1\\n"', b64('Patient:1\n')],
    ['base64url of "Patient:1\\0"', b64('Patient:1\u0000')],
    ['base64url of "Patient:99999999999999999999"', b64('Patient:99999999999999999999')],
    ['base64url of "Patient:9007199254740993" (over 2^53)', b64('Patient:9007199254740993')],
    ['base64url of "patient:1" (type in lowercase)', b64('patient:1')],
    ['base64url of "Nope:1"', b64('Nope:1')],
    ['base64url of "Patient"', b64('Patient')],
    ['base64url of "Patient:1\'; DROP TABLE patients; --"', b64("Patient:1'; DROP TABLE patients; --")],
    ['a non-canonical encoding (other spare bits)', `${b64('Patient:12').slice(0, -1)}h`],
    ['an Event id where a Patient id is expected', toGlobalId('Event', 1)],
    ['a MedicalRecord id where a Patient id is expected', toGlobalId('MedicalRecord', 1)],
    ['the empty string', ''],
    ['a 100,000-character string', 'A'.repeat(100_000)],
    ['a string with a NUL', `${toGlobalId('Patient', 1)}\u0000`],
    ['an emoji', '😀'],
    ['an Int variable (ID accepts it, as the string "12345")', 12345],
  ];

  test.each(WRONG_IDS.map(([what, id]) => ({ what, id })))(
    'answers patient(id:) with $what: BAD_USER_INPUT (200), null, no SQL',
    async ({ id }) => {
      const answer = await post({ query: PATIENT_QUERY, variables: { id } });
      expectRefusal(answer, 200, 'BAD_USER_INPUT', { message: /Argument "id" (is not a valid global id|must be a Patient id)/, sql: '0' });
      expect(answer.json.data).toEqual({ patient: null });
      expect(answer.json.errors?.[0]?.path).toEqual(['patient']);
      await expectHealthy();
    },
  );

  test.each([
    ['a boolean', true],
    ['an object', { id: 1 }],
    ['null for ID!', null],
  ] as const)('answers an id variable that is %s with 400 BAD_USER_INPUT (coercion), no SQL', async (_what, id) => {
    const answer = await post({ query: PATIENT_QUERY, variables: { id } });
    expectRequestError(answer, 400, 'BAD_USER_INPUT');
    expect(sqlOf(answer)).toBe('0');
    await expectHealthy();
  });

  test('answers a well-formed id of a patient that does not exist with null and no error (the contract), one statement', async () => {
    const missing = gid.patient(987_654_321);
    const answer = await post({ query: `query ($id: ID!) { patient(id: $id) { id } node(id: $id) { id } }`, variables: { id: missing } });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { patient: null, node: null } });
    expect(sqlOf(answer)).toBe('1');
    await expectHealthy();
  });

  test('answers node(id:) with a malformed id with BAD_USER_INPUT, but takes an id of any type', async () => {
    const bad = await post({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id: b64('Patient:-1') } });
    expectRefusal(bad, 200, 'BAD_USER_INPUT', { sql: '0' });
    expect(bad.json.data).toEqual({ node: null });
    const event = await post({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id: gid.event(eventRowId) } });
    expect(event.json).toEqual({ data: { node: { id: gid.event(eventRowId) } } });
    await expectHealthy();
  });

  test('fails only the malformed entries of nodes(ids:), each with BAD_USER_INPUT at its index', async () => {
    const answer = await post({
      query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: [healthPatientId, b64('Patient:abc'), '', gid.patient(987_654_321)] },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.data).toEqual({ nodes: [{ id: healthPatientId }, null, null, null] });
    expect(answer.json.errors?.map((error) => [error.path, error.extensions?.code])).toEqual([
      [['nodes', 1], 'BAD_USER_INPUT'],
      [['nodes', 2], 'BAD_USER_INPUT'],
    ]);
    expect(sqlOf(answer)).toBe('1');
    await expectHealthy();
  });

  test.each<{ name: string; query: string; variables: () => Record<string, unknown>; field: string }>([
    { name: 'updatePatient with an Event id', query: UPDATE_PATIENT, variables: () => ({ input: { id: gid.event(eventRowId), expectedVersion: 1, name: 'x' } }), field: 'input.id' },
    { name: 'updateRecord with a Patient id', query: UPDATE_RECORD, variables: () => ({ input: { id: gid.patient(patientRowId), expectedVersion: 1, notes: 'x' } }), field: 'input.id' },
    { name: 'createRecord with a malformed patientId', query: CREATE_RECORD, variables: () => ({ input: { patientId: b64("Patient:1' OR '1'='1"), diagnosis: 'x' } }), field: 'input.patientId' },
    { name: 'deletePatient with a NUL id', query: DELETE_PATIENT, variables: () => ({ id: '\u0000' }), field: 'id' },
    { name: 'deleteEvent with a Schedule id', query: DELETE_EVENT, variables: () => ({ id: gid.schedule(scheduleRowIds[0]!) }), field: 'id' },
    { name: 'deleteRecords with one malformed id among good ones', query: DELETE_RECORDS, variables: () => ({ ids: [gid.record(recordRowId), b64('MedicalRecord:-1')] }), field: 'ids[1]' },
    {
      name: 'setSelections with a foreign-type schedule id',
      query: SET_SELECTIONS_ID,
      variables: () => ({ input: { eventId: gid.event(eventRowId), patientId: gid.patient(patientRowId), scheduleIds: [gid.event(eventRowId)] } }),
      field: 'input.scheduleIds[0]',
    },
  ])('refuses $name with BAD_USER_INPUT naming the field, no SQL and no write', async ({ query, variables, field }) => {
    const before = await rowCounts();
    const answer = await post({ query, variables: variables() });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { sql: '0' });
    expect(answer.json.errors?.[0]?.extensions?.field ?? answer.json.errors?.[0]?.extensions?.argument).toBe(field);
    expect(answer.json.data).toBeNull();
    expect(await rowCounts()).toEqual(before);
    await expectHealthy();
  });

  test("answers a patient token asking for another patient's well-formed id with null and no error", async () => {
    const authorization = (await gw.authorizationFor({ patientId: patientRowId })) as string;
    const answer = await post({ query: PATIENT_QUERY, variables: { id: healthPatientId } }, { authorization });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ data: { patient: null } });
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- cursors

describe('cursors of every wrong shape', () => {
  const PAGE = 'query ($after: String) { patients(first: 1, after: $after) { pageInfo { endCursor hasPreviousPage } } }';
  /** A cursor the server handed out for `patients`, and one it handed out for `events`. */
  let patientsCursor: string;
  let eventsCursor: string;

  beforeAll(async () => {
    const patients = await post({ query: PAGE });
    patientsCursor = patients.json.data?.patients.pageInfo.endCursor as string;
    const events = await post({ query: '{ events(first: 1) { pageInfo { endCursor } } }' });
    eventsCursor = events.json.data?.events.pageInfo.endCursor as string;
  });

  test('accepts the cursor the server handed out (the refusals below are about their one change)', async () => {
    expect(patientsCursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    const next = await post({ query: PAGE, variables: { after: patientsCursor } });
    expect(next.json.errors).toBeUndefined();
    expect(next.json.data?.patients.pageInfo.hasPreviousPage).toBe(true);
    await expectHealthy();
  });

  const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  test.each<{ name: string; cursor: () => string }>([
    { name: 'a character appended to the signature', cursor: () => `${patientsCursor}!` },
    {
      // 16 signature bytes are 22 base64url characters: the last one carries 4 spare bits that decode to nothing.
      name: 'a signature whose last character differs only in its spare bits',
      cursor: () => `${patientsCursor.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(patientsCursor.at(-1)!) ^ 1]}`,
    },
    { name: 'padding appended to the signature', cursor: () => `${patientsCursor}==` },
    {
      name: 'a hand-edited position under the real signature',
      cursor: () => {
        const [payload, signature] = patientsCursor.split('.') as [string, string];
        const position = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
        return `${b64(JSON.stringify([...position.slice(0, -1), Number(position.at(-1)) + 1]))}.${signature}`;
      },
    },
    { name: "another list's cursor (events)", cursor: () => eventsCursor },
    { name: 'a cursor signed with another secret', cursor: () => createCursorCodec('another-secret').encode('patients', [1, 1]) },
    { name: 'the empty string', cursor: () => '' },
    { name: 'a NUL', cursor: () => '\u0000' },
    { name: 'a NUL inside a real cursor', cursor: () => patientsCursor.replace('.', '\u0000.') },
    { name: 'SQL', cursor: () => "1' OR '1'='1" },
    { name: 'a 100,000-character string', cursor: () => 'A'.repeat(100_000) },
    { name: 'a third dot-separated part', cursor: () => `${patientsCursor}.x` },
  ])('refuses $name with BAD_USER_INPUT (200) and no SQL', async ({ cursor }) => {
    const after = cursor();
    expect(after).not.toBe(patientsCursor);
    const answer = await post({ query: PAGE, variables: { after } });
    expectRefusal(answer, 200, 'BAD_USER_INPUT', { message: /Argument "after" is not a valid cursor/, sql: '0' });
    expect(answer.json.data).toBeNull();
    await expectHealthy();
  });
});

// ---------------------------------------------------------------- last

describe('after all of the above', () => {
  test('every table is still there, with the rows the fixtures and the accepted mutations put in', async () => {
    const [tables] = await gw.database.pool.query<RowDataPacket[]>('SHOW TABLES');
    const names = tables.map((row) => String(Object.values(row)[0]));
    for (const table of TABLES) expect(names).toContain(table);
    const counts = await rowCounts();
    expect(counts.clinicians).toBe(1);
    expect(counts.selections).toBe(0);
    expect(counts.patients).toBeGreaterThan(2);
    await expectHealthy();
  });
});
