/** Per-request loaders for patients: by id, list pages and list counts. */
import type { Db } from '../../db/client.js';
import { createLoader, oneByKey } from '../batching.js';
import type { CreatedAtPosition } from '../keyset.js';
import { patientRepository, type PatientListFilter, type PatientRow } from './repository.js';

export interface PatientPageKey {
  readonly filter: PatientListFilter;
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

export function createPatientLoaders(db: Db, chunkSize: number) {
  const repository = patientRepository(db);
  const byId = createLoader<number, PatientRow | null>(
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    { chunkSize },
  );
  const prime = (rows: PatientRow[]) => {
    for (const row of rows) byId.prime(row.id, row);
    return rows;
  };
  return {
    byId,
    // Root lists have one key per field; loaders still dedupe aliases asking the same page.
    page: createLoader<PatientPageKey, PatientRow[]>(
      (keys) => Promise.all(keys.map(async (key) => prime(await repository.page(key.filter, key.after, key.limit)))),
      { chunkSize, cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    count: createLoader<PatientListFilter, number>((filters) => Promise.all(filters.map((f) => repository.count(f))), {
      chunkSize,
      cacheKeyFn: (key) => JSON.stringify(key),
    }),
  };
}

export type PatientLoaders = ReturnType<typeof createPatientLoaders>;
