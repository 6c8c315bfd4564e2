/**
 * SQL for patients: by id, the keyset-paginated patient list and its count.
 * Every method is one statement whatever the number of keys it is given
 * (callers chunk IN-lists through their DataLoader's maxBatchSize).
 */
import { and, count, desc, eq, gt, inArray, like, lt, type SQL } from 'drizzle-orm';
import { patients } from '../../../drizzle/schema.js';
import type { Db } from '../../db/client.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';

export type PatientRow = typeof patients.$inferSelect;

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

export function patientRepository(db: Db) {
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
