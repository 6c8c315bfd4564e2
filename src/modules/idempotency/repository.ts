/** SQL for idempotency keys when Redis is off (table idempotency_keys). */
import { and, eq, lt } from 'drizzle-orm';
import { idempotencyKeys } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';
import { affectedRows } from '../patient/repository.js';

export interface StoredIdempotencyKey {
  readonly fingerprint: string;
  readonly status: 'running' | 'done';
  readonly response: string | null;
}

export function idempotencyRepository(db: Executor) {
  const byKey = (scope: string, key: string) =>
    and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.idempotencyKey, key));
  return {
    /** Inserts a running claim unless the key exists; true when this call claimed it. */
    async insertClaim(scope: string, key: string, fingerprint: string, expiresAt: Date): Promise<boolean> {
      const result = await db
        .insert(idempotencyKeys)
        .ignore()
        .values({ scope, idempotencyKey: key, fingerprint, status: 'running', response: null, expiresAt });
      return affectedRows(result) === 1;
    },

    /** Takes over an expired key; true when it was expired and is now this call's claim. */
    async reclaimExpired(scope: string, key: string, fingerprint: string, now: Date, expiresAt: Date): Promise<boolean> {
      const result = await db
        .update(idempotencyKeys)
        .set({ fingerprint, status: 'running', response: null, expiresAt })
        .where(and(byKey(scope, key), lt(idempotencyKeys.expiresAt, now)));
      return affectedRows(result) === 1;
    },

    async find(scope: string, key: string): Promise<StoredIdempotencyKey | null> {
      const [row] = await db
        .select({
          fingerprint: idempotencyKeys.fingerprint,
          status: idempotencyKeys.status,
          response: idempotencyKeys.response,
        })
        .from(idempotencyKeys)
        .where(byKey(scope, key));
      return row ?? null;
    },

    async complete(scope: string, key: string, response: string, expiresAt: Date): Promise<void> {
      await db.update(idempotencyKeys).set({ status: 'done', response, expiresAt }).where(byKey(scope, key));
    },

    async release(scope: string, key: string): Promise<void> {
      await db.delete(idempotencyKeys).where(byKey(scope, key));
    },
  };
}
