/**
 * The MySQL connection of the gateway: a mysql2 pool behind a bounded gate
 * (src/db/connection-gate.ts) whose statements are counted
 * (src/db/sql-counter.ts) and time-limited on both sides (the server's
 * statement timeout, detected at start, and a client-side give-up that drops
 * the connection), the drizzle instance over it, database creation and
 * migrations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import * as schema from '../../drizzle/schema.js';
import type { Config } from '../config.js';
import { ConnectionGate, type PoolStats } from './connection-gate.js';
import { observeStatement } from './sql-counter.js';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  readonly db: Db;
  /** The counting, gated pool; raw statements sent through it are counted and bounded too. */
  readonly pool: mysql.Pool;
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

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle/migrations', import.meta.url));

/** How the server cuts off a long statement: MariaDB and MySQL name the setting differently. */
export interface StatementTimeout {
  readonly server: 'mariadb' | 'mysql';
  /** The statement run on each new connection. */
  readonly sql: string;
  readonly milliseconds: number;
}

/** A statement the client gave up on (the server did not answer in time); the connection was destroyed. */
export class StatementClientTimeoutError extends Error {
  readonly code = 'STATEMENT_CLIENT_TIMEOUT';
  constructor(milliseconds: number) {
    super(`MySQL did not answer a statement within ${milliseconds} ms; the connection was dropped.`);
    this.name = 'StatementClientTimeoutError';
  }
}

type Statement = (query: unknown, params?: unknown, ...rest: unknown[]) => Promise<unknown>;

interface Limits {
  readonly gate: ConnectionGate;
  /** Client-side give-up time per statement (0: none). */
  readonly clientTimeoutMs: number;
}

/** Runs one statement on `connection`, destroying the connection when the server does not answer in time. */
function runStatement(
  connection: mysql.PoolConnection,
  method: Statement,
  limits: Limits,
  args: [unknown, unknown, ...unknown[]],
): Promise<unknown> {
  const [query, params] = args;
  return observeStatement(query, params, () => {
    const running = method.apply(connection, args);
    if (limits.clientTimeoutMs === 0) return running;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        connection.destroy();
        reject(new StatementClientTimeoutError(limits.clientTimeoutMs));
      }, limits.clientTimeoutMs);
    });
    running.catch(() => undefined);
    return Promise.race([running, expired]).finally(() => clearTimeout(timer));
  });
}

const STATEMENT_METHODS = new Set<PropertyKey>(['query', 'execute']);

/** A connection taken from the gate: its statements are counted and timed, and releasing it frees the gate. */
function gatedConnection(connection: mysql.PoolConnection, limits: Limits, release: () => void): mysql.PoolConnection {
  return new Proxy(connection, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (STATEMENT_METHODS.has(property)) {
        return (...args: [unknown, unknown, ...unknown[]]) => runStatement(object, value as Statement, limits, args);
      }
      if (property === 'release' || property === 'destroy') {
        return (...args: unknown[]) => {
          release();
          return (value as (...a: unknown[]) => unknown).apply(object, args);
        };
      }
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
}

/**
 * Wraps the pool so every statement passes the gate (bounded wait), is counted
 * (src/db/sql-counter.ts) and timed out on the client side, and connections
 * taken for transactions hold a gate slot until released.
 */
function gatedPool(pool: mysql.Pool, limits: Limits): mysql.Pool {
  const take = async (): Promise<mysql.PoolConnection> => {
    const release = await limits.gate.acquire();
    try {
      return gatedConnection(await pool.getConnection(), limits, release);
    } catch (error) {
      release();
      throw error;
    }
  };
  return new Proxy(pool, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (STATEMENT_METHODS.has(property)) {
        return async (...args: [unknown, unknown, ...unknown[]]) => {
          const connection = await take();
          try {
            return await (connection[property as 'query'] as Statement)(...args);
          } finally {
            connection.release();
          }
        };
      }
      if (property === 'getConnection') return take;
      return (value as (...a: unknown[]) => unknown).bind(object);
    },
  });
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
  /** DB_STATEMENT_TIMEOUT_MS (default 0: none): server-side cut-off per statement; the client gives up 1 s later. */
  readonly statementTimeoutMs?: number;
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
  };
}

/** Margin between the server's statement timeout and the client's: the server's error is the clearer one. */
const CLIENT_TIMEOUT_MARGIN_MS = 1000;

/** MariaDB's max_statement_time (seconds, every statement) or MySQL's max_execution_time (ms, SELECTs). */
function statementTimeoutFor(version: string, milliseconds: number): StatementTimeout {
  return /mariadb/i.test(version)
    ? { server: 'mariadb', milliseconds, sql: `SET SESSION max_statement_time = ${milliseconds / 1000}` }
    : { server: 'mysql', milliseconds, sql: `SET SESSION max_execution_time = ${milliseconds}` };
}

export async function connectDatabase(url: string, options: ConnectOptions): Promise<Database> {
  const version =
    options.createIfMissing === false ? await serverVersion(url, options.connectTimeoutMs) : await ensureDatabase(url, options.connectTimeoutMs);
  const poolConfig = (connectionLimit: number): mysql.PoolOptions => ({
    uri: url,
    connectionLimit,
    connectTimeout: options.connectTimeoutMs ?? 2000,
    // Timestamps are exchanged as UTC strings by drizzle; keep mysql2 out of it.
    timezone: 'Z',
    supportBigNumbers: true,
    charset: 'utf8mb4_unicode_ci',
    enableKeepAlive: true,
  });
  const rawPool = mysql.createPool(poolConfig(options.poolSize));
  let probePool: mysql.Pool | null = null;
  const statementTimeoutMs = options.statementTimeoutMs ?? 0;
  const gate = new ConnectionGate({
    size: options.poolSize,
    queueLimit: options.queueLimit ?? 100,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 2000,
  });
  const limits: Limits = {
    gate,
    clientTimeoutMs: statementTimeoutMs > 0 ? statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS : 0,
  };
  const pool = gatedPool(rawPool, limits);
  let statementTimeout: StatementTimeout | null = null;
  if (statementTimeoutMs > 0) {
    statementTimeout = statementTimeoutFor(version, statementTimeoutMs);
    const setting = statementTimeout.sql;
    // Queued on the new connection before mysql2 hands it out, so it precedes the connection's first statement.
    rawPool.pool.on('connection', (connection) => {
      connection.query(setting, () => undefined);
    });
  }
  const db = drizzle({ client: pool, schema, mode: 'default' });
  return {
    db,
    pool,
    databaseName: databaseNameOf(url),
    poolStats: () => gate.stats(),
    probe: async (sql) => {
      probePool ??= mysql.createPool(poolConfig(1));
      const [rows] = await probePool.query(sql);
      return rows as unknown[];
    },
    statementTimeout,
    close: async () => {
      gate.close();
      await Promise.all([rawPool.end(), probePool?.end()]);
    },
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
