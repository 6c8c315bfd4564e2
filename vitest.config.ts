import { defineConfig } from 'vitest/config';

// Each test file makes its own throw-away database (src/testing), so files run in parallel safely.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
