/** Per-request loaders for events: by id, list pages and the list count, all through the fragment cache. */
import { cacheTags } from '../../cache/tags.js';
import { cachedLoader, oneByKey, type LoaderContext } from '../batching.js';
import type { CreatedAtPosition } from '../keyset.js';
import { eventReads, type EventRow } from './repository.js';

export interface EventPageKey {
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

export function createEventLoaders(context: LoaderContext) {
  const repository = eventReads(context.reads);
  const byId = cachedLoader<number, EventRow | null>(
    context,
    { name: 'Event', tagsOf: (id, row) => (row ? [cacheTags.event(id)] : [cacheTags.event(id), cacheTags.absent('Event')]) },
    async (ids) => oneByKey(ids, await repository.findByIds(ids), (row) => row.id),
  );
  return {
    byId,
    page: cachedLoader<EventPageKey, EventRow[]>(
      context,
      {
        name: 'events',
        tagsOf: () => [cacheTags.events],
        onValue: (_key, rows) => rows.forEach((row) => byId.prime(row.id, row)),
      },
      (keys) => Promise.all(keys.map((key) => repository.page(key.after, key.limit))),
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    count: cachedLoader<'all', number>(context, { name: 'events.count', tagsOf: () => [cacheTags.events] }, (keys) =>
      Promise.all(keys.map(() => repository.count())),
    ),
  };
}

export type EventLoaders = ReturnType<typeof createEventLoaders>;
