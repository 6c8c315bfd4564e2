/**
 * One request's way to the database, carrying the request's SQL trace to
 * every statement it sends (src/db/sql-counter.ts), so counting needs no
 * async context:
 * - `rows(sql, params)`: the reads of loaders and repositories, on the pool
 *   the read router picks per statement (a replica, or the primary:
 *   src/db/replicas.ts);
 * - `writer`: drizzle on the primary for the request's mutations, made on
 *   first use (a query never builds one).
 *
 * Example:
 *   const db = createRequestDb(database, trace, null);
 *   await db.rows<{ id: number }>('SELECT id FROM patients WHERE id IN (?)', [[1, 2]]);
 *   await inTransaction(db.writer, (tx) => …);
 *   trace.count // every statement above
 */
import type { Database, Db } from './client.js';
import type { InstrumentedPool } from './pool.js';
import type { SqlTrace } from './sql-counter.js';

/** What read repositories need: rows of one SQL statement. */
export interface Reads {
  rows<T>(sql: string, params: readonly unknown[]): Promise<T[]>;
}

export interface RequestDb extends Reads {
  readonly trace: SqlTrace;
  /** drizzle on the primary, counting into the trace; built on first use. */
  readonly writer: Db;
}

export function createRequestDb(database: Database, trace: SqlTrace, route: (() => InstrumentedPool) | null): RequestDb {
  let writer: Db | null = null;
  const primary = database.instrumented;
  return {
    trace,
    rows: route ? (sql, params) => route().rows(sql, params, trace) : (sql, params) => primary.rows(sql, params, trace),
    get writer() {
      return (writer ??= database.drizzleFor(trace));
    },
  };
}
