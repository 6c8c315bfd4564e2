/**
 * SQL for medical records. Reads (`recordReads`, the loaders' path, SQL text
 * rendered once: src/db/sql.ts; by id: src/modules/by-id.ts): the first page of every patient's
 * records in one statement (ROW_NUMBER per patient, no LATERAL, so MySQL 8
 * and MariaDB both run it) and record counts per patient. Writes
 * (`recordRepository`, drizzle): insert, versioned update, locked delete.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { affectedRows } from '../patient/repository.js';
import { clinicians, medicalRecords } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, propertiesOf, tableOf, toReadRow, type ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type RecordRow = ReadRow<typeof medicalRecords.$inferSelect>;
type RecordValues = typeof medicalRecords.$inferSelect;
export type RecordStatusValue = RecordRow['status'];
export type NewRecord = Pick<RecordValues, 'patientId' | 'authorId' | 'diagnosis' | 'treatment' | 'notes' | 'status'>;
export type RecordChanges = Partial<Pick<RecordValues, 'diagnosis' | 'treatment' | 'notes' | 'status'>>;

const RECORDS = tableOf(medicalRecords);
const RECORD_COLUMNS = columnsOf(medicalRecords);
const RANKED_PROPERTIES = propertiesOf(medicalRecords, 'ranked');
/**
 * The joined author of a page row: `authorName`, `authorSpecialty`,
 * `authorCreatedAt` (its id is the row's `authorId`). Clinicians have no
 * mutation, so a cached page's author cannot go stale and needs no tag.
 */
const AUTHOR_COLUMNS = `${column(clinicians.name)} as \`authorName\`, ${column(clinicians.specialty)} as \`authorSpecialty\`, ${column(clinicians.createdAt)} as \`authorCreatedAt\``;

/** A records page row: the record, its patient's count under the page's conditions, and its author's columns (null without one). */
export type PageRow = RecordRow & {
  listed: number;
  authorName: string | null;
  authorSpecialty: string | null;
  authorCreatedAt: string | null;
};
const ID = column(medicalRecords.id);
const PATIENT_ID = column(medicalRecords.patientId);
const STATUS = column(medicalRecords.status);
const CREATED_AT = column(medicalRecords.createdAt);
const AFTER = afterCreatedAt(CREATED_AT, ID);

/** The per-patient conditions (patients, optional status) and their parameters. */
function perPatient(patientIds: readonly number[], status: RecordStatusValue | null): { conditions: string[]; params: unknown[] } {
  return status
    ? { conditions: [`${PATIENT_ID} in (?)`, `${STATUS} = ?`], params: [patientIds, status] }
    : { conditions: [`${PATIENT_ID} in (?)`], params: [patientIds] };
}

/** The loaders' reads of medical records. */
export function recordReads(db: Reads) {
  return {
    /**
     * For each patient, up to `limit` records newest first (strictly after
     * `after` when given), in one statement. Rows come grouped by patient; each
     * carries `listed`, how many records the patient has under the same
     * conditions (the window count), so a first page also answers recordCount,
     * and its author's columns (`author…`, joined: clinicians are few), so
     * `author` needs no statement of its own.
     */
    pagesByPatient(
      patientIds: readonly number[],
      options: { status: RecordStatusValue | null; after: CreatedAtPosition | null; limit: number },
    ): Promise<PageRow[]> {
      const { conditions, params } = perPatient(patientIds, options.status);
      if (options.after) {
        conditions.push(AFTER.sql);
        params.push(...AFTER.params(options.after));
      }
      return db.rows<PageRow>(
        `select ${RANKED_PROPERTIES}, \`listed\`, ${AUTHOR_COLUMNS} from (select ${RECORD_COLUMNS}, ` +
          `row_number() over (partition by ${PATIENT_ID} order by ${CREATED_AT} desc, ${ID} desc) as \`rowNumber\`, ` +
          `count(*) over (partition by ${PATIENT_ID}) as \`listed\` ` +
          `from ${RECORDS} where ${conditions.join(' and ')}) as \`ranked\` ` +
          `left join ${tableOf(clinicians)} on ${column(clinicians.id)} = \`ranked\`.\`authorId\` ` +
          `where \`rowNumber\` <= ? order by \`ranked\`.\`patientId\`, \`rowNumber\``,
        [...params, options.limit],
      );
    },

    /** Record counts per patient (patients without records are absent). */
    countsByPatient(patientIds: readonly number[], status: RecordStatusValue | null): Promise<{ patientId: number; total: number }[]> {
      const { conditions, params } = perPatient(patientIds, status);
      return db.rows(`select ${PATIENT_ID} as \`patientId\`, count(*) as \`total\` from ${RECORDS} where ${conditions.join(' and ')} group by ${PATIENT_ID}`, params);
    },
  };
}

/** A mutation's writes (and locking reads) of medical records, in its transaction. */
export function recordRepository(db: Executor) {
  return {
    /** Inserts one record (one statement) and returns the row as stored. */
    async insert(values: NewRecord, now: Date): Promise<RecordRow> {
      const [result] = await db.insert(medicalRecords).values({ ...values, createdAt: now, updatedAt: now, version: 1 });
      return toReadRow({ ...values, id: result.insertId, createdAt: now, updatedAt: now, version: 1 });
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
      return { updated: affectedRows(result) === 1, row: row ? toReadRow(row) : null };
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

  };
}

export type RecordRepository = ReturnType<typeof recordRepository>;
