/**
 * Counts the SQL statements sent to MySQL, at the mysql2 driver, per operation.
 *
 * The counting pool (src/db/client.ts) calls `recordStatement` for every
 * `query`/`execute` on the pool or on a connection taken from it, so the count
 * includes what the ORM sends on its own (BEGIN, COMMIT, migrations' reads).
 * The count is attributed to the trace of the async context that issued it, so
 * concurrent requests never see each other's statements.
 *
 * With tracing on (src/telemetry/tracing.ts), each statement is also a span
 * `mysql <VERB>` (db.system, db.operation, db.statement: the SQL text with
 * its placeholders, never the parameters), child of the active loader batch
 * or operation span.
 *
 * Example:
 *   const trace = newSqlTrace();
 *   await withSqlTrace(trace, () => db.select().from(patients));
 *   trace.count // 1
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SpanKind } from '@opentelemetry/api';
import { inSpan, tracingActive } from '../telemetry/tracing.js';

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface SqlTrace {
  /** Statements sent while this trace was active. */
  count: number;
  /** The statements themselves, kept only when the trace was created with `capture: true`. */
  readonly statements: SqlStatement[] | null;
}

const storage = new AsyncLocalStorage<SqlTrace>();
let processTotal = 0;

export function newSqlTrace(options: { capture?: boolean } = {}): SqlTrace {
  return { count: 0, statements: options.capture ? [] : null };
}

/** Runs `fn` with `trace` receiving every statement it (and anything it awaits) sends. */
export function withSqlTrace<T>(trace: SqlTrace, fn: () => T): T {
  return storage.run(trace, fn);
}

/** The trace of the current async context, if any. */
export function currentSqlTrace(): SqlTrace | undefined {
  return storage.getStore();
}

/** Called by the counting pool for every statement sent to the server. */
export function recordStatement(query: unknown, params: unknown): void {
  processTotal += 1;
  const trace = storage.getStore();
  if (!trace) return;
  trace.count += 1;
  if (trace.statements) trace.statements.push({ sql: sqlText(query), params: Array.isArray(params) ? params : [] });
}

/** The SQL text of a mysql2 `query`/`execute` first argument (a string or `{ sql }`). */
function sqlText(query: unknown): string {
  return typeof query === 'string' ? query : String((query as { sql?: unknown } | null)?.sql ?? '');
}

/** The statement's leading keyword (SELECT, INSERT, BEGIN...), for span names. */
function verbOf(sql: string): string {
  return /^\s*\(?\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
}

/**
 * Runs one statement: counts it, then `run` sends it. The one place every
 * statement passes, for counters and tracing alike.
 */
export function observeStatement<T>(query: unknown, params: unknown, run: () => Promise<T>): Promise<T> {
  recordStatement(query, params);
  if (!tracingActive()) return run();
  const sql = sqlText(query);
  const verb = verbOf(sql);
  return inSpan(
    `mysql ${verb}`,
    { 'db.system': 'mysql', 'db.operation': verb, 'db.statement': sql },
    run,
    SpanKind.CLIENT,
  );
}

/** Statements sent by this process since it started (for metrics and the bench). */
export function totalStatements(): number {
  return processTotal;
}
