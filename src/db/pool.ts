/**
 * InstrumentedPool: the one wrapper around a mysql2 pool. Every statement
 * the gateway sends passes through `send`, which
 * - waits for a connection through the bounded gate (DB_POOL_SIZE held,
 *   DB_POOL_QUEUE_LIMIT waiting, each at most DB_ACQUIRE_TIMEOUT_MS;
 *   src/db/connection-gate.ts),
 * - counts it, process-wide and in the caller's trace (src/db/sql-counter.ts),
 * - gives up on it DB_CLIENT_TIMEOUT_MARGIN_MS after the server's statement
 *   timeout should have cut it off (a dead network), destroying the connection,
 * - and uses mysql2's callback API, which captures no stack per statement
 *   (its promise wrapper does, on every call).
 *
 * Reads use `rows` (DATE and DATETIME as the strings MySQL sends: no Date is
 * built for a value that leaves as text). Writes go through drizzle, which
 * gets a mysql2/promise-shaped client (`client(trace)`): `query`, `execute`
 * and `getConnection` for transactions, all counted into that trace.
 *
 * Example:
 *   const pool = new InstrumentedPool(url, { size: 10, queueLimit: 100, acquireTimeoutMs: 2000 });
 *   const trace = newSqlTrace();
 *   await pool.rows('SELECT id FROM patients WHERE id IN (?)', [[1, 2]], trace); // [{ id: 1 }, { id: 2 }]
 *   trace.count // 1
 */
import mysql from 'mysql2';
import type { FieldPacket, Pool as PromisePool, PoolConnection as PromiseConnection } from 'mysql2/promise';
import { ConnectionGate, type PoolStats } from './connection-gate.js';
import { observeStatement, type SqlTrace } from './sql-counter.js';

export interface InstrumentedPoolOptions {
  /** DB_POOL_SIZE: connections held at most. */
  readonly size: number;
  /** DB_POOL_QUEUE_LIMIT (default 100): callers that may wait for a connection. */
  readonly queueLimit?: number;
  /** DB_ACQUIRE_TIMEOUT_MS (default 2000): how long a caller waits for a connection. */
  readonly acquireTimeoutMs?: number;
  /** DB_CONNECT_TIMEOUT_MS (default 2000): how long opening a connection may take. */
  readonly connectTimeoutMs?: number;
  /** Run on every new connection before its first statement (the server-side statement timeout). */
  readonly onConnect?: string;
  /** Client-side give-up per statement in ms (0: none). */
  readonly clientTimeoutMs?: number;
}

/** A statement the client gave up on (the server did not answer in time); the connection was destroyed. */
export class StatementClientTimeoutError extends Error {
  readonly code = 'STATEMENT_CLIENT_TIMEOUT';
  constructor(milliseconds: number) {
    super(`MySQL did not answer a statement within ${milliseconds} ms; the connection was dropped.`);
    this.name = 'StatementClientTimeoutError';
  }
}

type Statement = string | (mysql.QueryOptions & { sql: string });
type Result = [unknown, FieldPacket[] | undefined];

/** A connection taken from the gate; `free` returns it (and its gate slot) exactly once. */
interface Held {
  readonly connection: mysql.PoolConnection;
  free(destroy?: boolean): void;
}

export class InstrumentedPool {
  private readonly core: mysql.Pool;
  private readonly gate: ConnectionGate;
  private readonly clientTimeoutMs: number;
  private closed: Promise<void> | null = null;

  private readonly poolOptions: (connectionLimit: number) => mysql.PoolOptions;

  constructor(url: string, options: InstrumentedPoolOptions) {
    this.poolOptions = (connectionLimit) => ({
      uri: url,
      connectionLimit,
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // Timestamps are UTC on both sides.
      timezone: 'Z',
      supportBigNumbers: true,
      charset: 'utf8mb4_unicode_ci',
      enableKeepAlive: true,
    });
    this.core = mysql.createPool(this.poolOptions(options.size));
    if (options.onConnect) {
      const setting = options.onConnect;
      // Queued on the new connection before mysql2 hands it out, so it precedes the connection's first statement.
      this.core.on('connection', (connection) => connection.query(setting, () => undefined));
    }
    this.gate = new ConnectionGate({
      size: options.size,
      queueLimit: options.queueLimit ?? 100,
      acquireTimeoutMs: options.acquireTimeoutMs ?? 2000,
    });
    this.clientTimeoutMs = options.clientTimeoutMs ?? 0;
  }

  /** Connections in use and callers waiting (for /metrics). */
  stats(): PoolStats {
    return this.gate.stats();
  }

  /** The rows of one read statement, DATE/DATETIME as MySQL's text; counted into `trace`. */
  async rows<T>(sql: string, params: readonly unknown[], trace: SqlTrace | null): Promise<T[]> {
    const held = await this.take();
    try {
      const [rows] = await this.send(held, { sql, dateStrings: true }, params, trace);
      return rows as T[];
    } finally {
      held.free();
    }
  }

  /** A mysql2/promise-shaped client whose statements count into `trace` (drizzle, tests, the seed). */
  client(trace: SqlTrace | null): PromisePool {
    const statement = async (query: Statement, params?: unknown): Promise<Result> => {
      const held = await this.take();
      try {
        return await this.send(held, query, params, trace);
      } finally {
        held.free();
      }
    };
    const client = {
      query: statement,
      execute: statement,
      getConnection: async () => this.connectionClient(await this.take(), trace),
      // The facade's end is the owner's: `close()` ends the pool.
      end: async () => undefined,
    };
    return client as unknown as PromisePool;
  }

  /** Runs `sql` on a connection of its own, outside the gate and the counters (readiness, replica health). */
  async probe(sql: string): Promise<unknown[]> {
    this.probeConnection ??= mysql.createPool(this.poolOptions(1));
    const probe = this.probeConnection;
    return new Promise((resolve, reject) => probe.query(sql, (error, rows) => (error ? reject(error) : resolve(rows as unknown[]))));
  }

  private probeConnection: mysql.Pool | null = null;

  /** Refuses new statements and waiters, then ends the connections. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.gate.close();
      const end = (pool: mysql.Pool | null) => (pool ? new Promise<void>((resolve) => pool.end(() => resolve())) : Promise.resolve());
      await Promise.all([end(this.core), end(this.probeConnection)]);
    })();
    return this.closed;
  }

  private async take(): Promise<Held> {
    const release = await this.gate.acquire();
    const connection = await new Promise<mysql.PoolConnection>((resolve, reject) =>
      this.core.getConnection((error, taken) => (error ? reject(error) : resolve(taken))),
    ).catch((error: unknown) => {
      release();
      throw error;
    });
    let freed = false;
    return {
      connection,
      free: (destroy = false) => {
        if (freed) return;
        freed = true;
        if (destroy) connection.destroy();
        else connection.release();
        release();
      },
    };
  }

  /** One statement on a held connection: counted, bounded by the client timeout. */
  private send(held: Held, query: Statement, params: unknown, trace: SqlTrace | null): Promise<Result> {
    return observeStatement(
      query,
      params,
      trace,
      () =>
        new Promise<Result>((resolve, reject) => {
          let timer: NodeJS.Timeout | undefined;
          let settled = false;
          if (this.clientTimeoutMs > 0) {
            timer = setTimeout(() => {
              settled = true;
              held.free(true);
              reject(new StatementClientTimeoutError(this.clientTimeoutMs));
            }, this.clientTimeoutMs);
          }
          held.connection.query(query as mysql.QueryOptions, params as unknown[] | undefined, (error, rows, fields) => {
            if (settled) return;
            settled = true;
            if (timer) clearTimeout(timer);
            if (error) reject(error);
            else resolve([rows, fields as FieldPacket[] | undefined]);
          });
        }),
    );
  }

  /** A held connection with the mysql2/promise connection shape (drizzle's transactions, tests). */
  private connectionClient(held: Held, trace: SqlTrace | null): PromiseConnection {
    const statement = (query: Statement, params?: unknown) => this.send(held, query, params, trace);
    const client = {
      query: statement,
      execute: statement,
      beginTransaction: () => statement('BEGIN'),
      commit: () => statement('COMMIT'),
      rollback: () => statement('ROLLBACK'),
      release: () => held.free(),
      destroy: () => held.free(true),
      connection: held.connection,
    };
    return client as unknown as PromiseConnection;
  }
}
