import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

// Each test file makes its own throw-away database (src/testing), so files run in parallel safely.
export default defineConfig({
  resolve: {
    // One graphql-js for everything: Node (and so Apollo, loaded as an external dependency) resolves
    // `graphql` to its CommonJS build, while Vite would give the project's own modules the `.mjs` one, and
    // graphql-js refuses a schema built by the other copy ("from another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
