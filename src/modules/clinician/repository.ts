/** SQL for clinicians: by id. */
import { inArray } from 'drizzle-orm';
import { clinicians } from '../../../drizzle/schema.js';
import type { Executor } from '../../db/transaction.js';

export type ClinicianRow = typeof clinicians.$inferSelect;

export function clinicianRepository(db: Executor) {
  return {
    findByIds(ids: readonly number[]): Promise<ClinicianRow[]> {
      return db
        .select()
        .from(clinicians)
        .where(inArray(clinicians.id, [...ids]));
    },
  };
}

export type ClinicianRepository = ReturnType<typeof clinicianRepository>;
