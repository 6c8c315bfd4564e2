/**
 * SQL for medical records: by id, the first page of every patient's records in
 * one statement (ROW_NUMBER per patient, no LATERAL, so MySQL 8 and MariaDB
 * both run it) and record counts per patient.
 */
import { and, asc, count, eq, getTableColumns, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { affectedRows } from '../patient/repository.js';
import { medicalRecords } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type RecordRow = typeof medicalRecords.$inferSelect;
export type RecordStatusValue = RecordRow['status'];
export type NewRecord = Pick<RecordRow, 'patientId' | 'authorId' | 'diagnosis' | 'treatment' | 'notes' | 'status'>;
export type RecordChanges = Partial<Pick<RecordRow, 'diagnosis' | 'treatment' | 'notes' | 'status'>>;

function perPatientConditions(patientIds: readonly number[], status: RecordStatusValue | null): SQL[] {
  const conditions = [inArray(medicalRecords.patientId, [...patientIds])];
  if (status) conditions.push(eq(medicalRecords.status, status));
  return conditions;
}

export function recordRepository(db: Executor) {
  return {
    findByIds(ids: readonly number[]): Promise<RecordRow[]> {
      return db
        .select()
        .from(medicalRecords)
        .where(inArray(medicalRecords.id, [...ids]));
    },

    /**
     * For each patient, up to `limit` records newest first (strictly after
     * `after` when given), in one statement. Rows come grouped by patient.
     */
    async pagesByPatient(
      patientIds: readonly number[],
      options: { status: RecordStatusValue | null; after: CreatedAtPosition | null; limit: number },
    ): Promise<RecordRow[]> {
      const conditions = perPatientConditions(patientIds, options.status);
      if (options.after) conditions.push(afterCreatedAt(medicalRecords.createdAt, medicalRecords.id, options.after));
      const ranked = db
        .select({
          ...getTableColumns(medicalRecords),
          rowNumber: sql<number>`row_number() over (partition by ${medicalRecords.patientId} order by ${medicalRecords.createdAt} desc, ${medicalRecords.id} desc)`.as(
            'row_number',
          ),
        })
        .from(medicalRecords)
        .where(and(...conditions))
        .as('ranked');
      const rows = await db
        .select()
        .from(ranked)
        .where(lte(ranked.rowNumber, options.limit))
        .orderBy(asc(ranked.patientId), asc(ranked.rowNumber));
      return rows.map(({ rowNumber: _rowNumber, ...row }) => row);
    },

    /** Inserts one record (one statement) and returns the row as stored. */
    async insert(values: NewRecord, now: Date): Promise<RecordRow> {
      const [result] = await db.insert(medicalRecords).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      return { ...values, id: result.insertId, createdAt: now, updatedAt: now, version: 1 };
    },

    /** Versioned update then the row as it stands; run in a transaction (see patientRepository.updateVersioned). */
    async updateVersioned(
      id: number,
      expectedVersion: number,
      changes: RecordChanges,
      now: Date,
    ): Promise<{ updated: boolean; row: RecordRow | null }> {
      const result = await db
        .update(medicalRecords)
        .set({ ...changes, updatedAt: now, version: sql`${medicalRecords.version} + 1` })
        .where(and(eq(medicalRecords.id, id), eq(medicalRecords.version, expectedVersion)));
      const [row] = await db.select().from(medicalRecords).where(eq(medicalRecords.id, id));
      return { updated: affectedRows(result) === 1, row: row ?? null };
    },

    /** Locks the listed records that exist and returns them (id, patient); run in a transaction before deleteByIds. */
    lockExisting(ids: readonly number[]): Promise<{ id: number; patientId: number }[]> {
      return db
        .select({ id: medicalRecords.id, patientId: medicalRecords.patientId })
        .from(medicalRecords)
        .where(inArray(medicalRecords.id, [...ids]))
        .for('update');
    },

    /** Deletes the listed records in one statement. */
    async deleteByIds(ids: readonly number[]): Promise<number> {
      return affectedRows(await db.delete(medicalRecords).where(inArray(medicalRecords.id, [...ids])));
    },

    /** Record counts per patient (patients without records are absent). */
    countsByPatient(
      patientIds: readonly number[],
      status: RecordStatusValue | null,
    ): Promise<{ patientId: number; total: number }[]> {
      return db
        .select({ patientId: medicalRecords.patientId, total: count() })
        .from(medicalRecords)
        .where(and(...perPatientConditions(patientIds, status)))
        .groupBy(medicalRecords.patientId);
    },
  };
}

export type RecordRepository = ReturnType<typeof recordRepository>;
