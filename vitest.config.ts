import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Fault tests choreograph timeouts against the real MySQL and Redis (a statement cut off by the server, a
 * breaker probe inside a held reply): on this 2-core machine, the load of the files beside them (a Redis
 * Cluster under 20 reader loops, randomized histories) delayed MariaDB's statement timer past the client's
 * margin in a CI run. They run after the rest, one file at a time, and leave room for a stalled server
 * (test/mysql-faults.test.ts sets DB_CLIENT_TIMEOUT_MARGIN_MS).
 */
const TIMING_FILES = ['test/mysql-faults.test.ts', 'test/cache-faults.test.ts'];

// Each test file makes its own throw-away database (src/testing), so files run in parallel safely.
export default defineConfig({
  resolve: {
    // One graphql-js for everything: Node (and so Apollo, loaded as an external dependency) resolves
    // `graphql` to its CommonJS build, while Vite would give the project's own modules the `.mjs` one, and
    // graphql-js refuses a schema built by the other copy ("from another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'suite', include: ['test/**/*.test.ts'], exclude: TIMING_FILES, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'faults', include: TIMING_FILES, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
