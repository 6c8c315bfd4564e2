/** SQL for events: by id, the keyset-paginated event list and its count. */
import { count, desc, eq, inArray } from 'drizzle-orm';
import { events, schedules, selections } from '../../../drizzle/schema.js';
import { affectedRows } from '../patient/repository.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type EventRow = typeof events.$inferSelect;
export type NewEvent = Pick<EventRow, 'title' | 'description' | 'organizerId'>;
export type NewSlot = { date: string; day: (typeof schedules.$inferInsert)['day']; time: string };

export function eventRepository(db: Executor) {
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

    /** Inserts the event and all its slots: two statements (the slots in one multi-row insert). */
    async insertWithSlots(values: NewEvent, slots: readonly NewSlot[], now: Date): Promise<EventRow> {
      const [result] = await db.insert(events).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      const eventId = result.insertId;
      await db.insert(schedules).values(slots.map((slot) => ({ ...slot, eventId })));
      return { ...values, id: eventId, createdAt: now, updatedAt: now, version: 1 };
    },

    /**
     * Deletes the event's selections, schedules and the event: five
     * statements, whatever the children. Returns its slots and participants
     * (for cache invalidation), or null when the event did not exist. Run in a
     * transaction: the reads lock what they return.
     */
    async deleteWithChildren(id: number): Promise<{ scheduleIds: number[]; patientIds: number[] } | null> {
      const slots = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.eventId, id)).for('update');
      const pickers = await db
        .select({ patientId: selections.patientId })
        .from(selections)
        .where(eq(selections.eventId, id))
        .for('update');
      await db.delete(selections).where(eq(selections.eventId, id));
      await db.delete(schedules).where(eq(schedules.eventId, id));
      if (affectedRows(await db.delete(events).where(eq(events.id, id))) !== 1) return null;
      return { scheduleIds: slots.map((row) => row.id), patientIds: [...new Set(pickers.map((row) => row.patientId))] };
    },

    async exists(id: number): Promise<boolean> {
      const rows = await db.select({ id: events.id }).from(events).where(eq(events.id, id));
      return rows.length === 1;
    },

    async count(): Promise<number> {
      const [row] = await db.select({ total: count() }).from(events);
      return row?.total ?? 0;
    },
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;
