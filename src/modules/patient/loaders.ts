/** Per-request loaders for patients: by id, list pages and list counts, all through the fragment cache. */
import { patients } from '../../../drizzle/schema.js';
import { cacheTags } from '../../cache/tags.js';
import { cachedLoader, type LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import type { CreatedAtPosition } from '../keyset.js';
import { patientReads, type PatientListFilter, type PatientRow } from './repository.js';

export interface PatientPageKey {
  readonly filter: PatientListFilter;
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

const patientById = byIdLoader<PatientRow>(patients, { name: 'Patient' });

export function createPatientLoaders(context: LoaderContext) {
  const repository = patientReads(context.reads);
  const byId = patientById(context);
  return {
    byId,
    // Root lists have one key per field; loaders still dedupe aliases asking the same page.
    page: cachedLoader<PatientPageKey, PatientRow[]>(
      context,
      {
        name: 'patients',
        tagsOf: () => [cacheTags.patients],
        onValue: (_key, rows) => rows.forEach((row) => byId.prime(row.id, row)),
      },
      (keys) => Promise.all(keys.map((key) => repository.page(key.filter, key.after, key.limit))),
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    count: cachedLoader<PatientListFilter, number>(
      context,
      { name: 'patients.count', tagsOf: () => [cacheTags.patients] },
      (filters) => Promise.all(filters.map((filter) => repository.count(filter))),
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
  };
}

export type PatientLoaders = ReturnType<typeof createPatientLoaders>;
