/**
 * The Redis circuit breaker (src/cache/redis-tier.ts `CircuitBreaker`, used by
 * `RedisTier.guard`) without a Redis server:
 * - the breaker alone, on a fake clock: closed, opens after the configured
 *   consecutive failures, refuses during the cooldown, lets exactly one probe
 *   through after it (half-open), closes on the probe's success and reopens
 *   (for a new cooldown) on its failure;
 * - the tier and the cache over a real ioredis client that is closed before
 *   it ever connects (Redis away, every command fails at once, no socket is
 *   opened): failures are counted until the breaker opens, then commands are
 *   refused without being sent, invalidations do not throw, and fragment reads
 *   fail open to the loader (the MySQL path) with the session marked degraded.
 */
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCache } from '../../src/cache/cache.js';
import { CircuitBreaker, RedisTier, RedisUnavailableError } from '../../src/cache/redis-tier.js';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from './helpers.js';

const T0 = new Date('2026-01-01T00:00:00.000Z').getTime();

afterEach(() => {
  vi.useRealTimers();
});

describe('CircuitBreaker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });

  const fail = (breaker: CircuitBreaker, times: number) => {
    for (let i = 0; i < times; i += 1) breaker.failed();
  };

  it('starts closed and stays closed below the configured consecutive failures', () => {
    const breaker = new CircuitBreaker(3, 1000);
    expect(breaker.closed).toBe(true);
    expect(breaker.allow()).toBe(true);
    fail(breaker, 2);
    expect(breaker.closed).toBe(true);
    expect(breaker.allow()).toBe(true);
  });

  it('opens on the configured failure and refuses for the whole cooldown', () => {
    const breaker = new CircuitBreaker(3, 1000);
    fail(breaker, 3);
    expect(breaker.closed).toBe(false);
    expect(breaker.allow()).toBe(false);
    vi.setSystemTime(T0 + 999);
    expect(breaker.allow()).toBe(false);
  });

  it('counts consecutive failures only: a success in between starts the count again', () => {
    const breaker = new CircuitBreaker(3, 1000);
    fail(breaker, 2);
    breaker.succeeded();
    fail(breaker, 2);
    expect(breaker.closed).toBe(true);
    breaker.failed();
    expect(breaker.closed).toBe(false);
  });

  it('failures = 1 opens on the first failure', () => {
    const breaker = new CircuitBreaker(1, 500);
    breaker.failed();
    expect(breaker.closed).toBe(false);
    expect(breaker.allow()).toBe(false);
  });

  it('after the cooldown lets exactly one probe through (half-open) and closes when it succeeds', () => {
    const breaker = new CircuitBreaker(2, 1000);
    fail(breaker, 2);
    vi.setSystemTime(T0 + 1000);
    expect(breaker.allow()).toBe(true);
    // While the probe is in flight, everything else is still refused and the breaker still counts as open.
    expect(breaker.allow()).toBe(false);
    expect(breaker.allow()).toBe(false);
    expect(breaker.closed).toBe(false);

    breaker.succeeded();
    expect(breaker.closed).toBe(true);
    expect(breaker.allow()).toBe(true);
    expect(breaker.allow()).toBe(true);
    // Recovered fully: it takes the configured number of failures again to open.
    breaker.failed();
    expect(breaker.closed).toBe(true);
    breaker.failed();
    expect(breaker.closed).toBe(false);
  });

  it('a failed probe reopens it for a new cooldown counted from the failure', () => {
    const breaker = new CircuitBreaker(3, 1000);
    fail(breaker, 3);
    vi.setSystemTime(T0 + 5000);
    expect(breaker.allow()).toBe(true);
    breaker.failed();
    expect(breaker.closed).toBe(false);
    vi.setSystemTime(T0 + 5999);
    expect(breaker.allow()).toBe(false);
    vi.setSystemTime(T0 + 6000);
    expect(breaker.allow()).toBe(true);
  });
});

/** A real ioredis client that never connects: closed in its initial state, every command fails at once. */
function redisAway(): Redis {
  const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, host: '203.0.113.1', port: 1 });
  redis.on('error', () => undefined);
  redis.disconnect();
  expect(redis.status).toBe('end');
  return redis;
}

describe('RedisTier over an unreachable Redis', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });

  const tierOver = (redis: Redis, breakerFailures: number, breakerCooldownMs: number) => {
    const counts = { errors: 0, refused: 0 };
    const tier = new RedisTier({
      redis,
      keyPrefix: 'unit:',
      local: null,
      breakerFailures,
      breakerCooldownMs,
      generationTtlSeconds: 3600,
      logger: silentLogger(),
      onError: () => (counts.errors += 1),
      onRefused: () => (counts.refused += 1),
    });
    return { tier, counts };
  };

  it('counts failures until the breaker opens, then refuses without sending; one probe after the cooldown', async () => {
    const redis = redisAway();
    const { tier, counts } = tierOver(redis, 2, 1000);
    expect(tier.breakerOpen).toBe(false);

    await expect(tier.read(['a'])).rejects.toThrow(new RedisUnavailableError('Connection is closed.').message);
    expect(counts).toEqual({ errors: 1, refused: 0 });
    expect(tier.breakerOpen).toBe(false);

    await expect(tier.store([{ key: 'a', value: '{"f":1,"t":[],"v":1}', tags: [] }], 1, 60)).rejects.toBeInstanceOf(RedisUnavailableError);
    expect(counts).toEqual({ errors: 2, refused: 0 });
    expect(tier.breakerOpen).toBe(true);

    await expect(tier.read(['a'])).rejects.toThrow('Redis cache unavailable: circuit open');
    await expect(tier.read(['b'])).rejects.toThrow('Redis cache unavailable: circuit open');
    expect(counts).toEqual({ errors: 2, refused: 2 });

    // Half-open: after the cooldown one command is sent again (and fails here: Redis is still away).
    vi.setSystemTime(T0 + 1000);
    await expect(tier.read(['a'])).rejects.toThrow('Redis cache unavailable: Connection is closed.');
    expect(counts).toEqual({ errors: 3, refused: 2 });
    expect(tier.breakerOpen).toBe(true);
    await expect(tier.read(['a'])).rejects.toThrow('circuit open');
    expect(counts).toEqual({ errors: 3, refused: 3 });
    await tier.close();
  });

  it('an invalidation Redis cannot take does not throw: it returns null (the write already committed)', async () => {
    const { tier, counts } = tierOver(redisAway(), 1, 60_000);
    await expect(tier.invalidate(['Patient:1'])).resolves.toBeNull();
    expect(counts.errors).toBe(1);
    // The breaker is open now: the next one is refused, and still does not throw.
    await expect(tier.invalidate(['Patient:2'])).resolves.toBeNull();
    expect(counts).toEqual({ errors: 1, refused: 1 });
    await tier.close();
  });
});

describe('the cache fails open when Redis is away', () => {
  it('loads fragments from the loader (MySQL), marks the session degraded, and reports the open breaker on /metrics', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      CACHE_L1_MAX_ENTRIES: '0',
      REDIS_BREAKER_FAILURES: '2',
      REDIS_BREAKER_COOLDOWN_MS: '60000',
    });
    const metrics = new Registry();
    const cache = createCache({ config, redis: redisAway(), logger: silentLogger(), metrics });
    expect(cache.mode).toBe('redis');

    const spec = { name: 'Thing', keyOf: (id: number) => id, tagsOf: (id: number) => [`Thing:${id}`] };
    const loaded: (readonly number[])[] = [];
    const load = async (ids: readonly number[]) => {
      loaded.push(ids);
      return ids.map((id) => ({ id, name: `thing ${id}` }));
    };

    for (let round = 0; round < 3; round += 1) {
      const session = cache.session();
      const values = await cache.loadFragments(session, spec, [1, 2], load);
      expect(values).toEqual([
        { id: 1, name: 'thing 1' },
        { id: 2, name: 'thing 2' },
      ]);
      expect(session.degraded).toBe(true);
      // Nothing cached: a degraded session stores nothing, so no hit and no fill.
      expect(session.stats.hits).toBe(0);
      expect(session.stats.fills).toBe(0);
    }
    expect(loaded).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);

    const text = await metrics.metrics();
    expect(text).toMatch(/^gateway_redis_breaker_open 1$/m);
    // Two failures opened it; the third round's read was refused without being sent.
    expect(text).toMatch(/^gateway_redis_errors_total\{kind="redis"\} 2$/m);
    expect(text).toMatch(/^gateway_redis_breaker_refusals_total\{kind="redis"\} 1$/m);
    await cache.close();
  });
});
