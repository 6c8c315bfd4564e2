/**
 * The MySQL connection of the gateway: one InstrumentedPool (src/db/pool.ts:
 * bounded, counted, time-limited on both sides), the drizzle handles over it,
 * database creation and migrations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import * as schema from '../../drizzle/schema.js';
import type { Config } from '../config.js';
import { PROJECT_ROOT } from '../paths.js';
import type { PoolStats } from './connection-gate.js';
import { InstrumentedPool } from './pool.js';
import type { SqlTrace } from './sql-counter.js';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  /** drizzle over the pool, for work outside a request (migrations, the seed, the MySQL idempotency store). */
  readonly db: Db;
  /** The pool's mysql2/promise-shaped client (tests' fixtures, the seed): gated and counted like everything else. */
  readonly pool: mysql.Pool;
  /** The pool itself: a request's reads go through `rows`, counted into the request's trace. */
  readonly instrumented: InstrumentedPool;
  /** drizzle over the pool whose statements count into `trace` (a request's writes). */
  drizzleFor(trace: SqlTrace): Db;
  readonly databaseName: string;
  /** Connections in use and callers waiting, for /metrics. */
  poolStats(): PoolStats;
  /**
   * Runs a health statement on a connection of its own, outside the gate and the SQL
   * counters, so /readyz answers the truth about MySQL even while the pool is saturated.
   */
  probe(sql: string): Promise<unknown[]>;
  /** The server-side statement timeout applied to each connection, or null when off (or not supported). */
  readonly statementTimeout: StatementTimeout | null;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = path.join(PROJECT_ROOT, 'drizzle', 'migrations');

/** How the server cuts off a long statement: MariaDB and MySQL name the setting differently. */
export interface StatementTimeout {
  readonly server: 'mariadb' | 'mysql';
  /** The statement run on each new connection. */
  readonly sql: string;
  readonly milliseconds: number;
  /** When the client gives up on an unanswered statement and drops its connection (a dead network). */
  readonly clientMilliseconds: number;
}

export function databaseNameOf(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_$]{1,64}$/.test(name)) {
    throw new Error(`DATABASE_URL must name a database of letters, digits, _ or $, got "${name}".`);
  }
  return name;
}

/** The server's VERSION(), on a connection of its own. */
async function serverVersion(url: string, connectTimeoutMs = 10_000): Promise<string> {
  const connection = await mysql.createConnection({ uri: url, connectTimeout: connectTimeoutMs });
  try {
    const [rows] = await connection.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0]?.version ?? '');
  } finally {
    await connection.end();
  }
}

/** Creates the database named in `url` when it does not exist yet; returns the server's VERSION(). */
export async function ensureDatabase(url: string, connectTimeoutMs = 10_000): Promise<string> {
  const name = databaseNameOf(url);
  const server = new URL(url);
  server.pathname = '/';
  const connection = await mysql.createConnection({ uri: server.toString(), connectTimeout: connectTimeoutMs });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await connection.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0]?.version ?? '');
  } finally {
    await connection.end();
  }
}

export interface ConnectOptions {
  /** DB_POOL_SIZE: connections held at most. */
  readonly poolSize: number;
  /** DB_POOL_QUEUE_LIMIT (default 100): callers that may wait for a connection. */
  readonly queueLimit?: number;
  /** DB_ACQUIRE_TIMEOUT_MS (default 2000): how long a caller waits for a connection. */
  readonly acquireTimeoutMs?: number;
  /** DB_CONNECT_TIMEOUT_MS (default 2000): how long opening a connection may take. */
  readonly connectTimeoutMs?: number;
  /** DB_STATEMENT_TIMEOUT_MS (default 0: none): server-side cut-off per statement; the client gives up a margin later. */
  readonly statementTimeoutMs?: number;
  /** DB_CLIENT_TIMEOUT_MARGIN_MS (default 1000): the client gives up this long after the server's timeout. */
  readonly clientTimeoutMarginMs?: number;
  /** Create the database when missing (default true); off for read replicas, which may refuse CREATE. */
  readonly createIfMissing?: boolean;
}

/** The pool settings of a serving gateway, from its config. */
export function poolOptionsOf(config: Config): ConnectOptions {
  return {
    poolSize: config.dbPoolSize,
    queueLimit: config.dbPoolQueueLimit,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    clientTimeoutMarginMs: config.dbClientTimeoutMarginMs,
  };
}

/** MariaDB's max_statement_time (seconds, every statement) or MySQL's max_execution_time (ms, SELECTs). */
function statementTimeoutFor(version: string, milliseconds: number, clientMarginMs: number): StatementTimeout {
  const clientMilliseconds = milliseconds + clientMarginMs;
  return /mariadb/i.test(version)
    ? { server: 'mariadb', milliseconds, clientMilliseconds, sql: `SET SESSION max_statement_time = ${milliseconds / 1000}` }
    : { server: 'mysql', milliseconds, clientMilliseconds, sql: `SET SESSION max_execution_time = ${milliseconds}` };
}

export async function connectDatabase(url: string, options: ConnectOptions): Promise<Database> {
  const version =
    options.createIfMissing === false ? await serverVersion(url, options.connectTimeoutMs) : await ensureDatabase(url, options.connectTimeoutMs);
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  const statementTimeout = statementTimeoutMs > 0 ? statementTimeoutFor(version, statementTimeoutMs, options.clientTimeoutMarginMs ?? 1000) : null;
  const instrumented = new InstrumentedPool(url, {
    size: options.poolSize,
    queueLimit: options.queueLimit ?? 100,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 2000,
    connectTimeoutMs: options.connectTimeoutMs ?? 2000,
    ...(statementTimeout ? { onConnect: statementTimeout.sql, clientTimeoutMs: statementTimeout.clientMilliseconds } : {}),
  });
  const pool = instrumented.client(null);
  return {
    db: drizzle({ client: pool, schema, mode: 'default' }),
    pool,
    instrumented,
    drizzleFor: (trace) => drizzle({ client: instrumented.client(trace), schema, mode: 'default' }),
    databaseName: databaseNameOf(url),
    poolStats: () => instrumented.stats(),
    probe: (sql) => instrumented.probe(sql),
    statementTimeout,
    close: () => instrumented.close(),
  };
}

export async function migrateDatabase(database: Database): Promise<void> {
  await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
}

/** The `when` stamp of the newest migration shipped in drizzle/migrations. */
function newestShippedMigration(): number {
  const journal = JSON.parse(readFileSync(`${MIGRATIONS_FOLDER}/meta/_journal.json`, 'utf8')) as {
    entries: { when: number }[];
  };
  return Math.max(0, ...journal.entries.map((entry) => entry.when));
}

/** True when MySQL answers and the newest shipped migration has been applied (what /readyz reports). */
export async function migrationsApplied(database: Database): Promise<boolean> {
  const rows = await database.probe('SELECT MAX(created_at) AS newest FROM __drizzle_migrations');
  const newest = Number((rows as { newest: number | string | null }[])[0]?.newest ?? 0);
  return newest >= newestShippedMigration();
}
