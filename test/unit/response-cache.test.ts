/**
 * The response cache plugin (src/plugins/response-cache.ts
 * `useResponseCache`) alone, on an in-memory schema, over the gateway's cache
 * in its in-process mode (src/cache/cache.ts with Redis off: the L1 is the
 * only tier). The cache policy comes from a small test plugin standing in for
 * the limits stage (the SDL hints). Covered: MISS then HIT without running a
 * resolver, PUBLIC entries shared between callers and PRIVATE ones not,
 * invalidation by the response's tags, no storing of errors, of uncacheable
 * responses or for callers without a token, `maxTtlSeconds` capping the
 * entry's TTL, `exposeStats` (extensions.cache) on and off, HTTP caching
 * headers for a GET, and single flight (COALESCED).
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createCache, type Cache } from '../../src/cache/cache.js';
import type { TierEntry } from '../../src/cache/local-tier.js';
import { loadConfig } from '../../src/config.js';
import type { GatewayContext } from '../../src/context.js';
import { stringifyResult, useResponseCache } from '../../src/plugins/response-cache.js';
import { ADMIN, PATIENT, deferred, fakeContext, run, silentLogger, startServer, tinySchema, type Calls } from './helpers.js';

/** Stands in for the limits stage: the cache policy of the SDL hints, per root field. */
const POLICIES: Record<string, { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' }> = {
  hello: { maxAge: 30 },
  items: { maxAge: 60 },
  mine: { maxAge: 20, scope: 'PRIVATE' },
  boom: { maxAge: 30 },
};
const policyFromHints: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, overallCachePolicy }) {
        for (const selection of operation?.selectionSet.selections ?? []) {
          const name = selection.kind === 'Field' ? selection.name.value : '';
          overallCachePolicy.restrict(POLICIES[name] ?? { maxAge: 0 });
        }
      },
    };
  },
};

function localCache(): { cache: Cache; stored: TierEntry[]; followed: () => number } {
  const config = loadConfig({ NODE_ENV: 'test', REDIS_URL: 'off' });
  const cache = createCache({ config, redis: null, logger: silentLogger(), metrics: new Registry() });
  const stored: TierEntry[] = [];
  let follows = 0;
  // The real cache, with its stores and flight look-ups recorded.
  const recording: Cache = {
    ...cache,
    follow: (key, fence) => {
      const flight = cache.follow(key, fence);
      if (flight) follows += 1;
      return flight;
    },
    store: (session, entries, fence) => {
      stored.push(...entries);
      return cache.store(session, entries, fence);
    },
  };
  return { cache: recording, stored, followed: () => follows };
}

async function setup(options: { maxTtlSeconds?: number; exposeStats?: boolean; schema?: ReturnType<typeof tinySchema>; calls?: Calls } = {}) {
  const calls = options.calls ?? { hello: 0, items: 0, bump: 0, mine: 0 };
  const { cache, stored, followed } = localCache();
  expect(cache.mode).toBe('local');
  const plugin = useResponseCache({ cache, maxTtlSeconds: options.maxTtlSeconds ?? 60, exposeStats: options.exposeStats ?? true });
  const server = await startServer([policyFromHints, plugin], { schema: options.schema ?? tinySchema(calls) });
  // A fresh context (and cache session) per request, as the gateway makes them.
  const ask = (query: string, viewer = ADMIN, extra: { method?: string } = {}) =>
    run(server, { query, ...extra }, fakeContext({ viewer, cacheSession: cache.session() }));
  return { server, cache, stored, calls, ask, followed };
}

/** What the client receives: Apollo's body as stringifyResult writes it. */
const wire = (result: Parameters<typeof stringifyResult>[0]) => JSON.parse(stringifyResult(result)) as Record<string, any>;

describe('useResponseCache', () => {
  it('stores a cacheable response on a miss and answers the next one from the cache, without resolvers', async () => {
    const { ask, calls } = await setup();
    const first = await ask('{ hello }');
    expect(wire(first.result)).toEqual({
      data: { hello: 'Hello, world!' },
      extensions: { cache: { response: 'MISS', hits: 0, misses: 0, coalesced: 0, fills: 1, fenced: 0, invalidations: 0 } },
    });
    const second = await ask('{ hello }');
    expect(wire(second.result)).toEqual({
      data: { hello: 'Hello, world!' },
      extensions: { cache: { response: 'HIT', hits: 0, misses: 0, coalesced: 0, fills: 0, fenced: 0, invalidations: 0 } },
    });
    expect(calls.hello).toBe(1);
  });

  it('PUBLIC responses are shared between callers; PRIVATE ones are kept per caller', async () => {
    const { ask, calls } = await setup();
    await ask('{ hello }', ADMIN);
    expect(wire((await ask('{ hello }', PATIENT)).result).extensions.cache.response).toBe('HIT');
    expect(calls.hello).toBe(1);

    expect(wire((await ask('{ mine }', ADMIN)).result)).toMatchObject({ data: { mine: 'mine:admin-1' }, extensions: { cache: { response: 'MISS' } } });
    const patient = wire((await ask('{ mine }', PATIENT)).result);
    expect(patient).toMatchObject({ data: { mine: 'mine:user-7' }, extensions: { cache: { response: 'MISS' } } });
    expect(wire((await ask('{ mine }', PATIENT)).result)).toMatchObject({ data: { mine: 'mine:user-7' }, extensions: { cache: { response: 'HIT' } } });
    expect(calls.mine).toBe(2);
  });

  it('a response is dropped when a tag it read is invalidated', async () => {
    const { ask, cache, calls, stored } = await setup();
    await ask('{ items(first: 2) { id } }');
    expect(stored.at(-1)?.tags).toEqual(['Item:list']);
    expect(wire((await ask('{ items(first: 2) { id } }')).result).extensions.cache.response).toBe('HIT');
    await cache.invalidate(null, ['Item:list']);
    expect(wire((await ask('{ items(first: 2) { id } }')).result).extensions.cache.response).toBe('MISS');
    expect(calls.items).toBe(2);
  });

  it('stores nothing for errors, uncacheable responses or mutations', async () => {
    const { ask, stored, calls } = await setup();
    await ask('{ boom }');
    await ask('{ hello uncached }');
    await ask('mutation { bump(by: 1) }');
    await ask('mutation { bump(by: 1) }');
    expect(stored).toEqual([]);
    expect(wire((await ask('{ hello uncached }')).result).extensions.cache.response).toBe('MISS');
    expect(calls.bump).toBe(2);
  });

  it('bypasses callers without a token: nothing looked up or stored', async () => {
    const { ask, stored, calls } = await setup();
    const anonymous = await ask('{ hello }', null as never);
    expect(wire(anonymous.result)).toEqual({ data: { hello: 'Hello, world!' } });
    await ask('{ hello }', null as never);
    expect(stored).toEqual([]);
    expect(calls.hello).toBe(2);
  });

  it('the entry lives the smallest of its maxAge and maxTtlSeconds', async () => {
    const capped = await setup({ maxTtlSeconds: 10 });
    await capped.ask('{ hello }');
    expect(capped.stored.map((entry) => entry.ttlSeconds)).toEqual([10]);
    const uncapped = await setup({ maxTtlSeconds: 60 });
    await uncapped.ask('{ hello }');
    await uncapped.ask('{ mine }');
    expect(uncapped.stored.map((entry) => entry.ttlSeconds)).toEqual([30, 20]);
  });

  it('exposeStats off: no extensions.cache, still cached', async () => {
    const { ask, calls } = await setup({ exposeStats: false });
    expect(wire((await ask('{ hello }')).result)).toEqual({ data: { hello: 'Hello, world!' } });
    expect(wire((await ask('{ hello }')).result)).toEqual({ data: { hello: 'Hello, world!' } });
    expect(calls.hello).toBe(1);
  });

  it('a hit writes the body stored, byte for byte what the miss that stored it wrote; extensions are spliced in', async () => {
    const { ask, stored, calls } = await setup({ exposeStats: false });
    const query = '{ hello(name: "Zoë \\"quoted\\"\\n") }';
    // Executed: the JSON, whose final newline the /graphql handler writes (graphql-handler.ts writeComplete).
    const miss = stringifyResult((await ask(query)).result);
    expect(miss).toBe(JSON.stringify({ data: { hello: 'Hello, Zoë "quoted"\n!' } }));
    expect(String(stored.at(-1)?.value).endsWith(`\n${miss}\n`)).toBe(true);
    // A hit: the stored body, newline included (test/cache.test.ts compares the bytes over HTTP).
    const hit = stringifyResult((await ask(query)).result);
    expect(hit).toBe(`${miss}\n`);
    expect(calls.hello).toBe(1);

    const withStats = await setup({ exposeStats: true });
    await withStats.ask(query);
    const spliced = stringifyResult((await withStats.ask(query)).result);
    expect(JSON.parse(spliced)).toMatchObject({ data: { hello: 'Hello, Zoë "quoted"\n!' }, extensions: { cache: { response: 'HIT' } } });
    expect(spliced.endsWith('}')).toBe(true);
  });

  it('a GET gets Cache-Control from the policy (no-store when not cacheable) and Vary', async () => {
    const { ask } = await setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = new Date('2026-01-01T00:00:00.000Z').getTime();
    vi.setSystemTime(t0);
    try {
    const cacheable = await ask('{ hello }', ADMIN, { method: 'GET' });
    expect(cacheable.headers.get('cache-control')).toBe('max-age=30, public');
    expect(cacheable.headers.get('vary')).toBe('Authorization, Accept');
    // On a hit the max-age is reduced by the entry's age.
    vi.setSystemTime(t0 + 12_000);
    const hit = await ask('{ hello }', ADMIN, { method: 'GET' });
    expect(wire(hit.result).extensions.cache.response).toBe('HIT');
    expect(hit.headers.get('cache-control')).toBe('max-age=18, public');
    expect((await ask('{ mine }', ADMIN, { method: 'GET' })).headers.get('cache-control')).toBe('max-age=20, private');
    expect((await ask('{ hello uncached }', ADMIN, { method: 'GET' })).headers.get('cache-control')).toBe('no-store');
    expect((await ask('{ boom }', ADMIN, { method: 'GET' })).headers.get('cache-control')).toBe('no-store');
    // A POST gets no HTTP caching headers.
    expect((await ask('{ hello }')).headers.get('cache-control')).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('single flight: a request for a response being computed waits for it (COALESCED)', async () => {
    const gate = deferred<string>();
    const calls: Calls = { hello: 0, items: 0, bump: 0, mine: 0 };
    const schema = tinySchema(calls);
    const resolve = schema.getQueryType()!.getFields().mine!.resolve!;
    let started = 0;
    schema.getQueryType()!.getFields().mine!.resolve = async (...args) => {
      started += 1;
      await gate.promise;
      return resolve(...args);
    };
    const { ask, followed } = await setup({ schema, calls });
    const leader = ask('{ mine }');
    // The leader is executing (its flight started before its resolvers ran).
    await expect.poll(() => started).toBe(1);
    const follower = ask('{ mine }');
    // The follower found the leader's flight and waits on it.
    await expect.poll(followed).toBe(1);
    gate.resolve('go');
    const [first, second] = await Promise.all([leader, follower]);
    expect(wire(first.result)).toMatchObject({ data: { mine: 'mine:admin-1' }, extensions: { cache: { response: 'MISS' } } });
    expect(wire(second.result)).toMatchObject({ data: { mine: 'mine:admin-1' }, extensions: { cache: { response: 'COALESCED' } } });
    expect(calls.mine).toBe(1);
  });
});
