/** SQL for clinicians: by id (the loaders' read, SQL text rendered once: src/db/sql.ts); a mutation's existence check on the primary. */
import { inArray } from 'drizzle-orm';
import { clinicians } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import { column, columnsOf, tableOf, type ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';

export type ClinicianRow = ReadRow<typeof clinicians.$inferSelect>;

const BY_IDS = `select ${columnsOf(clinicians)} from ${tableOf(clinicians)} where ${column(clinicians.id)} in (?)`;

/** The loaders' reads of clinicians. */
export function clinicianReads(db: Reads) {
  return {
    findByIds(ids: readonly number[]): Promise<ClinicianRow[]> {
      return db.rows<ClinicianRow>(BY_IDS, [ids]);
    },
  };
}

/** A mutation's reads of clinicians, on its own handle (the primary). */
export function clinicianRepository(db: Executor) {
  return {
    /** The ids among `ids` that name a clinician. */
    async existing(ids: readonly number[]): Promise<number[]> {
      const rows = await db.select({ id: clinicians.id }).from(clinicians).where(inArray(clinicians.id, [...ids]));
      return rows.map((row) => row.id);
    },
  };
}
