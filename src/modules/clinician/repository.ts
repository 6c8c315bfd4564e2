/** SQL for clinicians: by id. */
import { inArray } from 'drizzle-orm';
import { clinicians } from '../../../drizzle/schema.js';
import type { Db } from '../../db/client.js';

export type ClinicianRow = typeof clinicians.$inferSelect;

export function clinicianRepository(db: Db) {
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
