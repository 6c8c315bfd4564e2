/** Per-request loaders for events: by id, list pages and the list count. */
import type { Db } from '../../db/client.js';
import { createLoader, oneByKey } from '../batching.js';
import type { CreatedAtPosition } from '../keyset.js';
import { eventRepository, type EventRow } from './repository.js';

export interface EventPageKey {
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

export function createEventLoaders(db: Db, chunkSize: number) {
  const repository = eventRepository(db);
  const byId = createLoader<number, EventRow | null>(
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
    { chunkSize },
  );
  return {
    byId,
    page: createLoader<EventPageKey, EventRow[]>(
      (keys) =>
        Promise.all(
          keys.map(async (key) => {
            const rows = await repository.page(key.after, key.limit);
            for (const row of rows) byId.prime(row.id, row);
            return rows;
          }),
        ),
      { chunkSize, cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    count: createLoader<'all', number>((keys) => Promise.all(keys.map(() => repository.count())), { chunkSize }),
  };
}

export type EventLoaders = ReturnType<typeof createEventLoaders>;
