/**
 * Per-request loaders for medical records: by id, per-patient pages (all
 * patients asking the same page arguments share one statement) and counts,
 * all through the fragment cache.
 */
import { medicalRecords } from '../../../drizzle/schema.js';
import { cacheTags, rowTags } from '../../cache/tags.js';
import { cachedLoader, countByKey, manyByKey, perGroup, type LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import type { CreatedAtPosition } from '../keyset.js';
import { recordReads, type PageRow, type RecordRow, type RecordStatusValue } from './repository.js';

export interface RecordPageKey {
  readonly patientId: number;
  readonly status: RecordStatusValue | null;
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

export interface RecordCountKey {
  readonly patientId: number;
  readonly status: RecordStatusValue | null;
}

const pageArguments = (key: RecordPageKey) => JSON.stringify([key.status, key.after, key.limit]);


/**
 * One patient's page of records, and (for a first page) how many records the patient has under the page's
 * conditions: the same statement answers `records` and `recordCount`.
 */
export interface RecordPage {
  readonly rows: RecordRow[];
  /** The patient's records with the page's status; null for a page after a cursor (the count would be of the rest). */
  readonly total: number | null;
}

// A record row carries its patient's records tag: a status change or deletion moves it (src/cache/tags.ts).
const recordById = byIdLoader<RecordRow>(medicalRecords, { name: 'Record', tagsOf: rowTags.record });

export function createRecordLoaders(context: LoaderContext) {
  const repository = recordReads(context.reads);
  const countByPatient = cachedLoader<RecordCountKey, number>(
    context,
    { name: 'Patient.recordCount', tagsOf: (key) => [cacheTags.patientRecords(key.patientId)] },
    (keys) =>
      perGroup(
        keys,
        (key) => key.status ?? '',
        async (group) => {
          const patientIds = group.map((key) => key.patientId);
          const rows = await repository.countsByPatient(patientIds, group[0]?.status ?? null);
          return countByKey(patientIds, rows, (row) => row.patientId);
        },
      ),
    { cacheKeyFn: (key) => `${key.patientId}|${key.status ?? ''}` },
  );
  const byId = recordById(context);
  return {
    byId,
    pageByPatient: cachedLoader<RecordPageKey, RecordPage>(
      context,
      {
        name: 'Patient.recordsPage',
        tagsOf: (key) => [cacheTags.patientRecords(key.patientId), cacheTags.patientRecordContents(key.patientId)],
        onValue: (key, page) => {
          page.rows.forEach((row) => byId.prime(row.id, row));
          if (page.total !== null) countByPatient.prime({ patientId: key.patientId, status: key.status }, page.total);
        },
      },
      (keys) =>
        perGroup(keys, pageArguments, async (group) => {
          const [{ status, after, limit }] = group as [RecordPageKey];
          const patientIds = group.map((key) => key.patientId);
          const listed = await repository.pagesByPatient(patientIds, { status, after, limit });
          // The rows keep their `listed` and author columns: copying every row without them would cost more than it saves.
          return manyByKey<number, PageRow>(patientIds, listed, (row) => row.patientId).map(
            (rows): RecordPage => ({ rows, total: after === null ? (rows[0]?.listed ?? 0) : null }),
          );
        }),
      { cacheKeyFn: (key) => `${key.patientId}|${pageArguments(key)}` },
    ),
    countByPatient,
  };
}

export type RecordLoaders = ReturnType<typeof createRecordLoaders>;
