/**
 * The gateway as a Vitest fixture: `gatewayTest('queries')` is a `test` whose
 * `gateway` fixture is one test gateway (src/testing) on its own throw-away
 * database, created when first asked for and closed (database dropped, Redis
 * keys removed) when the worker ends. It is worker-scoped, and with
 * `pool: 'forks'` every test file runs in its own worker, so each file gets
 * exactly one gateway shared by its tests and hooks: what the hand-written
 * `beforeAll(createTestGateway)` / `afterAll(close)` pairs did, without a
 * gateway a failed setup could leave open.
 *
 * Example:
 *   const test = gatewayTest('queries');
 *   test.beforeAll(async ({ gateway }) => { await insertPatients(gateway.database.pool, manyPatients(3)); });
 *   test('a page', async ({ gateway }) => { expect((await gateway.run('{ patients(first: 2) { totalCount } }')).sqlCount).toBe(1); });
 *
 * Options (cache on, env overrides, executor comparison) go as the second argument:
 *   const test = gatewayTest('cache', { cache: true, env: { MAX_COST: '200' } });
 */
import { test as base } from 'vitest';
import { createTestGateway, type TestGateway, type TestGatewayOptions } from '../../src/testing/index.js';

export interface GatewayFixtures {
  /** This file's test gateway. */
  readonly gateway: TestGateway;
}

/**
 * A `test` with a worker-scoped `gateway` fixture. `name` goes into the database name (so leftovers are
 * recognisable, and every file's database is its own: the name is suffixed with random bytes as well).
 * `options` are createTestGateway's, except `shareWith` (an instance sharing another's database is a
 * scenario of its own, set up in its test).
 */
export function gatewayTest(name: string, options: Omit<TestGatewayOptions, 'name' | 'shareWith'> = {}) {
  return base.extend<{ $worker: GatewayFixtures }>({
    gateway: [
      // eslint-disable-next-line no-empty-pattern -- Vitest reads the fixtures a fixture needs from this pattern: none
      async ({}, use) => {
        const gateway = await createTestGateway({ ...options, name });
        try {
          await use(gateway);
        } finally {
          await gateway.close();
        }
      },
      { scope: 'worker' },
    ],
  });
}
