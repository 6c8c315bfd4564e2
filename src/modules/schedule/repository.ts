/** SQL for schedules (time slots): by id and every slot of many events in one statement. */
import { and, asc, eq, inArray, type SQL } from 'drizzle-orm';
import { schedules } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';

export type ScheduleRow = typeof schedules.$inferSelect;

export function scheduleRepository(db: Executor) {
  return {
    findByIds(ids: readonly number[]): Promise<ScheduleRow[]> {
      return db
        .select()
        .from(schedules)
        .where(inArray(schedules.id, [...ids]));
    },

    /** Which of the given schedule ids exist, with their event. */
    eventsOf(ids: readonly number[]): Promise<{ id: number; eventId: number }[]> {
      return db
        .select({ id: schedules.id, eventId: schedules.eventId })
        .from(schedules)
        .where(inArray(schedules.id, [...ids]));
    },

    /** The slots of each event, optionally of one date, ordered by event, date, time. */
    byEvents(eventIds: readonly number[], date: string | null): Promise<ScheduleRow[]> {
      const conditions: SQL[] = [inArray(schedules.eventId, [...eventIds])];
      if (date) conditions.push(eq(schedules.date, date));
      return db
        .select()
        .from(schedules)
        .where(and(...conditions))
        .orderBy(asc(schedules.eventId), asc(schedules.date), asc(schedules.time));
    },
  };
}

export type ScheduleRepository = ReturnType<typeof scheduleRepository>;
