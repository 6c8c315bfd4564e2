/**
 * The persisted documents plugin (src/plugins/persisted-documents.ts
 * `usePersistedDocuments`) alone, on an in-memory schema, with the APQ store
 * the gateway uses when Redis is off (src/persisted/apq-store.ts, in process):
 * a document sent for registration is stored under its hash only for a caller
 * with a token (UNAUTHENTICATED, or the refused token's error, otherwise) and
 * only once every didResolveOperation hook accepted it; documents found by
 * hash (manifest, apq) and plain queries register nothing.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/context.js';
import { gatewayError } from '../../src/errors.js';
import { createApqStore } from '../../src/persisted/apq-store.js';
import { sha256Hex } from '../../src/persisted/manifest.js';
import { usePersistedDocuments } from '../../src/plugins/persisted-documents.js';
import { codes, fakeContext, run, silentLogger, startServer, tinySchema, type Calls } from './helpers.js';

async function setup(extra: ApolloServerPlugin<GatewayContext>[] = []) {
  const store = createApqStore({ redis: null, keyPrefix: 'unit:', ttlSeconds: 60, localMaxEntries: 100, logger: silentLogger() });
  const rules = { manifest: new Map<string, string>(), store, trustedOnly: false, allowRegistration: true };
  const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
  const server = await startServer([usePersistedDocuments(rules), ...extra], { schema: tinySchema(calls) });
  return { server, store, calls };
}

const QUERY = '{ hello(name: "apq") }';
const HASH = sha256Hex(QUERY);

describe('usePersistedDocuments', () => {
  it('registers a document sent with its hash by a caller with a token', async () => {
    const { server, store } = await setup();
    expect(await store.get(HASH)).toBeUndefined();
    const { result } = await run(server, { query: QUERY }, fakeContext({ persistedDocument: { hash: HASH, source: 'register' } }));
    expect(result).toEqual({ data: { hello: 'Hello, apq!' } });
    expect(await store.get(HASH)).toBe(QUERY);
  });

  it('refuses registration without a token (UNAUTHENTICATED) before anything runs, and stores nothing', async () => {
    const { server, store, calls } = await setup();
    const { result } = await run(server, { query: QUERY }, fakeContext({ viewer: null, persistedDocument: { hash: HASH, source: 'register' } }));
    expect(result.errors).toEqual([
      { message: 'Registering a persisted query needs a bearer token (Authorization: Bearer <token>).', extensions: { code: 'UNAUTHENTICATED' } },
    ]);
    expect(calls.hello).toBe(0);
    expect(await store.get(HASH)).toBeUndefined();
  });

  it('answers with the refused token\'s error when there was one', async () => {
    const { server } = await setup();
    const authError = gatewayError('UNAUTHENTICATED', 'The token signature is invalid.');
    const { result } = await run(server, { query: QUERY }, fakeContext({ viewer: null, authError, persistedDocument: { hash: HASH, source: 'register' } }));
    expect(result.errors?.[0]?.message).toBe('The token signature is invalid.');
  });

  it('stores nothing when the document fails validation or another stage refuses the operation', async () => {
    const refuseAll: ApolloServerPlugin<GatewayContext> = {
      async requestDidStart() {
        return {
          async didResolveOperation() {
            throw gatewayError('COST_LIMIT_EXCEEDED', 'too expensive', { limit: 1, value: 2 });
          },
        };
      },
    };
    const { server, store, calls } = await setup([refuseAll]);
    const invalid = '{ nope }';
    const refusedByValidation = await run(server, { query: invalid }, fakeContext({ persistedDocument: { hash: sha256Hex(invalid), source: 'register' } }));
    expect(codes(refusedByValidation.result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(await store.get(sha256Hex(invalid))).toBeUndefined();

    const refusedByLimit = await run(server, { query: QUERY }, fakeContext({ persistedDocument: { hash: HASH, source: 'register' } }));
    expect(codes(refusedByLimit.result)).toEqual(['COST_LIMIT_EXCEEDED']);
    expect(await store.get(HASH)).toBeUndefined();
    expect(calls.hello).toBe(0);
  });

  it('registers nothing for documents found by hash or sent as plain queries, and needs no token for them', async () => {
    const { server, store } = await setup();
    for (const persistedDocument of [{ hash: HASH, source: 'manifest' as const }, { hash: HASH, source: 'apq' as const }, null]) {
      const { result } = await run(server, { query: QUERY }, fakeContext({ viewer: null, persistedDocument }));
      expect(result).toEqual({ data: { hello: 'Hello, apq!' } });
    }
    expect(await store.get(HASH)).toBeUndefined();
  });
});
