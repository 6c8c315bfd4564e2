/** Clinicians' row type (their by-id read is src/modules/by-id.ts's); a mutation's existence check on the primary. */
import { inArray } from 'drizzle-orm';
import { clinicians } from '../../../drizzle/schema.js';
import type { ReadRow } from '../../db/sql.js';
import type { Executor } from '../../db/transaction.js';

export type ClinicianRow = ReadRow<typeof clinicians.$inferSelect>;

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
