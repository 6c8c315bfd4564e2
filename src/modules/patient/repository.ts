/**
 * SQL for patients. Reads (`patientReads`, the loaders' path): the
 * keyset-paginated patient list and its count (by id: src/modules/by-id.ts),
 * each one statement whatever the number of keys (callers chunk IN-lists through their DataLoader's
 * maxBatchSize), as SQL text rendered once (src/db/sql.ts). Writes
 * (`patientRepository`, drizzle, in the mutation's transaction): insert,
 * versioned update, delete with children, row lock.
 */
import { and, eq, sql } from 'drizzle-orm';
import { medicalRecords, patients, selections } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, tableOf, toReadRow, type ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type PatientRow = ReadRow<typeof patients.$inferSelect>;
type PatientValues = typeof patients.$inferSelect;
export type PatientChanges = Partial<Pick<PatientValues, 'name' | 'email' | 'birthDate' | 'isActive'>>;
export type NewPatient = Pick<PatientValues, 'name' | 'email' | 'birthDate' | 'isActive'>;

/** affectedRows of a mysql2 write result (drizzle returns [ResultSetHeader, fields]). */
export function affectedRows(result: unknown): number {
  return (result as [{ affectedRows: number }])[0].affectedRows;
}

function insertId(result: unknown): number {
  return (result as [{ insertId: number }])[0].insertId;
}

export interface PatientListFilter {
  readonly isActive?: boolean | null;
  readonly nameContains?: string | null;
  readonly bornAfter?: string | null;
  readonly bornBefore?: string | null;
  /** Restricts the list to one patient (a patient viewer sees only themselves). */
  readonly onlyId?: number | null;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

const PATIENTS = tableOf(patients);
const PATIENT_COLUMNS = columnsOf(patients);
const ID = column(patients.id);
const CREATED_AT = column(patients.createdAt);
const AFTER = afterCreatedAt(CREATED_AT, ID);

/** `WHERE` conditions (joined by AND) and their parameters for a list filter. */
function filterConditions(filter: PatientListFilter): { conditions: string[]; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (filter.isActive != null) {
    conditions.push(`${column(patients.isActive)} = ?`);
    params.push(filter.isActive);
  }
  if (filter.nameContains) {
    // The column's collation (utf8mb4_unicode_ci) makes LIKE case-insensitive.
    conditions.push(`${column(patients.name)} like ?`);
    params.push(`%${escapeLike(filter.nameContains)}%`);
  }
  if (filter.bornAfter) {
    conditions.push(`${column(patients.birthDate)} > ?`);
    params.push(filter.bornAfter);
  }
  if (filter.bornBefore) {
    conditions.push(`${column(patients.birthDate)} < ?`);
    params.push(filter.bornBefore);
  }
  if (filter.onlyId != null) {
    conditions.push(`${ID} = ?`);
    params.push(filter.onlyId);
  }
  return { conditions, params };
}

const where = (conditions: readonly string[]) => (conditions.length > 0 ? ` where ${conditions.join(' and ')}` : '');

/** The loaders' reads of patients (one statement each). */
export function patientReads(db: Reads) {
  return {
    /** Up to `limit` patients newest first, strictly after `after`. */
    page(filter: PatientListFilter, after: CreatedAtPosition | null, limit: number): Promise<PatientRow[]> {
      const { conditions, params } = filterConditions(filter);
      if (after) {
        conditions.push(AFTER.sql);
        params.push(...AFTER.params(after));
      }
      return db.rows<PatientRow>(
        `select ${PATIENT_COLUMNS} from ${PATIENTS}${where(conditions)} order by ${CREATED_AT} desc, ${ID} desc limit ?`,
        [...params, limit],
      );
    },

    async count(filter: PatientListFilter): Promise<number> {
      const { conditions, params } = filterConditions(filter);
      const [row] = await db.rows<{ total: number }>(`select count(*) as total from ${PATIENTS}${where(conditions)}`, params);
      return Number(row?.total ?? 0);
    },
  };
}

/** A mutation's writes (and locking reads) of patients, in its transaction. */
export function patientRepository(db: Executor) {
  return {
    /** Inserts one patient (one statement) and returns the row as stored. */
    async insert(values: NewPatient, now: Date): Promise<PatientRow> {
      const result = await db.insert(patients).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      return toReadRow({ ...values, id: insertId(result), createdAt: now, updatedAt: now, version: 1 });
    },

    /**
     * `UPDATE … SET …, version = version + 1 WHERE id = ? AND version = ?`, then
     * the row as it now stands. Run it in a transaction so the row read is the
     * one this update left (the row lock is held until commit).
     */
    async updateVersioned(
      id: number,
      expectedVersion: number,
      changes: PatientChanges,
      now: Date,
    ): Promise<{ updated: boolean; row: PatientRow | null }> {
      const result = await db
        .update(patients)
        .set({ ...changes, updatedAt: now, version: sql`${patients.version} + 1` })
        .where(and(eq(patients.id, id), eq(patients.version, expectedVersion)));
      const [row] = await db.select().from(patients).where(eq(patients.id, id));
      return { updated: affectedRows(result) === 1, row: row ? toReadRow(row) : null };
    },

    /**
     * Deletes the patient's selections, records and the patient: four
     * statements, whatever the children. Returns the slots and events whose
     * selections it removed (for cache invalidation), or null when the patient
     * did not exist. Run in a transaction: the first read locks the
     * selections, so none can be added in between.
     */
    async deleteWithChildren(id: number): Promise<{ scheduleIds: number[]; eventIds: number[] } | null> {
      const picked = await db
        .select({ scheduleId: selections.scheduleId, eventId: selections.eventId })
        .from(selections)
        .where(eq(selections.patientId, id))
        .for('update');
      await db.delete(selections).where(eq(selections.patientId, id));
      await db.delete(medicalRecords).where(eq(medicalRecords.patientId, id));
      if (affectedRows(await db.delete(patients).where(eq(patients.id, id))) !== 1) return null;
      return {
        scheduleIds: [...new Set(picked.map((row) => row.scheduleId))],
        eventIds: [...new Set(picked.map((row) => row.eventId))],
      };
    },

    /** Locks the patient row until the transaction ends; false when it does not exist. */
    async lock(id: number): Promise<boolean> {
      const rows = await db.select({ id: patients.id }).from(patients).where(eq(patients.id, id)).for('update');
      return rows.length === 1;
    },

  };
}

export type PatientRepository = ReturnType<typeof patientRepository>;
