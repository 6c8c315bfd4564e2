/**
 * The SQL count plugin (src/plugins/sql-count.ts `useSqlCountHeader`) alone,
 * on an in-memory schema: with `enabled`, the `x-sql-statements` header holds
 * the statements the request's trace counted (counted by the real
 * `observeStatement` of src/db/sql-counter.ts, which a resolver calls here
 * with a stand-in for the driver call); disabled (production), no header.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../../src/context.js';
import { newSqlTrace, observeStatement } from '../../src/db/sql-counter.js';
import { SQL_COUNT_HEADER, useSqlCountHeader } from '../../src/plugins/sql-count.js';
import { fakeContext, run, startServer } from './helpers.js';

const schema = makeExecutableSchema({
  typeDefs: 'type Query { rows(statements: Int!): Int! }',
  resolvers: {
    Query: {
      rows: async (_parent: unknown, { statements }: { statements: number }, context: GatewayContext) => {
        for (let i = 0; i < statements; i += 1) await observeStatement(`SELECT ${i}`, [], context.sql, async () => [[]]);
        return statements;
      },
    },
  },
});

describe('useSqlCountHeader', () => {
  it('enabled: x-sql-statements is the count of the request\'s own trace', async () => {
    expect(SQL_COUNT_HEADER).toBe('x-sql-statements');
    const server = await startServer([useSqlCountHeader({ enabled: true })], { schema });
    for (const statements of [0, 1, 4]) {
      const { headers, result } = await run(server, { query: `{ rows(statements: ${statements}) }` }, fakeContext({ sql: newSqlTrace() }));
      expect(result).toEqual({ data: { rows: statements } });
      expect(headers.get(SQL_COUNT_HEADER)).toBe(String(statements));
    }
    // Two requests in parallel each see their own count.
    const [two, three] = await Promise.all([
      run(server, { query: '{ rows(statements: 2) }' }, fakeContext({ sql: newSqlTrace() })),
      run(server, { query: '{ rows(statements: 3) }' }, fakeContext({ sql: newSqlTrace() })),
    ]);
    expect([two.headers.get(SQL_COUNT_HEADER), three.headers.get(SQL_COUNT_HEADER)]).toEqual(['2', '3']);
    // Failed requests report their count too (0 when nothing ran).
    const failed = await run(server, { query: '{ rows }' }, fakeContext({ sql: newSqlTrace() }));
    expect(failed.headers.get(SQL_COUNT_HEADER)).toBe('0');
  });

  it('disabled (production): no header', async () => {
    const server = await startServer([useSqlCountHeader({ enabled: false })], { schema });
    const { headers, result } = await run(server, { query: '{ rows(statements: 2) }' }, fakeContext({ sql: newSqlTrace() }));
    expect(result).toEqual({ data: { rows: 2 } });
    expect(headers.get(SQL_COUNT_HEADER)).toBeUndefined();
  });
});
