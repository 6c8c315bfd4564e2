/**
 * Per-request loaders for selections: by id, per schedule, per patient, counts
 * per schedule, and per-event participant pages and counts.
 */
import type { Db } from '../../db/client.js';
import { countByKey, createLoader, manyByKey, oneByKey, perGroup } from '../batching.js';
import { selectionRepository, type SelectionRow } from './repository.js';

export interface PatientSelectionsKey {
  readonly patientId: number;
  readonly eventId: number | null;
}

export interface ParticipantPageKey {
  readonly eventId: number;
  readonly afterPatientId: number | null;
  /** Set for a patient viewer, who sees only themselves among participants. */
  readonly onlyPatientId: number | null;
  readonly limit: number;
}

const participantArguments = (key: ParticipantPageKey) =>
  JSON.stringify([key.afterPatientId, key.onlyPatientId, key.limit]);

export function createSelectionLoaders(db: Db, chunkSize: number) {
  const repository = selectionRepository(db);
  const byId = createLoader<number, SelectionRow | null>(
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    { chunkSize },
  );
  const prime = (rows: SelectionRow[]) => {
    for (const row of rows) byId.prime(row.id, row);
    return rows;
  };
  return {
    byId,
    bySchedule: createLoader<number, SelectionRow[]>(
      async (scheduleIds) =>
        manyByKey(scheduleIds, prime(await repository.bySchedules(scheduleIds)), (row) => row.scheduleId),
      { chunkSize },
    ),
    byPatient: createLoader<PatientSelectionsKey, SelectionRow[]>(
      (keys) =>
        perGroup(
          keys,
          (key) => String(key.eventId ?? ''),
          async (group) => {
            const patientIds = group.map((key) => key.patientId);
            const rows = prime(await repository.byPatients(patientIds, group[0]?.eventId ?? null));
            return manyByKey(patientIds, rows, (row) => row.patientId);
          },
        ),
      { chunkSize, cacheKeyFn: (key) => `${key.patientId}|${key.eventId ?? ''}` },
    ),
    countBySchedule: createLoader<number, number>(
      async (scheduleIds) =>
        countByKey(scheduleIds, await repository.countsBySchedule(scheduleIds), (row) => row.scheduleId),
      { chunkSize },
    ),
    participantPage: createLoader<ParticipantPageKey, number[]>(
      (keys) =>
        perGroup(keys, participantArguments, async (group) => {
          const [{ afterPatientId, onlyPatientId, limit }] = group as [ParticipantPageKey];
          const eventIds = group.map((key) => key.eventId);
          const rows = await repository.participantPages(eventIds, { afterPatientId, onlyPatientId, limit });
          return manyByKey(eventIds, rows, (row) => row.eventId).map((pairs) => pairs.map((pair) => pair.patientId));
        }),
      { chunkSize, cacheKeyFn: (key) => `${key.eventId}|${participantArguments(key)}` },
    ),
    participantCount: createLoader<number, number>(
      async (eventIds) => countByKey(eventIds, await repository.participantCounts(eventIds), (row) => row.eventId),
      { chunkSize },
    ),
  };
}

export type SelectionLoaders = ReturnType<typeof createSelectionLoaders>;
