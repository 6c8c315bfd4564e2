/**
 * The `large bodies` stage (src/plugins/large-bodies.ts) with the /graphql
 * handler and the gateway's `stringifyResult`, over HTTP, without a database:
 * a large answer leaves as pieces with the bytes and Content-Length one
 * string would have had, a small one as one string, and a request the handler
 * did not start (executeHTTPGraphQLRequest called directly) gets its whole
 * body as before.
 */
import type http from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIECES_FROM_LENGTH } from '../../src/http/json-pieces.js';
import { useLargeBodies } from '../../src/plugins/large-bodies.js';
import { stringifyResult } from '../../src/plugins/response-cache.js';
import { listenWithHandler, silentLogger } from './helpers.js';

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
let url: string;
let close: () => Promise<void>;
/** How many chunks the last answer was written in (`res.write` calls, and the final `res.end` with data). */
let writes = 0;

/** Counts the chunks a response is written in. */
function countWrites(res: http.ServerResponse): void {
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
}

beforeAll(async () => {
  apollo = new ApolloServer({ schema, csrfPrevention: false, persistedQueries: false, logger: silentLogger(), stringifyResult, plugins: [useLargeBodies()] });
  await apollo.start();
  ({ url, close } = await listenWithHandler(apollo, { wrap: countWrites }));
});

afterAll(async () => {
  await close();
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
  // Large answers leave in pieces of about 32 KB and the final newline (more than 4 writes), small ones as one
  // string and the newline (2 writes); either way with the bytes and Content-Length of Apollo's own serialization.
  it.each([
    { what: 'a large answer', query: '{ rows(count: 6000) { id name tags } }', pieces: true, start: '{"data":{"rows":[' },
    { what: 'a large answer with errors (errors first)', query: '{ failing(count: 8000) { id name tags } }', pieces: true, start: '{"errors":[' },
    { what: 'a small answer', query: '{ rows(count: 20) { id name } }', pieces: false, start: '{"data":{"rows":[' },
  ])('$what: in pieces $pieces, the bytes and Content-Length of one string', async ({ query, pieces, start }) => {
    const answer = await post(query);
    if (pieces) expect(answer.bytes).toBeGreaterThan(PIECES_FROM_LENGTH * 2);
    expect(answer.text.startsWith(start)).toBe(true);
    expect(answer.text).toBe(await expected(query));
    expect(answer.contentLength).toBe(String(answer.bytes));
    if (pieces) expect(writes).toBeGreaterThan(4);
    else expect(writes).toBe(2);
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
