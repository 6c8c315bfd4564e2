/**
 * SQL for events. Reads (`eventReads`, the loaders' path, SQL text rendered
 * once: src/db/sql.ts): the keyset-paginated event list and its count (by id:
 * src/modules/by-id.ts).
 * Writes (`eventRepository`, drizzle): insert with slots, delete with
 * children, existence in a transaction.
 */
import { eq } from 'drizzle-orm';
import { events, schedules, selections } from '../../../drizzle/schema.js';
import { affectedRows } from '../patient/repository.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, tableOf, toReadRow, type ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type EventRow = ReadRow<typeof events.$inferSelect>;
export type NewEvent = Pick<typeof events.$inferSelect, 'title' | 'description' | 'organizerId'>;
export type NewSlot = { date: string; day: (typeof schedules.$inferInsert)['day']; time: string };

const EVENTS = tableOf(events);
const EVENT_COLUMNS = columnsOf(events);
const ID = column(events.id);
const CREATED_AT = column(events.createdAt);
const AFTER = afterCreatedAt(CREATED_AT, ID);
const FIRST_PAGE = `select ${EVENT_COLUMNS} from ${EVENTS} order by ${CREATED_AT} desc, ${ID} desc limit ?`;
const PAGE_AFTER = `select ${EVENT_COLUMNS} from ${EVENTS} where ${AFTER.sql} order by ${CREATED_AT} desc, ${ID} desc limit ?`;
const COUNT = `select count(*) as \`total\` from ${EVENTS}`;

/** The loaders' reads of events. */
export function eventReads(db: Reads) {
  return {
    /** Up to `limit` events newest first, strictly after `after`. */
    page(after: CreatedAtPosition | null, limit: number): Promise<EventRow[]> {
      return after ? db.rows<EventRow>(PAGE_AFTER, [...AFTER.params(after), limit]) : db.rows<EventRow>(FIRST_PAGE, [limit]);
    },

    async count(): Promise<number> {
      const [row] = await db.rows<{ total: number }>(COUNT, []);
      return Number(row?.total ?? 0);
    },
  };
}

/** A mutation's writes (and locking reads) of events, in its transaction. */
export function eventRepository(db: Executor) {
  return {
    /** Inserts the event and all its slots: two statements (the slots in one multi-row insert). */
    async insertWithSlots(values: NewEvent, slots: readonly NewSlot[], now: Date): Promise<EventRow> {
      const [result] = await db.insert(events).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      const eventId = result.insertId;
      await db.insert(schedules).values(slots.map((slot) => ({ ...slot, eventId })));
      return toReadRow({ ...values, id: eventId, createdAt: now, updatedAt: now, version: 1 });
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
  };
}

export type EventRepository = ReturnType<typeof eventRepository>;
