/** SQL for events: by id, the keyset-paginated event list and its count. */
import { count, desc, inArray } from 'drizzle-orm';
import { events } from '../../../drizzle/schema.js';
import type { Db } from '../../db/client.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type EventRow = typeof events.$inferSelect;

export function eventRepository(db: Db) {
  return {
    findByIds(ids: readonly number[]): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(inArray(events.id, [...ids]));
    },

    /** Up to `limit` events newest first, strictly after `after`. */
    page(after: CreatedAtPosition | null, limit: number): Promise<EventRow[]> {
      return db
        .select()
        .from(events)
        .where(after ? afterCreatedAt(events.createdAt, events.id, after) : undefined)
        .orderBy(desc(events.createdAt), desc(events.id))
        .limit(limit);
    },

    async count(): Promise<number> {
      const [row] = await db.select({ total: count() }).from(events);
      return row?.total ?? 0;
    },
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;
