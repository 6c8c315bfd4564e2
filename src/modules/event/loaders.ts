/** Per-request loaders for events: by id, list pages and the list count, all through the fragment cache. */
import { events } from '../../../drizzle/schema.js';
import { cacheTags } from '../../cache/tags.js';
import { cachedLoader, type LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import type { CreatedAtPosition } from '../keyset.js';
import { eventReads, type EventRow } from './repository.js';

export interface EventPageKey {
  readonly after: CreatedAtPosition | null;
  readonly limit: number;
}

const eventById = byIdLoader<EventRow>(events, { name: 'Event' });

export function createEventLoaders(context: LoaderContext) {
  const repository = eventReads(context.reads);
  const byId = eventById(context);
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
