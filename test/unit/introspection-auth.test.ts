/**
 * The introspection plugin (src/plugins/introspection-auth.ts
 * `useIntrospectionAuth`, no options) alone, on an in-memory schema:
 * `__schema` and `__type` need a caller (UNAUTHENTICATED otherwise, or the
 * context's `authError` when a token was refused), found through fragments
 * and inline fragments too, before any resolver runs; `__typename` stays free.
 */
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/errors.js';
import { useIntrospectionAuth } from '../../src/plugins/introspection-auth.js';
import { codes, fakeContext, run, startServer, tinySchema, type Calls } from './helpers.js';

const REFUSED = 'Introspection needs a bearer token (Authorization: Bearer <token>).';

async function setup() {
  const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
  const server = await startServer([useIntrospectionAuth()], { schema: tinySchema(calls) });
  return { server, calls };
}

const anonymous = () => fakeContext({ viewer: null });

describe('useIntrospectionAuth', () => {
  it('lets a caller with a token introspect', async () => {
    const { server } = await setup();
    const { result } = await run(server, { query: '{ __schema { queryType { name } } __type(name: "Item") { name } }' });
    expect(result).toEqual({ data: { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Item' } } });
  });

  it('refuses __schema and __type without a token, before any resolver runs', async () => {
    const { server, calls } = await setup();
    for (const query of ['{ hello __schema { queryType { name } } }', '{ hello __type(name: "Item") { name } }']) {
      const { result } = await run(server, { query }, anonymous());
      expect(result.errors).toEqual([{ message: REFUSED, extensions: { code: 'UNAUTHENTICATED' } }]);
      expect(result.data).toBeUndefined();
    }
    expect(calls.hello).toBe(0);
  });

  it('finds introspection behind named fragments (nested, and spread twice) and inline fragments', async () => {
    const { server } = await setup();
    const documents = [
      'query { ...Outer } fragment Outer on Query { hello ...Inner } fragment Inner on Query { __schema { queryType { name } } }',
      'query { ...Inner ...Inner } fragment Inner on Query { __type(name: "Query") { name } }',
      'query { ... on Query { ... { __schema { types { name } } } } }',
    ];
    for (const query of documents) {
      const { result } = await run(server, { query }, anonymous());
      expect(codes(result)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('answers with the refused token\'s error when there was one', async () => {
    const { server } = await setup();
    const authError = gatewayError('UNAUTHENTICATED', 'The token has expired.');
    const { result } = await run(server, { query: '{ __schema { queryType { name } } }' }, fakeContext({ viewer: null, authError }));
    expect(result.errors).toEqual([{ message: 'The token has expired.', extensions: { code: 'UNAUTHENTICATED' } }]);
    expect(authError).toBeInstanceOf(GraphQLError);
  });

  it('leaves __typename and ordinary fields alone without a token', async () => {
    const { server, calls } = await setup();
    const { result } = await run(server, { query: '{ __typename hello item(id: "3") { __typename id } }' }, anonymous());
    expect(result).toEqual({ data: { __typename: 'Query', hello: 'Hello, world!', item: { __typename: 'Item', id: '3' } } });
    expect(calls.hello).toBe(1);
  });
});
