/**
 * ConnectionGate (src/db/connection-gate.ts) without MySQL: admission up to
 * `size`, FIFO queueing up to `queueLimit`, POOL_QUEUE_FULL at once past it,
 * POOL_ACQUIRE_TIMEOUT after `acquireTimeoutMs` (fake timers), hand-over of a
 * released connection to the next waiter, idempotent release, close() and
 * PoolUnavailableError's shape (and that the error plugin reads it as
 * "unavailable").
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionGate, PoolUnavailableError } from '../../src/db/connection-gate.js';
import { isUnavailable } from '../../src/db/transaction.js';

/** Whether `promise` has settled by now (after pending microtasks ran). */
async function state<T>(promise: Promise<T>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  let result: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  promise.then(
    () => (result = 'fulfilled'),
    () => (result = 'rejected'),
  );
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
  return result;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('admission', () => {
  it('grants up to `size` connections at once and counts them in stats()', async () => {
    const gate = new ConnectionGate({ size: 3, queueLimit: 5, acquireTimeoutMs: 1000 });
    expect(gate.stats()).toEqual({ inUse: 0, waiting: 0, size: 3 });
    const releases = await Promise.all([gate.acquire(), gate.acquire(), gate.acquire()]);
    expect(releases.every((release) => typeof release === 'function')).toBe(true);
    expect(gate.stats()).toEqual({ inUse: 3, waiting: 0, size: 3 });
    releases[0]!();
    expect(gate.stats()).toEqual({ inUse: 2, waiting: 0, size: 3 });
    releases[1]!();
    releases[2]!();
    expect(gate.stats()).toEqual({ inUse: 0, waiting: 0, size: 3 });
  });

  it('a release called twice frees only one connection', async () => {
    const gate = new ConnectionGate({ size: 2, queueLimit: 0, acquireTimeoutMs: 1000 });
    const first = await gate.acquire();
    await gate.acquire();
    first();
    first();
    expect(gate.stats().inUse).toBe(1);
    // Exactly one slot is free: a second acquire past it is refused (queueLimit 0).
    await gate.acquire();
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'POOL_QUEUE_FULL' });
  });
});

describe('queueing', () => {
  it('queues past `size`, and a release hands the connection straight to the first waiter (FIFO)', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 2, acquireTimeoutMs: 1000 });
    const held = await gate.acquire();
    const second = gate.acquire();
    const third = gate.acquire();
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 2, size: 1 });
    expect(await state(second)).toBe('pending');
    expect(await state(third)).toBe('pending');

    held();
    // The connection passed on: still one in use, one waiting.
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 1, size: 1 });
    expect(await state(second)).toBe('fulfilled');
    expect(await state(third)).toBe('pending');

    (await second)();
    expect(await state(third)).toBe('fulfilled');
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 0, size: 1 });
    (await third)();
    expect(gate.stats()).toEqual({ inUse: 0, waiting: 0, size: 1 });
  });

  it('refuses at once with POOL_QUEUE_FULL when `queueLimit` callers already wait', async () => {
    const gate = new ConnectionGate({ size: 2, queueLimit: 1, acquireTimeoutMs: 1000 });
    await gate.acquire();
    await gate.acquire();
    const waiting = gate.acquire();
    const refused = gate.acquire();
    await expect(refused).rejects.toBeInstanceOf(PoolUnavailableError);
    await expect(refused).rejects.toMatchObject({
      name: 'PoolUnavailableError',
      code: 'POOL_QUEUE_FULL',
      message: 'All 2 MySQL connections are busy and 1 statements already wait (DB_POOL_QUEUE_LIMIT).',
    });
    expect(gate.stats()).toEqual({ inUse: 2, waiting: 1, size: 2 });
    expect(await state(waiting)).toBe('pending');
  });

  it('queueLimit 0: nobody waits, the caller past `size` is refused at once', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 0, acquireTimeoutMs: 1000 });
    await gate.acquire();
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'POOL_QUEUE_FULL' });
    expect(gate.stats().waiting).toBe(0);
    // No timer was left behind for the refused caller.
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('acquire timeout', () => {
  it('a waiter gives up with POOL_ACQUIRE_TIMEOUT after exactly acquireTimeoutMs and leaves the queue', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 5, acquireTimeoutMs: 2000 });
    const held = await gate.acquire();
    const waiter = gate.acquire();
    const outcome = waiter.then(
      () => 'granted',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(1999);
    expect(await state(waiter)).toBe('pending');
    expect(gate.stats().waiting).toBe(1);

    await vi.advanceTimersByTimeAsync(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(PoolUnavailableError);
    expect(error).toMatchObject({
      code: 'POOL_ACQUIRE_TIMEOUT',
      message: 'No MySQL connection became free within 2000 ms (DB_ACQUIRE_TIMEOUT_MS).',
    });
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 0, size: 1 });

    // The waiter that gave up is not granted later: the release frees the slot instead.
    held();
    expect(gate.stats()).toEqual({ inUse: 0, waiting: 0, size: 1 });
  });

  it('a timed-out waiter in the middle of the queue leaves the others in order', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 5, acquireTimeoutMs: 1000 });
    const held = await gate.acquire();
    const first = gate.acquire();
    const firstOutcome = first.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(500);
    const second = gate.acquire();
    second.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(500);
    // `first` timed out (1000 ms), `second` has waited 500 ms.
    expect(await firstOutcome).toMatchObject({ code: 'POOL_ACQUIRE_TIMEOUT' });
    expect(gate.stats().waiting).toBe(1);
    held();
    expect(await state(second)).toBe('fulfilled');
    // Its timer was cleared on the grant: advancing past its deadline changes nothing.
    await vi.advanceTimersByTimeAsync(1000);
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 0, size: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a granted waiter keeps no timer', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 1, acquireTimeoutMs: 1000 });
    const held = await gate.acquire();
    const waiter = gate.acquire();
    expect(vi.getTimerCount()).toBe(1);
    held();
    await waiter;
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('close', () => {
  it('refuses every waiter and every later acquire with POOL_CLOSED; held connections release normally', async () => {
    const gate = new ConnectionGate({ size: 1, queueLimit: 3, acquireTimeoutMs: 1000 });
    const held = await gate.acquire();
    const waiters = [gate.acquire(), gate.acquire()];
    gate.close();
    for (const waiter of waiters) {
      await expect(waiter).rejects.toMatchObject({ name: 'PoolUnavailableError', code: 'POOL_CLOSED', message: 'The MySQL pool is closed.' });
    }
    expect(vi.getTimerCount()).toBe(0);
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
    expect(gate.stats()).toEqual({ inUse: 1, waiting: 0, size: 1 });
    held();
    expect(gate.stats()).toEqual({ inUse: 0, waiting: 0, size: 1 });
    // Even with a free slot, a closed gate admits nobody.
    await expect(gate.acquire()).rejects.toMatchObject({ code: 'POOL_CLOSED' });
  });
});

describe('PoolUnavailableError', () => {
  it('is an Error with its code, and the error plugin reads saturation as unavailable (SERVICE_UNAVAILABLE)', () => {
    const full = new PoolUnavailableError('POOL_QUEUE_FULL', 'full');
    expect(full).toBeInstanceOf(Error);
    expect(full.name).toBe('PoolUnavailableError');
    expect(full.code).toBe('POOL_QUEUE_FULL');
    expect(full.message).toBe('full');
    expect(isUnavailable(full)).toBe(true);
    expect(isUnavailable(new PoolUnavailableError('POOL_ACQUIRE_TIMEOUT', 'late'))).toBe(true);
    // Wrapped the way drizzle wraps driver errors (in `cause`).
    expect(isUnavailable(Object.assign(new Error('Failed query'), { cause: full }))).toBe(true);
  });
});
