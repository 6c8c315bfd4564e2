/**
 * What a /graphql request may run, over every transport, against a real
 * gateway over HTTP. In production (NODE_ENV=production) every combination of
 * method, content type, `query`, `documentId`, `extensions.persistedQuery`,
 * `operationName` and the CSRF preflight header runs exactly one trusted
 * document (operations/persisted-documents.json) or nothing, and a query text
 * sent with a hash must be that hash's document (the contract, "Persisted
 * documents"). The matrix sends the full cross product, sequentially, with an
 * admin token, and checks each answer: never 5xx, never the data of the
 * attacker's query (a patient whose name and email carry a marker), data only
 * when the request named the trusted hash and carried no other text, and no
 * SQL at all when it answered without data. The positive cases (hash-only GETs
 * with any content type and no preflight header, POST application/json) are
 * asserted too, so the matrix cannot pass by refusing everything.
 *
 * Development mode: hash-only GETs of a trusted document resolve whatever
 * content type they carry and without a preflight header (Apollo Client's
 * `useGETForHashedQueries` sends `content-type: application/json`).
 *
 * SQL is counted with the process-wide driver counter (totalStatements,
 * src/db/sql-counter.ts): the production gateway sends no x-sql-statements
 * header, and the requests run one at a time.
 */
import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { totalStatements } from '../src/db/sql-counter.js';
import { sha256Hex } from '../src/persisted/manifest.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { insertClinicians, insertEvent, insertPatients, PRODUCTION_SECRET } from './support/index.js';

const manifest = JSON.parse(readFileSync(new URL('../operations/persisted-documents.json', import.meta.url), 'utf8')) as Record<
  string,
  string
>;

/** The trusted document the matrix tries to run: reads events and their organizers, never patients. */
const TRUSTED_NAME = 'EventList';
const [TRUSTED_HASH, TRUSTED_TEXT] = ((): [string, string] => {
  const entry = Object.entries(manifest).find(([, text]) => new RegExp(`^query ${TRUSTED_NAME}\\b`).test(text));
  if (!entry) throw new Error(`operations/ has no ${TRUSTED_NAME}`);
  if (/patient/i.test(entry[1])) throw new Error(`${TRUSTED_NAME} must not read patients: the marker would appear legitimately`);
  return entry;
})();

/** In the name and email of a seeded patient: whatever answer carries it ran the attacker's query. */
const MARKER = 'Zq7Marker';
/** Named like the trusted operation, so `operationName` alone cannot tell them apart. */
const ATTACKER_TEXT = `query ${TRUSTED_NAME} { patients(first: 5) { nodes { name email } } }`;
const ATTACKER_HASH = sha256Hex(ATTACKER_TEXT);
/** A well-formed hash of no document the gateway knows. */
const UNKNOWN_HASH = sha256Hex(`not a document of this gateway ${MARKER}`);

const METHODS = ['GET', 'POST'] as const;
/** undefined: no content-type header; '': an empty one (does not parse as a media type). */
const CONTENT_TYPES = [
  undefined,
  '',
  'application/json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/graphql',
  'application/graphql-response+json',
  'multipart/form-data',
] as const;
const QUERIES = ['absent', 'trusted', 'attacker'] as const;
const DOCUMENT_IDS = ['absent', 'trusted', 'unknown', 'attacker'] as const;
const EXTENSIONS = ['absent', 'trusted', 'attacker'] as const;
const OPERATION_NAMES = ['absent', 'trusted', 'Other'] as const;
const PREFLIGHT = [true, false] as const;

interface Combination {
  readonly method: (typeof METHODS)[number];
  readonly contentType: (typeof CONTENT_TYPES)[number];
  readonly query: (typeof QUERIES)[number];
  readonly documentId: (typeof DOCUMENT_IDS)[number];
  readonly extensions: (typeof EXTENSIONS)[number];
  readonly operationName: (typeof OPERATION_NAMES)[number];
  readonly preflight: boolean;
}

interface Outcome {
  readonly combination: Combination;
  readonly status: number;
  readonly text: string;
  /** The response's `data` (undefined when absent or the body is not JSON). */
  readonly data: unknown;
  /** SQL statements the process sent while the request ran. */
  readonly sql: number;
}

function* combinations(): Generator<Combination> {
  for (const method of METHODS)
    for (const contentType of CONTENT_TYPES)
      for (const query of QUERIES)
        for (const documentId of DOCUMENT_IDS)
          for (const extensions of EXTENSIONS)
            for (const operationName of OPERATION_NAMES)
              for (const preflight of PREFLIGHT) yield { method, contentType, query, documentId, extensions, operationName, preflight };
}

const describeCombination = (c: Combination): string =>
  `${c.method} content-type=${c.contentType === undefined ? '(absent)' : JSON.stringify(c.contentType)} query=${c.query} ` +
  `documentId=${c.documentId} extensions=${c.extensions} operationName=${c.operationName} preflight=${c.preflight ? 'yes' : 'no'}`;

const hashFor = { trusted: TRUSTED_HASH, unknown: UNKNOWN_HASH, attacker: ATTACKER_HASH } as const;

/** The GraphQL fields of a combination, as a client would put them in its envelope. */
function fieldsOf(c: Combination): Record<string, string | object> {
  const fields: Record<string, string | object> = {};
  if (c.query !== 'absent') fields.query = c.query === 'trusted' ? TRUSTED_TEXT : ATTACKER_TEXT;
  if (c.documentId !== 'absent') fields.documentId = `sha256:${hashFor[c.documentId]}`;
  if (c.extensions !== 'absent') fields.extensions = { persistedQuery: { version: 1, sha256Hash: hashFor[c.extensions] } };
  if (c.operationName !== 'absent') fields.operationName = c.operationName === 'trusted' ? TRUSTED_NAME : c.operationName;
  return fields;
}

/** Each field as text (objects JSON-encoded), as search parameters and form fields carry them. */
const textFields = (fields: Record<string, string | object>): [string, string][] =>
  Object.entries(fields).map(([name, value]) => [name, typeof value === 'string' ? value : JSON.stringify(value)]);

const MULTIPART_BOUNDARY = 'matrix-boundary-7f3a';

/** The URL and fetch options of a combination: its fields encoded the way its transport carries them. */
function encode(url: string, c: Combination, authorization: string): { url: string; init: RequestInit } {
  const fields = fieldsOf(c);
  const headers: Record<string, string> = { authorization };
  if (c.preflight) headers['apollo-require-preflight'] = 'true';
  if (c.contentType !== undefined) {
    headers['content-type'] = c.contentType === 'multipart/form-data' ? `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` : c.contentType;
  }
  if (c.method === 'GET') {
    const search = new URLSearchParams(textFields(fields)).toString();
    return { url: search === '' ? url : `${url}?${search}`, init: { method: 'GET', headers } };
  }
  const json = JSON.stringify(fields);
  switch (c.contentType) {
    case undefined:
      // Bytes, so that fetch adds no content type of its own (a string body would be text/plain).
      return { url, init: { method: 'POST', headers, body: Buffer.from(json, 'utf8') } };
    case 'application/x-www-form-urlencoded':
      return { url, init: { method: 'POST', headers, body: new URLSearchParams(textFields(fields)).toString() } };
    case 'application/graphql': {
      // The body is the document; the other fields ride in the search string.
      const { query, ...rest } = fields;
      const search = new URLSearchParams(textFields(rest)).toString();
      return { url: search === '' ? url : `${url}?${search}`, init: { method: 'POST', headers, body: typeof query === 'string' ? query : '' } };
    }
    case 'multipart/form-data': {
      const parts = textFields(fields).map(
        ([name, value]) => `--${MULTIPART_BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      );
      return { url, init: { method: 'POST', headers, body: `${parts.join('')}--${MULTIPART_BOUNDARY}--\r\n` } };
    }
    default:
      // application/json, application/graphql-response+json, text/plain and the empty type: JSON text.
      return { url, init: { method: 'POST', headers, body: json } };
  }
}

async function send(url: string, init: RequestInit): Promise<{ status: number; text: string; data: unknown }> {
  const response = await fetch(url, init);
  const text = await response.text();
  let data: unknown;
  try {
    data = (JSON.parse(text) as { data?: unknown }).data;
  } catch {
    // Not JSON: no data. The status and marker checks still read `text`.
  }
  return { status: response.status, text, data };
}

/** The trusted document's answer through the legit route: POST application/json with its hash. */
async function legitAnswer(url: string, authorization: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: TRUSTED_HASH } } }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  expect(response.status).toBe(200);
  expect(body.errors).toBeUndefined();
  return body.data;
}

/** The hashes a combination names (documentId, extensions), whatever transport carries them. */
const namedHashes = (c: Combination): string[] =>
  [c.documentId, c.extensions].filter((field) => field !== 'absent').map((field) => hashFor[field as keyof typeof hashFor]);

const hasMarker = (text: string) => text.toLowerCase().includes(MARKER.toLowerCase());

/**
 * This file's gateways (each its own database), one per describe block below. Each is created when its
 * block's hook first asks for it, so the production matrix (counted with the process-wide SQL counter)
 * runs before the development gateway exists.
 */
const test = gatewaysTest('transport', {
  production: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } },
  development: { env: { NODE_ENV: 'development' } },
});

describe('production: every transport runs one trusted document or nothing', () => {
  let gw: TestGateway;
  let url: string;
  let admin: string;
  let expected: unknown;
  const outcomes: Outcome[] = [];

  test.beforeAll(async ({ production }) => {
    gw = production;
    url = (await gw.gateway.listen()).url;
    admin = (await gw.authorizationFor('admin')) as string;
    await insertPatients(gw.database.pool, [{ name: `Leaky ${MARKER} Patient`, email: `${MARKER.toLowerCase()}@example.org` }]);
    const [organizer] = (await insertClinicians(gw.database.pool, ['Dr. Matrix'])) as [number];
    await insertEvent(gw.database.pool, { title: 'Transport fair', organizerId: organizer, days: 1, slotsPerDay: 2 });
    expected = await legitAnswer(url, admin);

    const started = Date.now();
    for (const combination of combinations()) {
      const { url: target, init } = encode(url, combination, admin);
      const before = totalStatements();
      const answer = await send(target, init);
      outcomes.push({ combination, ...answer, sql: totalStatements() - before });
    }
    const ran = outcomes.filter((outcome) => outcome.data !== undefined && outcome.data !== null).length;
    console.log(`transport matrix: ${outcomes.length} combinations, ${ran} ran the trusted document, ${Date.now() - started} ms`);
  });

  /** The outcomes (all by default) that `check` faults, with their combination, so a failure names every request that broke the rule. */
  const violations = (check: (outcome: Outcome) => string | undefined, among: Outcome[] = outcomes): string[] =>
    among.flatMap((outcome) => {
      const fault = check(outcome);
      return fault === undefined ? [] : [`${describeCombination(outcome.combination)}: ${fault}`];
    });
  const hasData = (o: Outcome) => o.data !== undefined && o.data !== null;
  const excerpt = (o: Outcome) => `answered ${o.status}: ${o.text.slice(0, 200)}`;
  const didNotRun = (o: Outcome) => (o.status === 200 && JSON.stringify(o.data) === JSON.stringify(expected) ? undefined : excerpt(o));
  /** Names the trusted hash by documentId, extensions or both, and no other hash. */
  const namesTrustedHash = (c: Combination) => namedHashes(c).length > 0 && namedHashes(c).every((hash) => hash === TRUSTED_HASH);

  test('seeds a patient the attacker query would reveal, and a trusted document whose answer does not', async () => {
    const leak = await gw.run(ATTACKER_TEXT);
    expect(hasMarker(JSON.stringify(leak.data))).toBe(true);
    expect(expected).toMatchObject({ events: { totalCount: 1, nodes: [{ title: 'Transport fair', organizer: { name: 'Dr. Matrix' } }] } });
    expect(hasMarker(JSON.stringify(expected))).toBe(false);
    const dimensions = [METHODS, CONTENT_TYPES, QUERIES, DOCUMENT_IDS, EXTENSIONS, OPERATION_NAMES, PREFLIGHT];
    expect(outcomes).toHaveLength(dimensions.reduce((product, values) => product * values.length, 1));
  });

  test('never answers with a 5xx status', () => {
    expect(violations((o) => (o.status >= 500 ? excerpt(o) : undefined))).toEqual([]);
  });

  test("never answers with the attacker query's data", () => {
    expect(violations((o) => (hasMarker(o.text) ? `the marker leaked: ${excerpt(o)}` : undefined))).toEqual([]);
  });

  test("answers data only with the trusted document's answer, for a request naming the trusted hash and no other text", () => {
    expect(
      violations((o) => {
        if (!hasData(o)) return undefined;
        if (JSON.stringify(o.data) !== JSON.stringify(expected)) return `data is not the trusted answer: ${excerpt(o)}`;
        if (!namesTrustedHash(o.combination)) return 'ran without naming the trusted hash (alone)';
        if (o.combination.query === 'attacker') return 'ran although it carried another query text';
        return undefined;
      }),
    ).toEqual([]);
  });

  test('runs no SQL for a request it answers without data', () => {
    expect(violations((o) => (!hasData(o) && o.sql !== 0 ? `${o.sql} SQL statements, ${excerpt(o)}` : undefined))).toEqual([]);
  });

  test('runs a hash-only GET of the trusted hash with every content type, with and without the preflight header', () => {
    const hashOnlyGets = outcomes.filter(
      ({ combination: c }) => c.method === 'GET' && c.query === 'absent' && c.operationName !== 'Other' && namesTrustedHash(c),
    );
    // 8 content types x 3 ways to name the hash x 2 operation names (none, its own) x 2 preflight.
    expect(hashOnlyGets).toHaveLength(CONTENT_TYPES.length * 3 * 2 * 2);
    expect(violations(didNotRun, hashOnlyGets)).toEqual([]);
  });

  test('runs a preflighted GET carrying the trusted text with the trusted hash, with every content type', () => {
    const withText = outcomes.filter(
      ({ combination: c }) => c.method === 'GET' && c.preflight && c.query === 'trusted' && c.operationName !== 'Other' && namesTrustedHash(c),
    );
    expect(withText).toHaveLength(CONTENT_TYPES.length * 3 * 2);
    expect(violations(didNotRun, withText)).toEqual([]);
  });

  test('runs a POST application/json naming the trusted hash, with or without its text', () => {
    const jsonPosts = outcomes.filter(
      ({ combination: c }) =>
        c.method === 'POST' && c.contentType === 'application/json' && c.query !== 'attacker' && c.operationName !== 'Other' && namesTrustedHash(c),
    );
    // 2 query texts (none, the trusted one) x 3 ways to name the hash x 2 operation names x 2 preflight.
    expect(jsonPosts).toHaveLength(2 * 3 * 2 * 2);
    expect(violations(didNotRun, jsonPosts)).toEqual([]);
  });
});

describe('development: hash-only GETs of a trusted document', () => {
  let gw: TestGateway;
  let url: string;
  let admin: string;
  let expected: unknown;

  test.beforeAll(async ({ development }) => {
    gw = development;
    url = (await gw.gateway.listen()).url;
    admin = (await gw.authorizationFor('admin')) as string;
    await insertEvent(gw.database.pool, { title: 'Development fair', days: 1, slotsPerDay: 1 });
    expected = await legitAnswer(url, admin);
  });

  const byHash = {
    documentId: { documentId: `sha256:${TRUSTED_HASH}` },
    extensions: { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: TRUSTED_HASH } }) },
  };

  for (const [field, params] of Object.entries(byHash)) {
    for (const contentType of ['application/json', undefined]) {
      test(`resolves a GET naming it by ${field} with ${contentType ?? 'no content type'} and no preflight header`, async () => {
        const headers: Record<string, string> = { authorization: admin };
        if (contentType !== undefined) headers['content-type'] = contentType;
        const answer = await send(`${url}?${new URLSearchParams(params).toString()}`, { method: 'GET', headers });
        expect(answer.status, answer.text).toBe(200);
        expect(answer.data).toEqual(expected);
        expect(expected).toMatchObject({ events: { nodes: [{ title: 'Development fair' }] } });
      });
    }
  }
});
