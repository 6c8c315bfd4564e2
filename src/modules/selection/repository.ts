/**
 * SQL for selections (a patient's pick of a slot): by id, per schedule, per
 * patient, counts, and the per-event participant pages (distinct patients,
 * ROW_NUMBER per event over the grouped rows, one statement for all events).
 */
import { and, asc, count, countDistinct, eq, getTableColumns, gt, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { schedules, selections } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';

export type SelectionRow = typeof selections.$inferSelect;

export function selectionRepository(db: Executor) {
  return {
    findByIds(ids: readonly number[]): Promise<SelectionRow[]> {
      return db
        .select()
        .from(selections)
        .where(inArray(selections.id, [...ids]));
    },

    /** The selections of each schedule, ordered by schedule, then selection id. */
    bySchedules(scheduleIds: readonly number[]): Promise<SelectionRow[]> {
      return db
        .select()
        .from(selections)
        .where(inArray(selections.scheduleId, [...scheduleIds]))
        .orderBy(asc(selections.scheduleId), asc(selections.id));
    },

    /** The selections of each patient (optionally in one event), ordered by the slot's date and time. */
    byPatients(patientIds: readonly number[], eventId: number | null): Promise<SelectionRow[]> {
      const conditions: SQL[] = [inArray(selections.patientId, [...patientIds])];
      if (eventId != null) conditions.push(eq(selections.eventId, eventId));
      return db
        .select(getTableColumns(selections))
        .from(selections)
        .innerJoin(schedules, eq(schedules.id, selections.scheduleId))
        .where(and(...conditions))
        .orderBy(asc(selections.patientId), asc(schedules.date), asc(schedules.time), asc(selections.id));
    },

    /** A patient's selections in one event (id and slot), for replacing them. */
    ofPatientInEvent(patientId: number, eventId: number): Promise<{ id: number; scheduleId: number }[]> {
      return db
        .select({ id: selections.id, scheduleId: selections.scheduleId })
        .from(selections)
        .where(and(eq(selections.patientId, patientId), eq(selections.eventId, eventId)));
    },

    async deleteByIds(ids: readonly number[]): Promise<void> {
      await db.delete(selections).where(inArray(selections.id, [...ids]));
    },

    /** One multi-row insert of a patient's new picks in one event. */
    async insertMany(patientId: number, eventId: number, scheduleIds: readonly number[], now: Date): Promise<void> {
      await db
        .insert(selections)
        .values(scheduleIds.map((scheduleId) => ({ patientId, eventId, scheduleId, createdAt: now })));
    },

    countsBySchedule(scheduleIds: readonly number[]): Promise<{ scheduleId: number; total: number }[]> {
      return db
        .select({ scheduleId: selections.scheduleId, total: count() })
        .from(selections)
        .where(inArray(selections.scheduleId, [...scheduleIds]))
        .groupBy(selections.scheduleId);
    },

    /** Distinct participants per event (patients with at least one selection there). */
    participantCounts(eventIds: readonly number[]): Promise<{ eventId: number; total: number }[]> {
      return db
        .select({ eventId: selections.eventId, total: countDistinct(selections.patientId) })
        .from(selections)
        .where(inArray(selections.eventId, [...eventIds]))
        .groupBy(selections.eventId);
    },

    /**
     * For each event, up to `limit` participant patient ids in ascending order,
     * strictly after `afterPatientId`, in one statement.
     */
    async participantPages(
      eventIds: readonly number[],
      options: { afterPatientId: number | null; onlyPatientId: number | null; limit: number },
    ): Promise<{ eventId: number; patientId: number }[]> {
      const conditions: SQL[] = [inArray(selections.eventId, [...eventIds])];
      if (options.afterPatientId != null) conditions.push(gt(selections.patientId, options.afterPatientId));
      if (options.onlyPatientId != null) conditions.push(eq(selections.patientId, options.onlyPatientId));
      // Window functions run after GROUP BY, so this ranks distinct (event, patient) pairs.
      const ranked = db
        .select({
          eventId: selections.eventId,
          patientId: selections.patientId,
          rowNumber: sql<number>`row_number() over (partition by ${selections.eventId} order by ${selections.patientId})`.as(
            'row_number',
          ),
        })
        .from(selections)
        .where(and(...conditions))
        .groupBy(selections.eventId, selections.patientId)
        .as('ranked');
      return db
        .select({ eventId: ranked.eventId, patientId: ranked.patientId })
        .from(ranked)
        .where(lte(ranked.rowNumber, options.limit))
        .orderBy(asc(ranked.eventId), asc(ranked.patientId));
    },
  };
}

export type SelectionRepository = ReturnType<typeof selectionRepository>;
