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
 *
 * Several gateways in one file (a describe block per deployment: production and
 * development, small limits and default ones): `gatewaysTest(name, { … })` is a
 * `test` with one worker-scoped fixture per key, each its own gateway with its
 * own options and database (named `<name>_<key>`). Vitest cannot give a worker-
 * or file-scoped fixture another value inside a describe block (`test.override`
 * refuses non-test scopes there), so every block asks for its gateway by name:
 *
 *   const test = gatewaysTest('transport', {
 *     production: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } },
 *     development: { env: { NODE_ENV: 'development' } },
 *   });
 *
 *   describe('production', () => {
 *     let gw: TestGateway;
 *     test.beforeAll(async ({ production }) => { gw = production; await insertPatients(gw.database.pool, manyPatients(2)); });
 *     test('trusted documents only', async () => { expect((await gw.run('{ __typename }')).errors).toBeDefined(); });
 *   });
 *
 *   describe('development', () => {
 *     test('any document', async ({ development }) => { expect((await development.run('{ __typename }')).errors).toBeUndefined(); });
 *   });
 *
 * Vitest creates the fixtures a hook or test destructures, so a `describe.each`
 * row picks its gateway with a hook that names only that one:
 *
 *   describe.each([['Redis', 'withRedis'], ['in process', 'local']] as const)('rate budget (%s)', (_name, fixture) => {
 *     let gw: TestGateway;
 *     if (fixture === 'withRedis') test.beforeAll(({ withRedis }) => { gw = withRedis; });
 *     else test.beforeAll(({ local }) => { gw = local; });
 *   });
 *
 * Each gateway is created the first time a hook or test asks for it (a block
 * that is skipped creates none) and closed when the worker ends, not when its
 * block ends: blocks that ask for different gateways do not share state, but
 * an earlier block's gateway is still open (idle) while a later one runs. A
 * gateway whose options are only known at run time (a proxy's port) or whose
 * closing is itself under test stays hand-made in its test.
 */
import { test as base } from 'vitest';
import { createTestGateway, type TestGateway, type TestGatewayOptions } from '../../src/testing/index.js';

export interface GatewayFixtures {
  /** This file's test gateway. */
  readonly gateway: TestGateway;
}

/**
 * One gateway's options as a fixture takes them: createTestGateway's, except `name` (the fixture's name
 * gives it) and `shareWith` (an instance sharing another's database is a scenario of its own, set up in its test).
 */
export type GatewayFixtureOptions = Omit<TestGatewayOptions, 'name' | 'shareWith'>;

/** A worker-scoped fixture that creates a test gateway named `name` with `options` and closes it at the end. */
function gatewayFixture(
  name: string,
  options: GatewayFixtureOptions,
): [(context: object, use: (gateway: TestGateway) => Promise<void>) => Promise<void>, { scope: 'worker' }] {
  return [
    // eslint-disable-next-line no-empty-pattern -- Vitest reads the fixtures a fixture needs from this pattern: none
    async ({}, use: (gateway: TestGateway) => Promise<void>) => {
      const gateway = await createTestGateway({ ...options, name });
      try {
        await use(gateway);
      } finally {
        await gateway.close();
      }
    },
    { scope: 'worker' },
  ];
}

/**
 * A `test` with a worker-scoped `gateway` fixture. `name` goes into the database name (so leftovers are
 * recognisable, and every file's database is its own: the name is suffixed with random bytes as well).
 */
export function gatewayTest(name: string, options: GatewayFixtureOptions = {}) {
  return base.extend<{ $worker: GatewayFixtures }>({ gateway: gatewayFixture(name, options) });
}

/**
 * A `test` with one worker-scoped gateway fixture per key of `gateways`, each created with its options on
 * its own database (`<name>_<key>`, suffixed with random bytes) when first asked for, and closed when the
 * worker ends. See the header for a worked example.
 */
export function gatewaysTest<const Names extends string>(name: string, gateways: Record<Names, GatewayFixtureOptions>) {
  const fixtures = Object.fromEntries(
    (Object.entries(gateways) as [Names, GatewayFixtureOptions][]).map(([key, options]) => [key, gatewayFixture(`${name}_${key}`, options)]),
  );
  return base.extend<{ $worker: Record<Names, TestGateway> }>(fixtures as never);
}
