/**
 * The in-flight registry (src/http/graphql-handler.ts `InFlight`) and its use
 * at shutdown (src/lifecycle.ts), without MySQL or Redis:
 * - track() hands the promise back unchanged and counts it until it settles
 *   (fulfilled or rejected);
 * - settled(graceMs) resolves true once everything tracked (including what is
 *   tracked while waiting) has settled, false when the grace runs out first,
 *   and leaves no timer behind (fake timers);
 * - the /graphql handler keeps an execution tracked after its client got the
 *   503 of the request deadline, until the execution itself ends (a real
 *   ApolloServer over a tiny schema on a local HTTP port);
 * - the lifecycle closes the database only after settled(SHUTDOWN_GRACE_MS),
 *   and logs the executions still running when the grace ran out.
 */
import type http from 'node:http';
import { ApolloServer } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InFlight } from '../../src/http/graphql-handler.js';
import { createLifecycle, type LifecycleOptions } from '../../src/lifecycle.js';
import { deferred, listenWithHandler, memoryLogger, silentLogger } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('InFlight', () => {
  it('track() returns the same promise and counts it until it settles', async () => {
    const inFlight = new InFlight();
    expect(inFlight.size).toBe(0);
    const a = deferred<string>();
    const b = deferred<string>();
    expect(inFlight.track(a.promise)).toBe(a.promise);
    const tracked = inFlight.track(b.promise);
    tracked.catch(() => undefined);
    expect(inFlight.size).toBe(2);
    a.resolve('done');
    await a.promise;
    await vi.waitFor(() => expect(inFlight.size).toBe(1));
    b.reject(new Error('failed'));
    await expect(tracked).rejects.toThrow('failed');
    await vi.waitFor(() => expect(inFlight.size).toBe(0));
  });

  it('settled() with nothing tracked resolves true at once', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    await expect(inFlight.settled(1000)).resolves.toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settled(grace) resolves true when everything settles within the grace, rejections included', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    const ok = deferred();
    const failing = deferred();
    inFlight.track(ok.promise);
    inFlight.track(failing.promise).catch(() => undefined);
    let result: boolean | undefined;
    const settled = inFlight.settled(10_000).then((value) => (result = value));

    await vi.advanceTimersByTimeAsync(9_000);
    expect(result).toBeUndefined();
    ok.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    failing.reject(new Error('statement killed'));
    await settled;
    expect(result).toBe(true);
    expect(inFlight.size).toBe(0);
    // Its grace timer was cleared.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('settled(grace) resolves false when the grace runs out first, and the execution stays tracked', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    const stuck = deferred();
    inFlight.track(stuck.promise);
    let result: boolean | undefined;
    const settled = inFlight.settled(5_000).then((value) => (result = value));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    expect(result).toBe(false);
    expect(inFlight.size).toBe(1);
    stuck.resolve();
    await vi.waitFor(() => expect(inFlight.size).toBe(0));
  });

  it('waits for executions tracked while it waits, within the same grace', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    const first = deferred();
    const second = deferred();
    inFlight.track(first.promise);
    let result: boolean | undefined;
    const settled = inFlight.settled(3_000).then((value) => (result = value));
    await vi.advanceTimersByTimeAsync(1_000);
    inFlight.track(second.promise);
    first.resolve();
    await vi.advanceTimersByTimeAsync(1_000);
    // The first has settled, the second (tracked late) has not: still waiting.
    expect(result).toBeUndefined();
    expect(inFlight.size).toBe(1);
    // The grace is counted from the call, not restarted by the late execution.
    await vi.advanceTimersByTimeAsync(1_000);
    await settled;
    expect(result).toBe(false);
    second.resolve();
  });

  it('settled(0) is false while anything runs', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    const running = deferred();
    inFlight.track(running.promise);
    const settled = inFlight.settled(0);
    await vi.advanceTimersByTimeAsync(0);
    await expect(settled).resolves.toBe(false);
    running.resolve();
  });
});

describe('the /graphql handler tracks executions', () => {
  it('an execution cut off by the request deadline stays tracked until it ends', async () => {
    const gate = deferred<string>();
    let started = 0;
    const apollo = new ApolloServer({
      schema: makeExecutableSchema({
        typeDefs: 'type Query { slow: String }',
        resolvers: {
          Query: {
            slow: () => {
              started += 1;
              return gate.promise;
            },
          },
        },
      }),
      csrfPrevention: false,
      persistedQueries: false,
      logger: silentLogger(),
    });
    await apollo.start();
    const deadlines: string[] = [];
    const { url, inFlight, close } = await listenWithHandler(apollo, {
      deadlineMs: 150,
      requestId: 'req-deadline',
      onDeadline: (requestId) => deadlines.push(requestId),
    });
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ slow }' }),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors).toEqual([
        { message: 'The request did not complete within 150 ms; retry later.', extensions: { code: 'SERVICE_UNAVAILABLE' } },
      ]);
      expect(deadlines).toEqual(['req-deadline']);
      expect(started).toBe(1);
      // The client has its answer, but the execution still runs and is still tracked.
      expect(inFlight.size).toBe(1);
      await expect(inFlight.settled(0)).resolves.toBe(false);

      gate.resolve('late');
      await expect(inFlight.settled(10_000)).resolves.toBe(true);
      expect(inFlight.size).toBe(0);
    } finally {
      await close();
      await apollo.stop();
    }
  });
});

describe('the lifecycle waits for in-flight executions before closing the pools', () => {
  function lifecycleWith(inFlight: InFlight, shutdownGraceMs: number) {
    const events: string[] = [];
    const { logger, lines } = memoryLogger('warn');
    const options = {
      config: { shutdownDrainMs: 1000, shutdownGraceMs },
      logger,
      // Not listening: the drain wait is skipped.
      httpServer: { listening: false } as http.Server,
      apollo: { stop: async () => void events.push('apollo.stop') },
      inFlight,
      database: { close: async () => void events.push('database.close') },
      replicas: [{ close: async () => void events.push('replica.close') }],
      replicaHealth: { stop: () => void events.push('replicaHealth.stop') },
      cache: { close: async () => void events.push('cache.close') },
      redis: null,
      onShutdownStarted: () => events.push('started'),
    } as unknown as LifecycleOptions;
    return { lifecycle: createLifecycle(options), events, lines };
  }

  it('closes the database only once the executions have settled', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    const execution = deferred();
    inFlight.track(execution.promise);
    const { lifecycle, events, lines } = lifecycleWith(inFlight, 10_000);
    const done = lifecycle.shutdown();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(events).toEqual(['started', 'apollo.stop']);
    execution.resolve();
    await done;
    expect(events).toEqual(['started', 'apollo.stop', 'database.close', 'replicaHealth.stop', 'replica.close', 'cache.close']);
    expect(lines).toEqual([]);
    // shutdown() is idempotent: the same promise, nothing runs twice.
    await lifecycle.shutdown();
    expect(events.filter((event) => event === 'database.close')).toHaveLength(1);
  });

  it('closes after SHUTDOWN_GRACE_MS when an execution does not end, and says how many still run', async () => {
    vi.useFakeTimers();
    const inFlight = new InFlight();
    inFlight.track(deferred().promise);
    inFlight.track(deferred().promise);
    const { lifecycle, events, lines } = lifecycleWith(inFlight, 3_000);
    const done = lifecycle.shutdown();
    await vi.advanceTimersByTimeAsync(2_999);
    expect(events).not.toContain('database.close');
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(events.at(-4)).toBe('database.close');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, running: 2, msg: 'shutdown: executions still running after the grace period' });
  });
});
