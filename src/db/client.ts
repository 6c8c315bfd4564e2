/**
 * The MySQL connection of the gateway: a mysql2 pool wrapped so every statement
 * is counted (src/db/sql-counter.ts), the drizzle instance over it, database
 * creation and migrations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import mysql from 'mysql2/promise';
import * as schema from '../../drizzle/schema.js';
import { recordStatement } from './sql-counter.js';

export type Db = MySql2Database<typeof schema>;

export interface Database {
  readonly db: Db;
  /** The counting pool; raw statements sent through it are counted too. */
  readonly pool: mysql.Pool;
  readonly databaseName: string;
  close(): Promise<void>;
}

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../drizzle/migrations', import.meta.url));

const COUNTED_METHODS = new Set<PropertyKey>(['query', 'execute']);

/** Wraps a pool or connection so `query`/`execute` are counted and connections taken from it are too. */
function counting<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property) {
      const value: unknown = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      if (COUNTED_METHODS.has(property)) {
        return (query: unknown, params?: unknown, ...rest: unknown[]) => {
          recordStatement(query, params);
          return (value as (...args: unknown[]) => unknown).call(object, query, params, ...rest);
        };
      }
      if (property === 'getConnection') {
        return async () => counting(await (value as () => Promise<object>).call(object));
      }
      return (value as (...args: unknown[]) => unknown).bind(object);
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

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  const server = new URL(url);
  server.pathname = '/';
  const connection = await mysql.createConnection({ uri: server.toString() });
  try {
    await connection.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await connection.end();
  }
}

export interface ConnectOptions {
  readonly poolSize: number;
}

export async function connectDatabase(url: string, options: ConnectOptions): Promise<Database> {
  await ensureDatabase(url);
  const rawPool = mysql.createPool({
    uri: url,
    connectionLimit: options.poolSize,
    // Timestamps are exchanged as UTC strings by drizzle; keep mysql2 out of it.
    timezone: 'Z',
    supportBigNumbers: true,
    charset: 'utf8mb4_unicode_ci',
  });
  const pool = counting(rawPool);
  const db = drizzle({ client: pool, schema, mode: 'default' });
  return {
    db,
    pool,
    databaseName: databaseNameOf(url),
    close: () => rawPool.end(),
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
  const [rows] = await database.pool.query('SELECT MAX(created_at) AS newest FROM __drizzle_migrations');
  const newest = Number((rows as { newest: number | string | null }[])[0]?.newest ?? 0);
  return newest >= newestShippedMigration();
}
