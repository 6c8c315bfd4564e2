/**
 * SQL for schedules (time slots). Reads (`scheduleReads`, the loaders' path,
 * SQL text rendered once: src/db/sql.ts; by id: src/modules/by-id.ts): every slot of many events
 * in one statement. A mutation's check (`scheduleRepository`): which ids exist,
 * with their event.
 */
import { inArray } from 'drizzle-orm';
import { schedules } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, tableOf } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';

export type ScheduleRow = typeof schedules.$inferSelect;

const SCHEDULES = tableOf(schedules);
const SCHEDULE_COLUMNS = columnsOf(schedules);
const EVENT_ID = column(schedules.eventId);
const ORDER = `order by ${EVENT_ID}, ${column(schedules.date)}, ${column(schedules.time)}`;
const BY_EVENTS = `select ${SCHEDULE_COLUMNS} from ${SCHEDULES} where ${EVENT_ID} in (?) ${ORDER}`;
const BY_EVENTS_ON = `select ${SCHEDULE_COLUMNS} from ${SCHEDULES} where ${EVENT_ID} in (?) and ${column(schedules.date)} = ? ${ORDER}`;

/** The loaders' reads of schedules. */
export function scheduleReads(db: Reads) {
  return {
    /** The slots of each event, optionally of one date, ordered by event, date, time. */
    byEvents(eventIds: readonly number[], date: string | null): Promise<ScheduleRow[]> {
      return date ? db.rows<ScheduleRow>(BY_EVENTS_ON, [eventIds, date]) : db.rows<ScheduleRow>(BY_EVENTS, [eventIds]);
    },
  };
}

/** A mutation's reads of schedules, in its transaction. */
export function scheduleRepository(db: Executor) {
  return {
    /** Which of the given schedule ids exist, with their event. */
    eventsOf(ids: readonly number[]): Promise<{ id: number; eventId: number }[]> {
      return db
        .select({ id: schedules.id, eventId: schedules.eventId })
        .from(schedules)
        .where(inArray(schedules.id, [...ids]));
    },
  };
}

export type ScheduleRepository = ReturnType<typeof scheduleRepository>;
