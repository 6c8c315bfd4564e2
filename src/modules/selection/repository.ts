/**
 * SQL for selections (a patient's pick of a slot). Reads (`selectionReads`,
 * the loaders' path, SQL text rendered once: src/db/sql.ts; by id:
 * src/modules/by-id.ts): per schedule, per patient, counts, and the per-event participant pages
 * (distinct patients, ROW_NUMBER per event over the grouped rows, one
 * statement for all events). Writes (`selectionRepository`, drizzle): a
 * patient's picks in one event replaced.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { schedules, selections } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, tableOf, type ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';

export type SelectionRow = ReadRow<typeof selections.$inferSelect>;

const SELECTIONS = tableOf(selections);
const SELECTION_COLUMNS = columnsOf(selections);
const ID = column(selections.id);
const PATIENT_ID = column(selections.patientId);
const SCHEDULE_ID = column(selections.scheduleId);
const EVENT_ID = column(selections.eventId);
const BY_SCHEDULES = `select ${SELECTION_COLUMNS} from ${SELECTIONS} where ${SCHEDULE_ID} in (?) order by ${SCHEDULE_ID}, ${ID}`;
const BY_PATIENTS =
  `select ${SELECTION_COLUMNS} from ${SELECTIONS} inner join ${tableOf(schedules)} on ${column(schedules.id)} = ${SCHEDULE_ID} ` +
  `where ${PATIENT_ID} in (?) %EVENT% order by ${PATIENT_ID}, ${column(schedules.date)}, ${column(schedules.time)}, ${ID}`;
const BY_PATIENTS_ALL = BY_PATIENTS.replace('%EVENT%', '');
const BY_PATIENTS_IN_EVENT = BY_PATIENTS.replace('%EVENT%', `and ${EVENT_ID} = ?`);
const COUNTS_BY_SCHEDULE = `select ${SCHEDULE_ID} as \`scheduleId\`, count(*) as \`total\` from ${SELECTIONS} where ${SCHEDULE_ID} in (?) group by ${SCHEDULE_ID}`;
const PARTICIPANT_COUNTS = `select ${EVENT_ID} as \`eventId\`, count(distinct ${PATIENT_ID}) as \`total\` from ${SELECTIONS} where ${EVENT_ID} in (?) group by ${EVENT_ID}`;

/** The loaders' reads of selections. */
export function selectionReads(db: Reads) {
  return {
    /** The selections of each schedule, ordered by schedule, then selection id. */
    bySchedules(scheduleIds: readonly number[]): Promise<SelectionRow[]> {
      return db.rows<SelectionRow>(BY_SCHEDULES, [scheduleIds]);
    },

    /** The selections of each patient (optionally in one event), ordered by the slot's date and time. */
    byPatients(patientIds: readonly number[], eventId: number | null): Promise<SelectionRow[]> {
      return eventId == null ? db.rows<SelectionRow>(BY_PATIENTS_ALL, [patientIds]) : db.rows<SelectionRow>(BY_PATIENTS_IN_EVENT, [patientIds, eventId]);
    },

    countsBySchedule(scheduleIds: readonly number[]): Promise<{ scheduleId: number; total: number }[]> {
      return db.rows(COUNTS_BY_SCHEDULE, [scheduleIds]);
    },

    /** Distinct participants per event (patients with at least one selection there). */
    participantCounts(eventIds: readonly number[]): Promise<{ eventId: number; total: number }[]> {
      return db.rows(PARTICIPANT_COUNTS, [eventIds]);
    },

    /**
     * For each event, up to `limit` participant patient ids in ascending order,
     * strictly after `afterPatientId`, in one statement.
     */
    participantPages(
      eventIds: readonly number[],
      options: { afterPatientId: number | null; onlyPatientId: number | null; limit: number },
    ): Promise<{ eventId: number; patientId: number }[]> {
      const conditions = [`${EVENT_ID} in (?)`];
      const params: unknown[] = [eventIds];
      if (options.afterPatientId != null) {
        conditions.push(`${PATIENT_ID} > ?`);
        params.push(options.afterPatientId);
      }
      if (options.onlyPatientId != null) {
        conditions.push(`${PATIENT_ID} = ?`);
        params.push(options.onlyPatientId);
      }
      // Window functions run after GROUP BY, so this ranks distinct (event, patient) pairs.
      return db.rows(
        `select \`eventId\`, \`patientId\` from (select ${EVENT_ID} as \`eventId\`, ${PATIENT_ID} as \`patientId\`, ` +
          `ROW_NUMBER() OVER (partition by ${EVENT_ID} order by ${PATIENT_ID}) as \`rowNumber\` from ${SELECTIONS} ` +
          `where ${conditions.join(' and ')} group by ${EVENT_ID}, ${PATIENT_ID}) as \`ranked\` where \`rowNumber\` <= ? order by \`eventId\`, \`patientId\``,
        [...params, options.limit],
      );
    },
  };
}

/** A mutation's writes (and reads) of selections, in its transaction. */
export function selectionRepository(db: Executor) {
  return {
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

  };
}

export type SelectionRepository = ReturnType<typeof selectionRepository>;
