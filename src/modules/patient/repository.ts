/**
 * SQL for patients: by id, the keyset-paginated patient list and its count.
 * Every method is one statement whatever the number of keys it is given
 * (callers chunk IN-lists through their DataLoader's maxBatchSize).
 */
import { and, count, desc, eq, gt, inArray, like, lt, sql, type SQL } from 'drizzle-orm';
import { medicalRecords, patients, selections } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type PatientRow = typeof patients.$inferSelect;
export type PatientChanges = Partial<Pick<PatientRow, 'name' | 'email' | 'birthDate' | 'isActive'>>;
export type NewPatient = Pick<PatientRow, 'name' | 'email' | 'birthDate' | 'isActive'>;

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

function filterConditions(filter: PatientListFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.isActive != null) conditions.push(eq(patients.isActive, filter.isActive));
  // The column's collation (utf8mb4_unicode_ci) makes LIKE case-insensitive.
  if (filter.nameContains) conditions.push(like(patients.name, `%${escapeLike(filter.nameContains)}%`));
  if (filter.bornAfter) conditions.push(gt(patients.birthDate, filter.bornAfter));
  if (filter.bornBefore) conditions.push(lt(patients.birthDate, filter.bornBefore));
  if (filter.onlyId != null) conditions.push(eq(patients.id, filter.onlyId));
  return conditions;
}

export function patientRepository(db: Executor) {
  return {
    findByIds(ids: readonly number[]): Promise<PatientRow[]> {
      return db
        .select()
        .from(patients)
        .where(inArray(patients.id, [...ids]));
    },

    /** Up to `limit` patients newest first, strictly after `after`. */
    page(filter: PatientListFilter, after: CreatedAtPosition | null, limit: number): Promise<PatientRow[]> {
      const conditions = filterConditions(filter);
      if (after) conditions.push(afterCreatedAt(patients.createdAt, patients.id, after));
      return db
        .select()
        .from(patients)
        .where(and(...conditions))
        .orderBy(desc(patients.createdAt), desc(patients.id))
        .limit(limit);
    },

    /** Inserts one patient (one statement) and returns the row as stored. */
    async insert(values: NewPatient, now: Date): Promise<PatientRow> {
      const result = await db.insert(patients).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      return { ...values, id: insertId(result), createdAt: now, updatedAt: now, version: 1 };
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
      return { updated: affectedRows(result) === 1, row: row ?? null };
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

    async count(filter: PatientListFilter): Promise<number> {
      const [row] = await db
        .select({ total: count() })
        .from(patients)
        .where(and(...filterConditions(filter)));
      return row?.total ?? 0;
    },
  };
}

export type PatientRepository = ReturnType<typeof patientRepository>;
