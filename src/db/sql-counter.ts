/**
 * The one SQL-count helper: statements sent to MySQL, counted where they
 * leave (src/db/pool.ts, at the mysql2 driver, so the count includes what the
 * ORM sends on its own: BEGIN, COMMIT, a write's read-back).
 *
 * A request counts into its own trace: the request's database handle
 * (src/db/request-db.ts) carries it to every statement it sends, so
 * concurrent requests never see each other's statements, and nothing is
 * tracked per promise (no AsyncLocalStorage). The process-wide total
 * (`totalStatements`) counts everything, traced or not.
 *
 * With tracing on (src/telemetry/tracing.ts), each statement is also a span
 * `mysql <VERB>` (db.system, db.operation, db.statement: the SQL text with
 * its placeholders, never the parameters), child of the active loader batch
 * or operation span.
 *
 * Example:
 *   const trace = newSqlTrace();
 *   await requestDb(pool, trace).rows('SELECT 1', []);
 *   trace.count // 1
 */
import { SpanKind } from '@opentelemetry/api';
import { inSpan, tracingActive } from '../telemetry/tracing.js';

export interface SqlStatement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface SqlTrace {
  /** Statements sent on behalf of this trace's owner (one request). */
  count: number;
  /** The statements themselves, kept only when the trace was created with `capture: true`. */
  readonly statements: SqlStatement[] | null;
}

let processTotal = 0;

export function newSqlTrace(options: { capture?: boolean } = {}): SqlTrace {
  return { count: 0, statements: options.capture ? [] : null };
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
 * Runs one statement: counts it (process-wide and in `trace`), then `run` sends it. The one place every
 * statement passes, for counters and tracing alike.
 */
export function observeStatement<T>(query: unknown, params: unknown, trace: SqlTrace | null, run: () => Promise<T>): Promise<T> {
  processTotal += 1;
  if (trace) {
    trace.count += 1;
    if (trace.statements) trace.statements.push({ sql: sqlText(query), params: Array.isArray(params) ? params : [] });
  }
  if (!tracingActive()) return run();
  const sql = sqlText(query);
  const verb = verbOf(sql);
  return inSpan(`mysql ${verb}`, { 'db.system': 'mysql', 'db.operation': verb, 'db.statement': sql }, run, SpanKind.CLIENT);
}

/** Statements sent by this process since it started (for metrics and the bench). */
export function totalStatements(): number {
  return processTotal;
}
