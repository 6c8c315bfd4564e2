/**
 * Operation limits and the rate budget (contract: Limits, Errors): each limit
 * at and one over its value, the cost estimator against hand-computed costs,
 * bypass attempts on the default limits, HTTP statuses, batching, the
 * per-principal cost budget (Redis and in-process) and `extensions.cost`.
 */
import { HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { getIntrospectionQuery, getOperationAST, parse, type GraphQLFormattedError } from 'graphql';
import { describe, expect } from 'vitest';
import { analyzeOperation } from '../src/limits/analysis.js';
import { LIMIT_CODES } from '../src/plugins/metrics.js';
import { loadTypeDefs } from '../src/schema.js';
import type { Caller, TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { CREATE_EVENT_ID, SET_SELECTIONS_ID } from './support/index.js';


const codes = (errors: readonly GraphQLFormattedError[] | undefined) => (errors ?? []).map((error) => error.extensions?.code);
const noLimitError = (errors: readonly GraphQLFormattedError[] | undefined) =>
  expect(codes(errors).filter((code) => LIMIT_CODES.includes(code as (typeof LIMIT_CODES)[number]))).toEqual([]);

/** POSTs a raw body to a listening gateway. */
async function post(gw: TestGateway, url: string, body: string, as: Caller = 'admin') {
  const authorization = await gw.authorizationFor(as);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body,
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, json };
}

// Event page, the contract's example: 1 + 100 × (1 + 20 × (1 + 1)) = 4101.
const EVENT_PAGE = '{ event(id: "x") { schedules { date time selections { patient { name } } } } }';
// 1 + 20 × (1 + (1 + 5 × (1 + 1))) = 1 + 20 × 12 = 241.
const PAGE_241 = '{ patients(first: 20) { totalCount nodes { name recordCount records(first: 5) { nodes { author { name } } } } } }';

const RATE_BUDGET = { RATE_LIMIT_COST_PER_MINUTE: '600' };

/** This file's gateways (each its own database, rate buckets and Redis key space), one per setting under test. */
const test = gatewaysTest('limits', {
  small: {
    env: {
      MAX_COST: '50',
      MAX_DEPTH: '3',
      MAX_ALIASES: '2',
      MAX_TOKENS: '30',
      MAX_DIRECTIVES: '2',
      MAX_DOCUMENT_BYTES: '200',
    },
  },
  standard: {},
  rateRedis: { env: RATE_BUDGET },
  rateLocal: { env: { ...RATE_BUDGET, REDIS_URL: 'off' } },
  development: { env: { NODE_ENV: 'development' } },
  testEnv: {},
  production: { env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters' } },
});

describe('each limit, at and one over (small limits)', () => {
  let gw: TestGateway;
  let url: string;

  test.beforeAll(async ({ small }) => {
    gw = small;
    ({ url } = await gw.gateway.listen());
  });

  const refused = async (query: string, code: string, limit: number, value: number) => {
    const result = await gw.run(query);
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0]!.extensions).toMatchObject({ code, limit, value });
    expect(result.sqlCount).toBe(0);
  };

  test('cost: 50 passes, 51 is COST_LIMIT_EXCEEDED', async () => {
    // 1 + 49 × 1 = 50
    noLimitError((await gw.run('{ patients(first: 49) { nodes { id } } }')).errors);
    // 1 + 50 × 1 = 51
    await refused('{ patients(first: 50) { nodes { id } } }', 'COST_LIMIT_EXCEEDED', 50, 51);
  });

  test('depth: 3 passes, 4 is DEPTH_LIMIT_EXCEEDED', async () => {
    noLimitError((await gw.run('{ patient(id: "x") { records { nodes { id } } } }')).errors);
    await refused('{ patient(id: "x") { records { nodes { author { id } } } } }', 'DEPTH_LIMIT_EXCEEDED', 3, 4);
  });

  test('aliases: 2 pass, 3 are ALIAS_LIMIT_EXCEEDED', async () => {
    noLimitError((await gw.run('{ a: viewer { role } b: viewer { role } }')).errors);
    await refused('{ a: viewer { role } b: viewer { role } c: viewer { role } }', 'ALIAS_LIMIT_EXCEEDED', 2, 3);
  });

  const roles = (n: number) => `{ viewer { ${Array(n).fill('role').join(' ')} } }`;

  test('tokens: 30 pass, 31 are TOKEN_LIMIT_EXCEEDED', async () => {
    // `{`, `viewer`, `{`, n × `role`, `}`, `}` = n + 5 tokens (and under 200 bytes)
    const at = await gw.run(roles(25));
    expect(at.errors, JSON.stringify(at.errors)).toBeUndefined();
    await refused(roles(26), 'TOKEN_LIMIT_EXCEEDED', 30, 31);
  });

  test('directives: 2 pass, 3 are DIRECTIVE_LIMIT_EXCEEDED', async () => {
    const at = await gw.run('{ viewer @include(if: true) { role @skip(if: false) } }');
    expect(at.errors).toBeUndefined();
    await refused(
      '{ viewer @include(if: true) { role @skip(if: false) subject @skip(if: false) } }',
      'DIRECTIVE_LIMIT_EXCEEDED',
      2,
      3,
    );
  });

  const padded = (bytes: number) => {
    const base = '{ viewer { role } }\n#';
    return base + 'x'.repeat(bytes - base.length);
  };

  test('document bytes: 200 pass, 201 are DOCUMENT_TOO_LARGE', async () => {
    expect(Buffer.byteLength(padded(200))).toBe(200);
    const at = await gw.run(padded(200));
    expect(at.errors).toBeUndefined();
    await refused(padded(201), 'DOCUMENT_TOO_LARGE', 200, 201);
  });

  test('answers 400 for a limit refusal and 413 for DOCUMENT_TOO_LARGE over HTTP', async () => {
    const cost = await post(gw, url, JSON.stringify({ query: '{ patients(first: 50) { nodes { id } } }' }));
    expect(cost.status).toBe(400);
    expect(cost.json?.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', limit: 50, value: 51 });
    expect(cost.json?.data ?? null).toBeNull();

    const depth = await post(gw, url, JSON.stringify({ query: '{ patient(id: "x") { records { nodes { author { id } } } } }' }));
    expect(depth.status).toBe(400);
    expect(depth.json?.errors?.[0]?.extensions?.code).toBe('DEPTH_LIMIT_EXCEEDED');

    const tokens = await post(gw, url, JSON.stringify({ query: roles(27) }));
    expect(tokens.status).toBe(400);
    expect(tokens.json?.errors?.[0]?.extensions?.code).toBe('TOKEN_LIMIT_EXCEEDED');

    const large = await post(gw, url, JSON.stringify({ query: padded(201) }));
    expect(large.status).toBe(413);
    expect(large.json?.errors?.[0]?.extensions).toMatchObject({ code: 'DOCUMENT_TOO_LARGE', limit: 200, value: 201 });
  });
});

describe('cost estimation', () => {
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs() });
  const analyze = (doc: string, variables: Record<string, unknown> = {}) => {
    const document = parse(doc);
    return analyzeOperation(schema, document, getOperationAST(document)!, variables);
  };

  const table: [string, string, Record<string, unknown>, number][] = [
    // contract example: 1 + 100 × (1 + 20 × (1 + 1)) = 4101
    ['event page', EVENT_PAGE, {}, 4101],
    // patient 1 + records (1 + 10 × 1) = 12
    ['default first of records', '{ patient(id: "x") { records { nodes { id } } } }', {}, 12],
    // edges: patient 1 + records (1 + 10 × (edge 1 + node 1)) = 1 + 21 = 22
    ['edges instead of nodes', '{ patient(id: "x") { records { edges { cursor node { id } } } } }', {}, 22],
    ['241 page', PAGE_241, {}, 241],
    // 3 × (1 + max(Patient: records 1 + 10 × 1 = 11, Event: organizer 1)) = 36
    [
      'nodes with 3 ids, abstract max',
      '{ nodes(ids: ["a", "b", "c"]) { id ... on Patient { records { nodes { id } } } ... on Event { organizer { name } } } }',
      {},
      36,
    ],
    // 1 + 7 × (edge 1 + node 1) = 15
    ['variable default', 'query ($n: Int = 7) { patients(first: $n) { edges { node { name } } } }', {}, 15],
    // the variable given overrides the default: 1 + 3 × 2 = 7
    ['variable given', 'query ($n: Int = 7) { patients(first: $n) { edges { node { name } } } }', { n: 3 }, 7],
    // scalars and enums cost nothing: viewer 1
    ['scalars only', '{ viewer { role subject } }', {}, 1],
    // viewer 1 + patient 1 = 2
    ['nested object', '{ viewer { patient { name } } }', {}, 2],
    // patient 1 + records (1 + pageInfo 1 + 3 × 1; totalCount 0) = 1 + 5 = 6
    ['pageInfo and totalCount', '{ patient(id: "x") { records(first: 3) { totalCount pageInfo { hasNextPage } nodes { id } } } }', {}, 6],
    // fragment: 1 + 4 × (1 + records (1 + 2 × (1 + author 1))) = 1 + 4 × 6 = 25
    [
      'named fragment',
      'query { patients(first: 4) { nodes { ...P } } } fragment P on Patient { name records(first: 2) { nodes { author { name } } } }',
      {},
      25,
    ],
    // nested spreads: 1 + 2 × (1 + selections 50 × 1) = 1 + 102 = 103
    [
      'nested fragment spreads',
      'query { ...Q } fragment Q on Query { patients(first: 2) { ...C } } fragment C on PatientConnection { nodes { ...P } } fragment P on Patient { selections { id } }',
      {},
      103,
    ],
    // inline fragment without type condition: patient 1 + records (1 + 1 × 1) = 3
    ['inline fragment', '{ patient(id: "x") { ... { records(first: 1) { nodes { id } } } } }', {}, 3],
    // aliases each count: 1 + (1 + (1 + 10 × 1)) = 13
    ['aliases', '{ a: patient(id: "x") { name } b: patient(id: "y") { records { nodes { id } } } }', {}, 13],
    // no first given: the argument default 20: 1 + 20 × 1 = 21
    ['argument default', '{ patients { nodes { id } } }', {}, 21],
    // @skip(if: true) drops the page: viewer 1
    ['skip true', 'query ($s: Boolean!) { viewer { role } patients(first: 10) @skip(if: $s) { nodes { id } } }', { s: true }, 1],
    // @skip(if: false) keeps it: 1 + (1 + 10 × 1) = 12
    ['skip false', 'query ($s: Boolean!) { viewer { role } patients(first: 10) @skip(if: $s) { nodes { id } } }', { s: false }, 12],
    // @include(if: false) literal drops patient: viewer 1
    ['include false', '{ viewer { role } patient(id: "x") @include(if: false) { name } }', {}, 1],
    // events 1 + 2 × (1 + participants (1 + 3 × (1 + records (1 + 4 × 1)))) = 1 + 2 × (1 + 19) = 41
    [
      'nested connections',
      '{ events(first: 2) { nodes { participants(first: 3) { nodes { records(first: 4) { nodes { id } } } } } } }',
      {},
      41,
    ],
    // 5 ids × (1 + 0) = 5
    ['nodes with 5 ids', '{ nodes(ids: ["a", "b", "c", "d", "e"]) { id } }', {}, 5],
    // ids from a variable: 4 × 1 = 4
    ['nodes ids variable', 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', 'b', 'c', 'd'] }, 4],
    // node 1 + max(Patient selections 50 × 1, Event schedules 100 × 1) = 101
    ['abstract max', '{ node(id: "x") { ... on Patient { selections { id } } ... on Event { schedules { id } } } }', {}, 101],
    // node 1 + MedicalRecord (author 1 + patient 1) = 3
    ['interface fragment', '{ node(id: "x") { ... on Node { id } ... on MedicalRecord { author { name } patient { name } } } }', {}, 3],
    // introspection costs 0
    ['introspection', '{ __schema { types { name fields { name type { name } } } } }', {}, 0],
    // __typename costs 0: viewer 1
    ['__typename', '{ __typename viewer { __typename } }', {}, 1],
    // first: 0: 1 + 0 × 1 = 1
    ['first 0', '{ patients(first: 0) { nodes { id } } }', {}, 1],
    // An explicit null gets the size the resolver uses for it, the SDL default: 1 + 20 × (1 + (1 + 10 × 1)) = 241.
    ['null first literal', '{ patients(first: null) { nodes { records(first: null) { nodes { id } } } } }', {}, 241],
    // A variable sent as null replaces its own default (2) and gets the field's: 1 + 20 × 1 = 21.
    ['null variable over its default', 'query ($n: Int = 2) { patients(first: $n) { nodes { id } } }', { n: null }, 21],
    // A variable left out takes its default: 1 + 2 × 1 = 3.
    ['absent variable, its default', 'query ($n: Int = 2) { patients(first: $n) { nodes { id } } }', {}, 3],
    // Fields merged by response key run once and cost once: 1 + 3 × 1.
    ['the same field twice', '{ patients(first: 3) { nodes { id } } patients(first: 3) { nodes { name } } }', {}, 4],
    ['a fragment spread twice', 'query { patients(first: 3) { ...P ...P } } fragment P on PatientConnection { nodes { id } }', {}, 4],
    // Write volume: event 1 + 3 slots.
    [
      'list input field of a mutation',
      'mutation { createEvent(input: { title: "t", slots: [{ date: "2026-01-01", time: "09:00" }, { date: "2026-01-01", time: "10:00" }, { date: "2026-01-02", time: "09:00" }] }) { id } }',
      {},
      4,
    ],
    // From variables: 1,000 slots + the event 1.
    [
      'list input field from a variable',
      CREATE_EVENT_ID,
      { input: { title: 't', slots: Array.from({ length: 1000 }, (_, i) => ({ date: '2026-01-01', time: `${i}` })) } },
      1001,
    ],
    // setSelections: 1,000 assumed selections × 1 + 4 schedule ids.
    [
      'scheduleIds',
      SET_SELECTIONS_ID,
      { input: { eventId: 'e', patientId: 'p', scheduleIds: ['a', 'b', 'c', 'd'] } },
      1004,
    ],
    // deleteRecords: a list of scalars, 3 ids.
    ['ids of a mutation', 'mutation { deleteRecords(ids: ["a", "b", "c"]) }', {}, 3],
  ];

  test.each(table)('%s', (_name, doc, variables, cost) => {
    expect(analyze(doc, variables).cost).toBe(cost);
  });

  test('derives the cache policy from the SDL @cacheControl hints, as Apollo would', () => {
    expect(analyze('{ patients(first: 5) { nodes { name records(first: 2) { nodes { diagnosis } } } } }').cachePolicy).toMatchObject({
      scope: 'PRIVATE',
      maxAge: expect.any(Number),
    });
    expect(analyze('{ events(first: 5) { nodes { title schedules { date time } } } }').cachePolicy).toMatchObject({ scope: 'PUBLIC' });
    // Patient data anywhere makes the whole response PRIVATE.
    expect(analyze('{ events(first: 5) { nodes { participants(first: 2) { nodes { name } } } } }').cachePolicy?.scope).toBe('PRIVATE');
    expect(analyze('{ __schema { queryType { name } } }').cachePolicy).toBeNull();
    expect(analyze('{ __typename }').cachePolicy).toBeNull();
    expect(analyze('mutation { deletePatient(id: "x") }').cachePolicy).toBeNull();
  });

  test('measures depth, aliases and directives', () => {
    expect(analyze(EVENT_PAGE)).toMatchObject({ depth: 4, aliases: 0, directives: 0 });
    expect(analyze('{ patient(id: "x") { records { nodes { id } } } }').depth).toBe(3);
    expect(analyze('{ a: viewer { b: role } c: viewer @include(if: true) { role @skip(if: false) } }')).toMatchObject({
      depth: 1,
      aliases: 3,
      directives: 2,
    });
    // fragments count for depth where they are spread
    expect(analyze('{ viewer { ...V } } fragment V on Viewer { patient { records { nodes { id } } } }').depth).toBe(4);
  });
});

describe('bypass attempts (default limits)', () => {
  let gw: TestGateway;
  let url: string;

  test.beforeAll(async ({ standard }) => {
    gw = standard;
    ({ url } = await gw.gateway.listen());
  });

  const expectRefused = async (query: string, code: string, variables?: Record<string, unknown>) => {
    const result = await gw.run(query, variables);
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe(code);
    expect(result.sqlCount).toBe(0);
    return result.errors![0]!.extensions!;
  };

  test('refuses cost hidden in nested fragment spreads', { timeout: 5000 }, async () => {
    // 1 + 100 × (1 + 50 × (1 + schedule (1 + 20 × 1))) = 1 + 100 × (1 + 50 × 22) = 1 + 100 × 1101 = 110101
    const extensions = await expectRefused(
      `query { ...Q }
       fragment Q on Query { patients(first: 100) { ...C } }
       fragment C on PatientConnection { nodes { ...P } }
       fragment P on Patient { selections { ...S } }
       fragment S on Selection { schedule { selections { id } } }`,
      'COST_LIMIT_EXCEEDED',
    );
    expect(extensions).toMatchObject({ limit: 5000, value: 110101 });
  });

  test('refuses six aliased createEvent of 1,000 slots each (write volume), before any SQL', { timeout: 10_000 }, async () => {
    const slots = Array.from({ length: 1000 }, (_, index) => ({
      date: `2027-${String(1 + Math.floor(index / 28)).padStart(2, '0')}-${String(1 + (index % 28)).padStart(2, '0')}`,
      time: '09:00',
    }));
    const aliases = Array.from({ length: 6 }, (_, index) => `e${index}: createEvent(input: $input) { id }`).join(' ');
    const extensions = await expectRefused(`mutation ($input: CreateEventInput!) { ${aliases} }`, 'COST_LIMIT_EXCEEDED', {
      input: { title: 'Flood', slots },
    });
    expect(extensions).toMatchObject({ limit: 5000, value: 6006 });
    const [rows] = await gw.database.pool.query('SELECT COUNT(*) AS n FROM events');
    expect((rows as { n: number }[])[0]!.n).toBe(0);
  });

  test('costs 15 aliases of first: null pages at the size they return (not 1 each)', { timeout: 10_000 }, async () => {
    const aliases = Array.from({ length: 15 }, (_, index) => `p${index}: patients(first: null) { nodes { records(first: null) { nodes { id } } } }`);
    const result = await gw.run(`{ ${aliases.join(' ')} }`);
    // 15 × 241 = 3,615: under the default limit, and not below what runs.
    expect(result.errors).toBeUndefined();
    const viaNullVariable = await gw.run(`query ($n: Int = 1) { ${aliases.map((alias) => alias.replace(/first: null/g, 'first: $n')).join(' ')} }`, { n: null });
    expect(viaNullVariable.errors).toBeUndefined();
    expect(viaNullVariable.data).toEqual(result.data);
    const tooMany = Array.from({ length: 15 }, (_, index) => `p${index}: patients(first: null) { nodes { records(first: 40) { nodes { id } } } }`);
    const extensions = await expectRefused(`{ ${tooMany.join(' ')} }`, 'COST_LIMIT_EXCEEDED');
    // 15 × (1 + 20 × (1 + (1 + 40))) = 12,615
    expect(extensions).toMatchObject({ value: 12_615 });
  });

  test('analyses a fragment spread three times per level, 18 levels deep, in milliseconds (no 500)', { timeout: 10_000 }, async () => {
    let document = 'fragment F0 on Patient { name records { nodes { id } } }\n';
    for (let level = 1; level <= 18; level += 1) document += `fragment F${level} on Patient { ...F${level - 1} ...F${level - 1} ...F${level - 1} }\n`;
    document += 'query Nested { patients(first: 1) { nodes { ...F18 } } }';
    const started = performance.now();
    const result = await gw.run(document);
    const elapsedMs = performance.now() - started;
    expect(result.errors).toBeUndefined();
    console.log(`[limits] 18-level fragment document (${document.length} bytes): answered in ${elapsedMs.toFixed(1)} ms`);
  });

  test('refuses a fragment cycle without SQL', { timeout: 5000 }, async () => {
    const result = await gw.run(
      '{ patient(id: "x") { ...A } } fragment A on Patient { records { nodes { patient { ...A } } } }',
    );
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.sqlCount).toBe(0);
  });

  test('refuses 16 aliases of the same expensive field', { timeout: 5000 }, async () => {
    const fields = Array.from({ length: 16 }, (_, i) => `a${i}: event(id: "x") { schedules { selections { patient { name } } } }`);
    const extensions = await expectRefused(`{ ${fields.join(' ')} }`, 'ALIAS_LIMIT_EXCEEDED');
    expect(extensions).toMatchObject({ limit: 15, value: 16 });
  });

  test('refuses an expensive operation named __schema', { timeout: 5000 }, async () => {
    const result = await gw.run('query __schema { patients(first: 100) { nodes { selections { schedule { selections { id } } } } } }');
    expect(result.data ?? null).toBeNull();
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(codes(result.errors)).not.toContain(undefined);
    expect(result.sqlCount).toBe(0);
    // Whatever else refuses it, it must not be accepted as (free) introspection.
    expect(['COST_LIMIT_EXCEEDED', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED']).toContain(codes(result.errors)[0]);
  });

  test('accepts the standard introspection query (Sandbox, GraphiQL, codegen) whatever its depth', { timeout: 5000 }, async () => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, inputValueDeprecation: true });
    const result = await gw.run(query);
    expect(result.errors).toBeUndefined();
    expect((result.data?.__schema as { types: unknown[] }).types.length).toBeGreaterThan(20);
    expect(result.sqlCount).toBe(0);
  });

  test('refuses introspection that nests fields of fields (graphql-js MaxIntrospectionDepthRule)', { timeout: 5000 }, async () => {
    const result = await gw.run(
      '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }',
    );
    expect(result.data ?? null).toBeNull();
    expect(codes(result.errors)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(result.errors?.[0]?.message).toMatch(/Maximum introspection depth exceeded/);
    expect(result.sqlCount).toBe(0);
  });

  test('refuses a ~1 MB document over HTTP', { timeout: 5000 }, async () => {
    const query = `{ viewer { role } }\n#${'x'.repeat(1024 * 1024)}`;
    const response = await post(gw, url, JSON.stringify({ query }));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.json?.data ?? null).toBeNull();
  });

  test('refuses 10,000 aliases of __typename on tokens', { timeout: 5000 }, async () => {
    const fields = Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`);
    // `{` + 10,000 × (alias, `:`, __typename) + `}` = 30,002 tokens
    const extensions = await expectRefused(`{ ${fields.join(' ')} }`, 'TOKEN_LIMIT_EXCEEDED');
    expect(extensions).toMatchObject({ limit: 2000, value: 30_002 });
  });

  test('refuses batched HTTP requests', { timeout: 5000 }, async () => {
    const body = JSON.stringify([{ query: '{ viewer { role } }' }, { query: '{ viewer { subject } }' }]);
    const response = await post(gw, url, body);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe.each([
  ['Redis', 'rateRedis'],
  ['in-process buckets', 'rateLocal'],
] as const)('rate budget (%s)', (_name, fixture) => {
  let gw: TestGateway;
  let url: string;

  const listening = async (gateway: TestGateway) => {
    gw = gateway;
    ({ url } = await gw.gateway.listen());
  };
  // Each hook names only its own gateway (Vitest creates the fixtures a hook destructures).
  if (fixture === 'rateRedis') test.beforeAll(({ rateRedis }) => listening(rateRedis));
  else test.beforeAll(({ rateLocal }) => listening(rateLocal));

  test('refuses the third 241-unit operation of one patient, not another caller', async () => {
    const a: Caller = { patientId: 1 };
    expect(codes((await gw.run(PAGE_241, undefined, { as: a })).errors)).not.toContain('RATE_LIMITED');
    expect(codes((await gw.run(PAGE_241, undefined, { as: a })).errors)).not.toContain('RATE_LIMITED');
    const third = await gw.run(PAGE_241, undefined, { as: a });
    expect(third.data ?? null).toBeNull();
    expect(third.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(third.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
    expect(third.sqlCount).toBe(0);

    // Over HTTP: 429 with Retry-After.
    const http = await post(gw, url, JSON.stringify({ query: PAGE_241 }), a);
    expect(http.status).toBe(429);
    expect(Number(http.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(http.json?.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');

    // Other principals have their own buckets.
    for (const other of [{ patientId: 2 }, 'clinician'] as Caller[]) {
      expect(codes((await gw.run(PAGE_241, undefined, { as: other })).errors)).not.toContain('RATE_LIMITED');
    }
  });
});

describe('extensions.cost', () => {
  const execute = async (gw: TestGateway, query: string) => {
    const authorization = await gw.authorizationFor('admin');
    const contextValue = await gw.gateway.createContext({ authorization });
    const http = { method: 'POST', headers: new HeaderMap(), search: '', body: null };
    const response = await gw.gateway.apollo.executeOperation({ query, http }, { contextValue });
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult;
  };

  test('is reported in development', async ({ development }) => {
    const result = await execute(development, EVENT_PAGE);
    expect(result.extensions?.cost).toEqual({ estimated: 4101, max: 5000, sqlRoundTrips: expect.any(Number) });
  });

  test('is absent in test and production', async ({ testEnv, production }) => {
    const inTest = await execute(testEnv, EVENT_PAGE);
    expect(inTest.extensions?.cost).toBeUndefined();
    const inProduction = await execute(production, EVENT_PAGE);
    expect(inProduction.extensions?.cost).toBeUndefined();
  });
});
