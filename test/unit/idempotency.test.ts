/**
 * The idempotency plugin (src/plugins/idempotency.ts `useIdempotency`) alone,
 * on an in-memory schema, with a small in-memory `IdempotencyStore` (the
 * narrow interface the plugin takes as its `store` option; the shipped stores
 * are Redis and MySQL): a mutation with an Idempotency-Key runs once and is
 * replayed (`idempotent-replayed: true`), another request under the same key
 * is BAD_USER_INPUT, a retry while the first runs is CONFLICT, a
 * SERVICE_UNAVAILABLE or INTERNAL_SERVER_ERROR outcome releases the key, keys
 * are scoped by principal, `ttlSeconds` reaches the store, and queries,
 * requests without the header or without a caller are left alone.
 */
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER, useIdempotency, type ClaimResult, type IdempotencyStore } from '../../src/plugins/idempotency.js';
import { ADMIN, PATIENT, codes, deferred, fakeContext, run, startServer, tinySchema, type Calls } from './helpers.js';

interface Entry {
  fingerprint: string;
  response: string | null;
  ttlSeconds: number;
}

/** Keys in a Map, with the calls it received. */
function memoryStore() {
  const entries = new Map<string, Entry>();
  const calls: string[] = [];
  const id = (scope: string, key: string) => `${scope}\n${key}`;
  let failClaims = false;
  const store: IdempotencyStore = {
    async claim(scope, key, fingerprint, ttlSeconds) {
      calls.push(`claim ${scope} ${key}`);
      if (failClaims) throw new Error('store unreachable');
      const found = entries.get(id(scope, key));
      if (found) return { claimed: false, fingerprint: found.fingerprint, response: found.response } satisfies ClaimResult;
      entries.set(id(scope, key), { fingerprint, response: null, ttlSeconds });
      return { claimed: true };
    },
    async complete(scope, key, fingerprint, response, ttlSeconds) {
      calls.push(`complete ${scope} ${key}`);
      entries.set(id(scope, key), { fingerprint, response, ttlSeconds });
    },
    async release(scope, key) {
      calls.push(`release ${scope} ${key}`);
      entries.delete(id(scope, key));
    },
  };
  return { store, entries, storeCalls: calls, failClaimsWith: (fail: boolean) => (failClaims = fail) };
}

async function setup(ttlSeconds = 3600) {
  const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
  const memory = memoryStore();
  const server = await startServer([useIdempotency({ store: memory.store, ttlSeconds })], { schema: tinySchema(calls) });
  return { server, calls, ...memory };
}

const BUMP = 'mutation Bump($by: Int!) { bump(by: $by) }';
const withKey = (key: string) => ({ [IDEMPOTENCY_HEADER]: key });

describe('useIdempotency', () => {
  it('runs a keyed mutation once and replays its response to a retry, marked idempotent-replayed', async () => {
    const { server, calls, entries, storeCalls } = await setup(120);
    const first = await run(server, { query: BUMP, variables: { by: 5 }, headers: withKey('key-1') });
    expect(first.result).toEqual({ data: { bump: 5 } });
    expect(first.headers.get(REPLAYED_HEADER)).toBeUndefined();
    expect(calls.bump).toBe(1);
    const stored = entries.get('admin:admin-1\nkey-1');
    expect(stored).toMatchObject({ response: JSON.stringify({ data: { bump: 5 } }), ttlSeconds: 120 });

    const retry = await run(server, { query: BUMP, variables: { by: 5 }, headers: withKey('key-1') });
    expect(retry.result).toEqual({ data: { bump: 5 } });
    expect(retry.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(calls.bump).toBe(1);
    expect(storeCalls).toEqual(['claim admin:admin-1 key-1', 'complete admin:admin-1 key-1', 'claim admin:admin-1 key-1']);
  });

  it('the same variables in another key order are the same request', async () => {
    const { server, calls } = await setup();
    const query = 'mutation Two($a: Int!, $b: Int!) { first: bump(by: $a) second: bump(by: $b) }';
    const first = await run(server, { query, variables: { a: 1, b: 10 }, headers: withKey('k') });
    expect(first.result).toEqual({ data: { first: 1, second: 11 } });
    const retry = await run(server, { query, variables: { b: 10, a: 1 }, headers: withKey('k') });
    expect(retry.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(retry.result).toEqual({ data: { first: 1, second: 11 } });
    expect(calls.bump).toBe(2);
  });

  it('the same key with another request is BAD_USER_INPUT naming the key, and nothing runs', async () => {
    const { server, calls } = await setup();
    await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('reused') });
    const other = await run(server, { query: BUMP, variables: { by: 2 }, headers: withKey('reused') });
    expect(other.result.errors).toEqual([
      {
        message: 'Idempotency-Key "reused" was already used with a different request; use a new key for a new request.',
        extensions: { header: 'Idempotency-Key', idempotencyKey: 'reused', code: 'BAD_USER_INPUT' },
      },
    ]);
    expect(calls.bump).toBe(1);
  });

  it('a retry while the first attempt still runs is CONFLICT', async () => {
    const memory = memoryStore();
    const gate = deferred<number>();
    const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
    const schema = tinySchema(calls);
    // Hold the first mutation open.
    const original = schema.getMutationType()!.getFields().bump!.resolve!;
    schema.getMutationType()!.getFields().bump!.resolve = async (...args) => {
      await gate.promise;
      return original(...args);
    };
    const server = await startServer([useIdempotency({ store: memory.store, ttlSeconds: 60 })], { schema });
    const first = run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('busy') });
    await expect.poll(() => memory.entries.has('admin:admin-1\nbusy')).toBe(true);
    const second = await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('busy') });
    expect(second.result.errors).toEqual([
      { message: 'The request with Idempotency-Key "busy" is still running; retry shortly.', extensions: { idempotencyKey: 'busy', code: 'CONFLICT' } },
    ]);
    gate.resolve(0);
    expect((await first).result).toEqual({ data: { bump: 1 } });
    expect(calls.bump).toBe(1);
  });

  it('SERVICE_UNAVAILABLE and INTERNAL_SERVER_ERROR release the key so a retry runs; other errors are kept', async () => {
    const { server, calls, entries, storeCalls } = await setup();
    const failing = 'mutation Failing($code: String!) { failing(code: $code) }';
    for (const code of ['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']) {
      await run(server, { query: failing, variables: { code }, headers: withKey(`k-${code}`) });
      expect(entries.has(`admin:admin-1\nk-${code}`)).toBe(false);
      const retry = await run(server, { query: failing, variables: { code }, headers: withKey(`k-${code}`) });
      expect(retry.headers.get(REPLAYED_HEADER)).toBeUndefined();
    }
    expect(calls.bump).toBe(4);
    expect(storeCalls.filter((call) => call.startsWith('release'))).toEqual([
      'release admin:admin-1 k-SERVICE_UNAVAILABLE',
      'release admin:admin-1 k-SERVICE_UNAVAILABLE',
      'release admin:admin-1 k-INTERNAL_SERVER_ERROR',
      'release admin:admin-1 k-INTERNAL_SERVER_ERROR',
    ]);

    await run(server, { query: failing, variables: { code: 'NOT_FOUND' }, headers: withKey('k-nf') });
    const replayed = await run(server, { query: failing, variables: { code: 'NOT_FOUND' }, headers: withKey('k-nf') });
    expect(replayed.headers.get(REPLAYED_HEADER)).toBe('true');
    expect(codes(replayed.result)).toEqual(['NOT_FOUND']);
    expect(calls.bump).toBe(5);
  });

  it('keys are scoped by principal: another caller with the same key runs its own mutation', async () => {
    const { server, calls } = await setup();
    await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('shared') }, fakeContext({ viewer: ADMIN }));
    const patient = await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('shared') }, fakeContext({ viewer: PATIENT }));
    expect(patient.headers.get(REPLAYED_HEADER)).toBeUndefined();
    expect(calls.bump).toBe(2);
  });

  it('refuses a malformed key with BAD_USER_INPUT before running anything', async () => {
    const { server, calls, storeCalls } = await setup();
    for (const key of ['has space', 'x'.repeat(256), 'é']) {
      const { result } = await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey(key) });
      expect(result.errors).toEqual([
        { message: 'Header "Idempotency-Key" must be 1..255 visible ASCII characters.', extensions: { header: 'Idempotency-Key', code: 'BAD_USER_INPUT' } },
      ]);
    }
    expect(calls.bump).toBe(0);
    expect(storeCalls).toEqual([]);
    const longest = await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('x'.repeat(255)) });
    expect(longest.result).toEqual({ data: { bump: 1 } });
  });

  it('refuses with SERVICE_UNAVAILABLE when the store cannot be reached (never runs unguarded)', async () => {
    const { server, calls, failClaimsWith } = await setup();
    failClaimsWith(true);
    const { status, result } = await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('k') });
    expect(result.errors).toEqual([
      { message: 'Idempotency keys cannot be checked right now; retry later.', extensions: { code: 'SERVICE_UNAVAILABLE' } },
    ]);
    expect(status).toBe(503);
    expect(calls.bump).toBe(0);
  });

  it('ignores the header on queries, and requests without it or without a caller', async () => {
    const { server, calls, entries, storeCalls } = await setup();
    await run(server, { query: '{ hello }', headers: withKey('q') });
    await run(server, { query: BUMP, variables: { by: 1 } });
    await run(server, { query: BUMP, variables: { by: 1 } });
    await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('anon') }, fakeContext({ viewer: null }));
    await run(server, { query: BUMP, variables: { by: 1 }, headers: withKey('anon') }, fakeContext({ viewer: null }));
    expect(calls.bump).toBe(4);
    expect(entries.size).toBe(0);
    expect(storeCalls).toEqual([]);
  });
});
