/** Per-request loaders for schedules: by id and the slots of each event (optionally one date). */
import type { Db } from '../../db/client.js';
import { createLoader, manyByKey, oneByKey, perGroup } from '../batching.js';
import { scheduleRepository, type ScheduleRow } from './repository.js';

export interface EventSchedulesKey {
  readonly eventId: number;
  readonly date: string | null;
}

export function createScheduleLoaders(db: Db, chunkSize: number) {
  const repository = scheduleRepository(db);
  const byId = createLoader<number, ScheduleRow | null>(
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    { chunkSize },
  );
  return {
    byId,
    byEvent: createLoader<EventSchedulesKey, ScheduleRow[]>(
      (keys) =>
        perGroup(
          keys,
          (key) => key.date ?? '',
          async (group) => {
            const eventIds = group.map((key) => key.eventId);
            const rows = await repository.byEvents(eventIds, group[0]?.date ?? null);
            for (const row of rows) byId.prime(row.id, row);
            return manyByKey(eventIds, rows, (row) => row.eventId);
          },
        ),
      { chunkSize, cacheKeyFn: (key) => `${key.eventId}|${key.date ?? ''}` },
    ),
  };
}

export type ScheduleLoaders = ReturnType<typeof createScheduleLoaders>;
