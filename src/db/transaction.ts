/**
 * Transactions for writes: one place that runs a unit of work in a MySQL
 * transaction, rolls it back fully on any error, and retries it (up to
 * `attempts` times in all) when MySQL picked it as a deadlock victim or it
 * waited too long for a lock. Past the last attempt, or when the connection
 * is lost mid-way, the caller gets SERVICE_UNAVAILABLE; nothing is half-written
 * because MySQL rolls back a transaction whose connection dies. A foreign key
 * that refuses the write (a concurrent change deleted what it refers to) is
 * NOT_FOUND, or CONFLICT when what it deletes gained a reference.
 *
 * Example:
 *   const id = await inTransaction(db, async (tx) => {
 *     const eventId = await eventRepository(tx).insert(...);
 *     await scheduleRepository(tx).insertMany(eventId, slots);
 *     return eventId;
 *   });
 */
import type { GraphQLError } from 'graphql';
import { gatewayError } from '../errors.js';
import type { Db } from './client.js';

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
/** A drizzle handle that is either the pool or an open transaction: repositories accept both. */
export type Executor = Db | Tx;

/** MySQL error numbers of a transaction that may succeed when run again. */
const RETRYABLE = new Set([1213 /* ER_LOCK_DEADLOCK */, 1205 /* ER_LOCK_WAIT_TIMEOUT */]);

/** Errors meaning MySQL is gone or the statement was cut off, not that the request was wrong. */
const UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_CON_COUNT_ERROR',
  'POOL_CLOSED',
  'EHOSTUNREACH',
  'ENOTFOUND',
  // src/db/connection-gate.ts: the pool is saturated past its bounds.
  'POOL_QUEUE_FULL',
  'POOL_ACQUIRE_TIMEOUT',
  // src/db/client.ts: the client gave up on a statement the server did not answer.
  'STATEMENT_CLIENT_TIMEOUT',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** MySQL error numbers of a statement the server cut off or a connection it dropped. */
const UNAVAILABLE_ERRNOS = new Set([
  1317 /* ER_QUERY_INTERRUPTED */,
  1927 /* ER_CONNECTION_KILLED (MariaDB) */,
  1969 /* ER_STATEMENT_TIMEOUT (MariaDB max_statement_time) */,
  3024 /* ER_QUERY_TIMEOUT (MySQL max_execution_time) */,
]);

/** The mysql2 error under drizzle's wrapper (drizzle puts the driver error in `cause`). */
export function driverError(error: unknown): { errno?: number; code?: string; fatal?: boolean; message?: string } | null {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth += 1) {
    const candidate = current as { errno?: unknown; code?: unknown; fatal?: unknown; cause?: unknown };
    if (
      typeof candidate.errno === 'number' ||
      (typeof candidate.code === 'string' && UNAVAILABLE_CODES.has(candidate.code)) ||
      candidate.fatal === true
    ) {
      return candidate as { errno?: number; code?: string; fatal?: boolean };
    }
    current = candidate.cause;
  }
  return null;
}

export function isRetryable(error: unknown): boolean {
  const errno = driverError(error)?.errno;
  return errno !== undefined && RETRYABLE.has(errno);
}

/** True when the error says MySQL could not be reached or the statement was killed. */
export function isUnavailable(error: unknown): boolean {
  const driver = driverError(error);
  return (
    driver !== null &&
    (UNAVAILABLE_CODES.has(driver.code ?? '') || UNAVAILABLE_ERRNOS.has(driver.errno ?? 0) || driver.fatal === true)
  );
}

/** MySQL error numbers of a foreign key that failed: 1452, a referenced row is missing; 1451, a row is still referenced. */
const ER_NO_REFERENCED_ROW = 1452;
const ER_ROW_IS_REFERENCED = 1451;

/**
 * The client's error for a write that a foreign key refused, or null for any other error. It happens
 * when a concurrent change removed (or added) a row between a mutation's checks and its write, e.g.
 * `setSelections` while the event is deleted: the row it names is gone (NOT_FOUND), or another
 * change now refers to the row it deletes (CONFLICT). Either way nothing was written.
 */
export function referentialError(error: unknown): GraphQLError | null {
  const errno = driverError(error)?.errno;
  if (errno === ER_NO_REFERENCED_ROW) {
    return gatewayError('NOT_FOUND', 'An object this change refers to does not exist (it may have been deleted meanwhile); nothing was written.');
  }
  if (errno === ER_ROW_IS_REFERENCED) {
    return gatewayError('CONFLICT', 'Another change refers to an object this change removes; nothing was written. Retry.');
  }
  return null;
}

export async function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    let workError: unknown;
    try {
      return await db.transaction(async (tx) => {
        try {
          return await work(tx);
        } catch (error) {
          workError = error;
          throw error;
        }
      });
    } catch (caught) {
      // On a dead connection drizzle's ROLLBACK fails too; its error must not hide why the work failed.
      const error = workError ?? caught;
      if (isRetryable(error) && attempt < attempts) continue;
      if (isRetryable(error) || isUnavailable(error)) {
        throw gatewayError('SERVICE_UNAVAILABLE', 'The database could not complete the change; nothing was written. Retry later.', {
          attempts: attempt,
        });
      }
      throw referentialError(error) ?? error;
    }
  }
}
