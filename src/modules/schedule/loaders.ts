/** Per-request loaders for schedules: by id and the slots of each event (optionally one date), through the fragment cache. */
import { schedules } from '../../../drizzle/schema.js';
import { cacheTags, rowTags } from '../../cache/tags.js';
import { cachedLoader, manyByKey, perGroup, type LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import { scheduleReads, type ScheduleRow } from './repository.js';

export interface EventSchedulesKey {
  readonly eventId: number;
  readonly date: string | null;
}

// Slots are immutable: a slot row carries its event's schedules tag, not one of its own (src/cache/tags.ts).
const scheduleById = byIdLoader<ScheduleRow>(schedules, { name: 'Schedule', tagsOf: rowTags.schedule });

export function createScheduleLoaders(context: LoaderContext) {
  const repository = scheduleReads(context.reads);
  const byId = scheduleById(context);
  return {
    byId,
    byEvent: cachedLoader<EventSchedulesKey, ScheduleRow[]>(
      context,
      {
        name: 'Event.schedules',
        // Slots are immutable; the list's tag covers them (see src/cache/tags.ts).
        tagsOf: (key) => [cacheTags.eventSchedules(key.eventId)],
        onValue: (_key, rows) => rows.forEach((row) => byId.prime(row.id, row)),
      },
      (keys) =>
        perGroup(
          keys,
          (key) => key.date ?? '',
          async (group) => {
            const eventIds = group.map((key) => key.eventId);
            const rows = await repository.byEvents(eventIds, group[0]?.date ?? null);
            return manyByKey(eventIds, rows, (row) => row.eventId);
          },
        ),
      { cacheKeyFn: (key) => `${key.eventId}|${key.date ?? ''}` },
    ),
  };
}

export type ScheduleLoaders = ReturnType<typeof createScheduleLoaders>;
