/**
 * Per-request loaders for medical records: by id, per-patient pages (all
 * patients asking the same page arguments share one statement) and counts,
 * all through the fragment cache.
 */
import { cacheTags, listTags, rowTags } from '../../cache/tags.js';
import { cachedLoader, countByKey, manyByKey, oneByKey, perGroup, type LoaderContext } from '../batching.js';
import type { CreatedAtPosition } from '../keyset.js';
import { recordReads, type RecordRow, type RecordStatusValue } from './repository.js';

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

export function createRecordLoaders(context: LoaderContext) {
  const repository = recordReads(context.reads);
  const byId = cachedLoader<number, RecordRow | null>(
    context,
    {
      name: 'Record',
      tagsOf: (id, row) => (row ? rowTags.record(row) : [cacheTags.record(id), cacheTags.absent('Record')]),
    },
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
  );
  return {
    byId,
    pageByPatient: cachedLoader<RecordPageKey, RecordRow[]>(
      context,
      {
        name: 'Patient.records',
        tagsOf: (key, rows) => listTags([cacheTags.patientRecords(key.patientId)], rows, rowTags.record),
        onValue: (_key, rows) => rows.forEach((row) => byId.prime(row.id, row)),
      },
      (keys) =>
        perGroup(keys, pageArguments, async (group) => {
          const [{ status, after, limit }] = group as [RecordPageKey];
          const patientIds = group.map((key) => key.patientId);
          const rows = await repository.pagesByPatient(patientIds, { status, after, limit });
          return manyByKey(patientIds, rows, (row) => row.patientId);
        }),
      { cacheKeyFn: (key) => `${key.patientId}|${pageArguments(key)}` },
    ),
    countByPatient: cachedLoader<RecordCountKey, number>(
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
    ),
  };
}

export type RecordLoaders = ReturnType<typeof createRecordLoaders>;
