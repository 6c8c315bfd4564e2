/**
 * The `large bodies` stage (src/plugins/large-bodies.ts) with the /graphql
 * handler and the gateway's `stringifyResult`, over HTTP, without a database:
 * a large answer leaves as pieces with the bytes and Content-Length one
 * string would have had, a small one as one string, and a request the handler
 * did not start (executeHTTPGraphQLRequest called directly) gets its whole
 * body as before.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlHandler, InFlight } from '../../src/http/graphql-handler.js';
import { PIECES_FROM_LENGTH } from '../../src/http/json-pieces.js';
import { createApqStore } from '../../src/persisted/apq-store.js';
import { useLargeBodies } from '../../src/plugins/large-bodies.js';
import { stringifyResult } from '../../src/plugins/response-cache.js';
import { silentLogger } from './helpers.js';

/** `rows(count)` answers that many rows whose names are long and not ASCII, so a few thousand make a large answer. */
const schema = makeExecutableSchema({
  typeDefs: `
    type Row { id: Int!, name: String!, tags: [String!]! }
    type Query { rows(count: Int!): [Row!]!, failing(count: Int!): [Row] }
  `,
  resolvers: {
    Query: {
      rows: (_root: unknown, { count }: { count: number }) =>
        Array.from({ length: count }, (_row, id) => ({ id, name: `Zoë Ångström “${id}” ${'é'.repeat(id % 7)}`, tags: ['a', `t${id}`] })),
      // Every 100th row fails: the answer has data and errors.
      failing: (_root: unknown, { count }: { count: number }) =>
        Array.from({ length: count }, (_row, id) => (id % 100 === 0 ? new Error(`row ${id} failed`) : { id, name: `row ${id}`, tags: [] })),
    },
  },
});

let apollo: ApolloServer;
let server: http.Server;
let url: string;
/** How many chunks the last answer was written in (`res.write` calls, and the final `res.end` with data). */
let writes = 0;

beforeAll(async () => {
  apollo = new ApolloServer({ schema, csrfPrevention: false, persistedQueries: false, logger: silentLogger(), stringifyResult, plugins: [useLargeBodies()] });
  await apollo.start();
  const handle = graphqlHandler({
    apollo,
    rules: {
      manifest: new Map(),
      store: createApqStore({ redis: null, keyPrefix: 'unit:', ttlSeconds: 60, localMaxEntries: 10, logger: silentLogger() }),
      trustedOnly: false,
      allowRegistration: true,
    },
    context: async () => ({}),
    deadlineMs: 10_000,
    bodyLimitBytes: 1 << 20,
    inFlight: new InFlight(),
  });
  server = http.createServer((req, res) => {
    writes = 0;
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    res.write = ((chunk: unknown, ...rest: never[]) => {
      writes += 1;
      return write(chunk as string, ...rest);
    }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: never[]) => {
      if (chunk !== undefined && typeof chunk !== 'function') writes += 1;
      return end(chunk as string, ...rest);
    }) as typeof res.end;
    void handle(req, res, 'unit');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await apollo.stop();
});

/** POSTs a query and returns the raw bytes with their Content-Length. */
async function post(query: string): Promise<{ text: string; bytes: number; contentLength: string | null }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = Buffer.from(await response.arrayBuffer());
  return { text: body.toString('utf8'), bytes: body.length, contentLength: response.headers.get('content-length') };
}

/** What Apollo's own serialization writes for the same query: JSON.stringify of the result and a newline. */
async function expected(query: string): Promise<string> {
  const response = await apollo.executeOperation({ query });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  const { errors, data, extensions } = response.body.singleResult;
  return `${JSON.stringify({ errors, data, extensions })}\n`;
}

describe('large answers', () => {
  it('a large answer leaves in pieces, with the bytes and Content-Length of one string', async () => {
    const query = '{ rows(count: 6000) { id name tags } }';
    const answer = await post(query);
    expect(answer.bytes).toBeGreaterThan(PIECES_FROM_LENGTH * 2);
    expect(answer.text).toBe(await expected(query));
    expect(answer.contentLength).toBe(String(answer.bytes));
    // Pieces of about 32 KB, and the final newline.
    expect(writes).toBeGreaterThan(4);
  });

  it('a large answer with errors is written the same way, errors first', async () => {
    const query = '{ failing(count: 8000) { id name tags } }';
    const answer = await post(query);
    expect(answer.text.startsWith('{"errors":[')).toBe(true);
    expect(answer.text).toBe(await expected(query));
    expect(answer.contentLength).toBe(String(answer.bytes));
    expect(writes).toBeGreaterThan(4);
  });

  it('a small answer leaves as one string and its newline', async () => {
    const query = '{ rows(count: 20) { id name } }';
    const answer = await post(query);
    expect(answer.text).toBe(await expected(query));
    expect(answer.contentLength).toBe(String(answer.bytes));
    expect(writes).toBe(2);
  });

  it('executeHTTPGraphQLRequest called without the handler gets the whole body, as before', async () => {
    const query = '{ rows(count: 6000) { id name tags } }';
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query } },
      context: async () => ({}),
    });
    expect(response.body.kind).toBe('complete');
    const body = response.body.kind === 'complete' ? response.body.string : '';
    expect(`${body}\n`).toBe(await expected(query));
  });
});
