/**
 * Per-request loaders for medical records: by id, per-patient pages (all
 * patients asking the same page arguments share one statement) and counts.
 */
import type { Db } from '../../db/client.js';
import { countByKey, createLoader, manyByKey, oneByKey, perGroup } from '../batching.js';
import type { CreatedAtPosition } from '../keyset.js';
import { recordRepository, type RecordRow, type RecordStatusValue } from './repository.js';

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

export function createRecordLoaders(db: Db, chunkSize: number) {
  const repository = recordRepository(db);
  const byId = createLoader<number, RecordRow | null>(
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    { chunkSize },
  );
  return {
    byId,
    pageByPatient: createLoader<RecordPageKey, RecordRow[]>(
      (keys) =>
        perGroup(keys, pageArguments, async (group) => {
          const [{ status, after, limit }] = group as [RecordPageKey];
          const patientIds = group.map((key) => key.patientId);
          const rows = await repository.pagesByPatient(patientIds, { status, after, limit });
          for (const row of rows) byId.prime(row.id, row);
          return manyByKey(patientIds, rows, (row) => row.patientId);
        }),
      { chunkSize, cacheKeyFn: (key) => `${key.patientId}|${pageArguments(key)}` },
    ),
    countByPatient: createLoader<RecordCountKey, number>(
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
      { chunkSize, cacheKeyFn: (key) => `${key.patientId}|${key.status ?? ''}` },
    ),
  };
}

export type RecordLoaders = ReturnType<typeof createRecordLoaders>;
