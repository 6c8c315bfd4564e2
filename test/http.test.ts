/**
 * The HTTP surface, over a real socket with global fetch: health and
 * readiness, POST and GET /graphql (Apollo's CSRF prevention), the
 * x-sql-statements and x-request-id headers, body errors (malformed JSON,
 * 413), input errors and their HTTP statuses as the contract's error table
 * gives them, UNAUTHENTICATED over HTTP, graceful shutdown (an in-flight
 * request finishes, then the port refuses connections, and the test kit's
 * close() still works), and, last, an unexpected SQL failure that must come
 * back as a generic INTERNAL_SERVER_ERROR without SQL, table names or stacks.
 */
import http from 'node:http';
import mysql from 'mysql2/promise';
import { describe, expect } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { type GraphQLBody, insertClinicians, insertPatients, insertRecords, listen } from './support/index.js';

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('http');
let gw: TestGateway;
let graphqlUrl: string;
let origin: string;
let adminAuthorization: string;
let patientId: string;
let recordId: string;

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  const [clinician] = (await insertClinicians(gw.database.pool, ['Dr. Ada Grey'])) as [number];
  const [patient] = (await insertPatients(gw.database.pool, [{ name: 'Alice Ames' }])) as [number];
  const [record] = (await insertRecords(gw.database.pool, [{ patientId: patient, authorId: clinician, diagnosis: 'Flu' }])) as [
    number,
  ];
  patientId = toGlobalId('Patient', patient);
  recordId = toGlobalId('MedicalRecord', record);
  ({ url: graphqlUrl, origin } = await listen(gw));
  adminAuthorization = (await gw.authorizationFor('admin')) as string;
});

async function postGraphQL(
  body: string | Record<string, unknown>,
  headers: Record<string, string> = { authorization: adminAuthorization },
): Promise<{ response: Response; text: string; json: GraphQLBody }> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { response, text, json: JSON.parse(text) as GraphQLBody };
}

describe('operational endpoints', () => {
  test('GET /healthz answers 200', async () => {
    const response = await fetch(`${origin}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('GET /readyz answers 200 ready while MySQL answers', async () => {
    const response = await fetch(`${origin}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  test('GET /readyz answers 503 while the shipped migrations are not applied', async () => {
    const pool = gw.database.pool;
    await pool.query('UPDATE __drizzle_migrations SET created_at = created_at - 1');
    try {
      const response = await fetch(`${origin}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable', reason: 'migrations are not applied' });
    } finally {
      await pool.query('UPDATE __drizzle_migrations SET created_at = created_at + 1');
    }
    expect((await fetch(`${origin}/readyz`)).status).toBe(200);
  });
});

describe('POST /graphql', () => {
  test('returns data with the SQL statement count and a fresh request id', async () => {
    const { response, json } = await postGraphQL({
      query: 'query ($id: ID!) { patient(id: $id) { id name } }',
      variables: { id: patientId },
    });
    expect(response.status).toBe(200);
    expect(json).toEqual({ data: { patient: { id: patientId, name: 'Alice Ames' } } });
    expect(response.headers.get('x-sql-statements')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('counts the statements of the operation only (a list page and its count)', async () => {
    const { response, json } = await postGraphQL({ query: '{ patients { totalCount nodes { id } } }' });
    expect(json).toEqual({ data: { patients: { totalCount: 1, nodes: [{ id: patientId }] } } });
    expect(response.headers.get('x-sql-statements')).toBe('2');
  });

  test('echoes a valid x-request-id given by the client', async () => {
    const { response } = await postGraphQL(
      { query: '{ __typename }' },
      { authorization: adminAuthorization, 'x-request-id': 'client-trace_42:a.b' },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('client-trace_42:a.b');
  });

  test('replaces an invalid x-request-id with a fresh one', async () => {
    const invalid = 'not valid/' + 'x'.repeat(200);
    const { response } = await postGraphQL({ query: '{ __typename }' }, { authorization: adminAuthorization, 'x-request-id': invalid });
    const given = response.headers.get('x-request-id');
    expect(given).not.toBe(invalid);
    expect(given).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  test('answers a malformed JSON body with 400 and a coded JSON error', async () => {
    const { response, json } = await postGraphQL('{"query": "{ __typename }"', { authorization: adminAuthorization });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(json.errors?.[0]?.message).toBe('The request body is not valid JSON.');
  });

  test('answers a body over 1 MB with 413 and a coded JSON error', async () => {
    const padding = 'x'.repeat(gw.config.bodyLimitBytes + 1);
    const { response, json } = await postGraphQL({ query: '{ __typename }', variables: { padding } });
    expect(gw.config.bodyLimitBytes).toBe(1024 * 1024);
    expect(response.status).toBe(413);
    expect(typeof json.errors?.[0]?.extensions?.code).toBe('string');
    expect(json.errors?.[0]?.message).toBe(`The request body is larger than ${gw.config.bodyLimitBytes} bytes.`);
  });
});

describe('GET /graphql and CSRF prevention', () => {
  const getUrl = () => `${graphqlUrl}?query=${encodeURIComponent('{ patients { totalCount } }')}`;

  test('runs a query sent by GET with apollo-require-preflight', async () => {
    const response = await fetch(getUrl(), {
      headers: { authorization: adminAuthorization, 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { patients: { totalCount: 1 } } });
    expect(response.headers.get('x-sql-statements')).toBe('2');
  });

  test('blocks a simple GET (no content-type, no preflight header) as a possible CSRF, with 400', async () => {
    const response = await fetch(getUrl(), { headers: { authorization: adminAuthorization } });
    expect(response.status).toBe(400);
    const json = (await response.json()) as GraphQLBody;
    expect(json.data).toBeUndefined();
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(json.errors?.[0]?.message).toMatch(/Cross-Site Request Forgery/);
  });
});

describe('input errors', () => {
  test('answers variables that fail coercion with HTTP 400 and BAD_USER_INPUT', async () => {
    const { response, json } = await postGraphQL({
      query: 'query ($n: Int) { patients(first: $n) { totalCount } }',
      variables: { n: 'x' },
    });
    expect(response.status).toBe(400);
    expect(json.data).toBeUndefined();
    expect(json.errors).toHaveLength(1);
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(response.headers.get('x-sql-statements')).toBe('0');
  });

  test('answers first: 101 with HTTP 200, BAD_USER_INPUT and no SQL', async () => {
    const { response, json } = await postGraphQL({ query: '{ patients(first: 101) { totalCount } }' });
    expect(response.status).toBe(200);
    expect(json.data).toBeNull();
    expect(json.errors).toHaveLength(1);
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(json.errors?.[0]?.path).toEqual(['patients']);
    expect(response.headers.get('x-sql-statements')).toBe('0');
  });

  test('answers an invalid literal scalar with BAD_USER_INPUT and no SQL', async () => {
    const { json, response } = await postGraphQL({ query: '{ patients(filter: { bornAfter: "yesterday" }) { totalCount } }' });
    expect(json.data ?? null).toBeNull();
    expect(json.errors).toHaveLength(1);
    expect(json.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(json.errors?.[0]?.message).toMatch(/yesterday/);
    expect(response.headers.get('x-sql-statements')).toBe('0');
  });

  test('answers an invalid literal scalar with HTTP 200, as the error table gives for BAD_USER_INPUT outside variable coercion', async () => {
    const { response } = await postGraphQL({ query: '{ patients(filter: { bornAfter: "yesterday" }) { totalCount } }' });
    expect(response.status).toBe(200);
  });
});

describe('UNAUTHENTICATED over HTTP', () => {
  test('answers a field without a token with HTTP 200 and no SQL', async () => {
    const { response, json } = await postGraphQL({ query: '{ viewer { role } }' }, {});
    expect(response.status).toBe(200);
    expect(json.data).toEqual({ viewer: null });
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.headers.get('x-sql-statements')).toBe('0');
  });

  test('answers a refused token with HTTP 200, saying why', async () => {
    const { response, json } = await postGraphQL({ query: '{ viewer { role } }' }, { authorization: 'Token abc' });
    expect(response.status).toBe(200);
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(json.errors?.[0]?.message).toMatch(/"Bearer <token>"/);
  });

  test('answers introspection without a token with UNAUTHENTICATED and HTTP 200, as the error table says', async () => {
    const { response, json } = await postGraphQL({ query: '{ __schema { queryType { name } } }' }, {});
    expect(json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.status).toBe(200);
  });
});

describe('graceful shutdown', () => {
  test('lets a request that started before shutdown finish with 200, then refuses connections, and close() still works', async () => {
    // Its own gateway, not a fixture: shutting it down and closing it is what this test checks.
    const second = await createTestGateway({ name: 'http_shutdown' });
    try {
      const { url, port } = await second.gateway.listen();
      const authorization = (await second.authorizationFor('admin')) as string;
      const body = JSON.stringify({ query: '{ patients { totalCount } }' });

      // The request is in flight once the server has its headers; its body is sent only after shutdown began.
      const arrived = new Promise<void>((resolve) => second.gateway.httpServer.once('request', () => resolve()));
      let sendRestOfBody: () => void = () => undefined;
      const finished = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = http.request(
          url,
          {
            method: 'POST',
            agent: false,
            headers: {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(body)),
              authorization,
            },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (text += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.write(body.slice(0, 10));
        sendRestOfBody = () => request.end(body.slice(10));
      });
      await arrived;

      const shutdown = second.gateway.shutdown();
      sendRestOfBody();
      const inFlight = await finished;
      await shutdown;

      expect(inFlight.status).toBe(200);
      expect(JSON.parse(inFlight.text)).toEqual({ data: { patients: { totalCount: 0 } } });

      const afterShutdown = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        () => 'answered',
        (error: { cause?: { code?: string } }) => error.cause?.code,
      );
      expect(afterShutdown).toBe('ECONNREFUSED');

      await expect(second.close()).resolves.toBeUndefined();
    } finally {
      // close() drops the database; when it fails, do it here so no throw-away database is left behind.
      const server = new URL(second.databaseUrl);
      server.pathname = '/';
      const connection = await mysql.createConnection({ uri: server.toString() });
      try {
        await connection.query(`DROP DATABASE IF EXISTS \`${second.database.databaseName}\``);
      } finally {
        await connection.end();
      }
    }
  });
});

// Keep this describe last: it breaks the database of this file's gateway.
describe('an unexpected failure', () => {
  test('comes back as a generic INTERNAL_SERVER_ERROR without SQL, table names or stack', async () => {
    // medical_records and events reference clinicians, so drop it with foreign key checks off.
    const connection = await gw.database.pool.getConnection();
    try {
      await connection.query('SET FOREIGN_KEY_CHECKS = 0');
      await connection.query('DROP TABLE clinicians');
    } finally {
      await connection.query('SET FOREIGN_KEY_CHECKS = 1');
      connection.release();
    }

    const { response, text, json } = await postGraphQL({
      query: 'query ($id: ID!) { record(id: $id) { id diagnosis author { id name } } }',
      variables: { id: recordId },
    });
    expect(response.status).toBe(200);
    expect(json.data).toEqual({ record: { id: recordId, diagnosis: 'Flu', author: null } });
    expect(json.errors).toHaveLength(1);
    expect(json.errors?.[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(json.errors?.[0]?.path).toEqual(['record', 'author']);
    expect(json.errors?.[0]?.message).toBe('Internal server error. The request id in the logs has the details.');
    expect(text).not.toMatch(/clinicians/i);
    expect(text).not.toMatch(/select|from `|where/i);
    expect(text).not.toMatch(/stacktrace/i);
    expect(text).not.toMatch(/\bat .+\.[cm]?[jt]s:\d+:\d+/);
    expect(text).not.toMatch(/\bER_[A-Z]/);
    expect(text).not.toMatch(/doesn't exist/i);
    // the record, then the failing clinician lookup
    expect(response.headers.get('x-sql-statements')).toBe('2');
  });
});
