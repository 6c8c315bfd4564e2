/**
 * The rate budget (src/plugins/rate-budget.ts `createRateBudget`, which the
 * limits stage charges through `onAccepted`) with its in-process bucket (the
 * store it uses with Redis off, or not ready) and a fake clock: a bucket of
 * `costPerMinute` units per payer, refilled continuously at that rate;
 * RATE_LIMITED (429, Retry-After, extensions.retryAfterSeconds/limit/value)
 * when it cannot pay, with nothing drawn; 0 turns it off; payers are
 * independent; a Redis client that is not ready is not used (fails open to
 * the local bucket).
 */
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRateBudget } from '../../src/plugins/rate-budget.js';

const T0 = new Date('2026-01-01T00:00:00.000Z').getTime();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});

afterEach(() => {
  vi.useRealTimers();
});

async function refusal(promise: Promise<void>): Promise<GraphQLError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  if (!(error instanceof GraphQLError)) throw new Error(`expected a GraphQLError, got ${String(error)}`);
  return error;
}

describe('createRateBudget (in process)', () => {
  it('lets a payer spend costPerMinute, then refuses with RATE_LIMITED, 429 and Retry-After', async () => {
    const budget = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 600 });
    await budget.charge('admin:a', 400);
    await budget.charge('admin:a', 200);
    const error = await refusal(budget.charge('admin:a', 30));
    expect(error.message).toBe('The cost budget of 600 units per minute is spent; this operation costs 30. Retry in 3 s.');
    const { http, ...extensions } = error.extensions as { http: { status: number; headers: Map<string, string> } };
    expect(extensions).toEqual({ retryAfterSeconds: 3, limit: 600, value: 30, code: 'RATE_LIMITED' });
    expect(http.status).toBe(429);
    expect(http.headers.get('retry-after')).toBe('3');
  });

  it('refills continuously at costPerMinute per minute, and draws nothing for a refused operation', async () => {
    const budget = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 600 });
    await budget.charge('p', 600);
    // 10 units per second.
    vi.setSystemTime(T0 + 1000);
    await expect(budget.charge('p', 11)).rejects.toThrow('Retry in 1 s.');
    // The refusal drew nothing: the 10 units are still there.
    await budget.charge('p', 10);
    await expect(budget.charge('p', 1)).rejects.toThrow(GraphQLError);
    // Never more than a full bucket, however long it waited.
    vi.setSystemTime(T0 + 600_000);
    await budget.charge('p', 600);
    await expect(budget.charge('p', 1)).rejects.toThrow('Retry in 1 s.');
  });

  it('an operation costing more than the whole bucket says when it could be paid', async () => {
    const budget = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 60 });
    const error = await refusal(budget.charge('p', 120));
    // 60 units missing at 1 unit per second.
    expect(error.extensions.retryAfterSeconds).toBe(60);
  });

  it('keeps one bucket per payer', async () => {
    const budget = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 100 });
    await budget.charge('address:10.0.0.1', 100);
    await expect(budget.charge('address:10.0.0.1', 1)).rejects.toThrow(GraphQLError);
    await budget.charge('address:10.0.0.2', 100);
    await budget.charge('patient:u:7', 100);
  });

  it('costPerMinute 0 turns the budget off; a cost of 0 is free', async () => {
    const off = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 0 });
    for (let i = 0; i < 5; i += 1) await off.charge('p', 1_000_000);
    const budget = createRateBudget({ redis: null, keyPrefix: 'unit:', costPerMinute: 10 });
    await budget.charge('p', 10);
    await budget.charge('p', 0);
    await budget.charge('p', -5);
    await expect(budget.charge('p', 1)).rejects.toThrow(GraphQLError);
  });

  it('uses the local bucket while the Redis client is not ready (fails open, still limits)', async () => {
    const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null, host: '203.0.113.1', port: 1 });
    redis.on('error', () => undefined);
    redis.disconnect();
    const budget = createRateBudget({ redis, keyPrefix: 'unit:', costPerMinute: 50 });
    expect('rateBudgetDraw' in redis).toBe(true);
    await budget.charge('p', 50);
    await expect(budget.charge('p', 1)).rejects.toThrow('The cost budget of 50 units per minute is spent');
  });
});
