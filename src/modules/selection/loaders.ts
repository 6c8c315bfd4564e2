/**
 * Per-request loaders for selections: by id, per schedule, per patient, counts
 * per schedule, and per-event participant pages and counts, all through the
 * fragment cache.
 */
import { selections } from '../../../drizzle/schema.js';
import { cacheTags, rowTags } from '../../cache/tags.js';
import { cachedLoader, countByKey, manyByKey, perGroup, type LoaderContext } from '../batching.js';
import { byIdLoader } from '../by-id.js';
import { selectionReads, type SelectionRow } from './repository.js';

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

// Selections are immutable: a selection row carries its lists' tags, not one of its own (src/cache/tags.ts).
const selectionById = byIdLoader<SelectionRow>(selections, { name: 'Selection', tagsOf: rowTags.selection });

export function createSelectionLoaders(context: LoaderContext) {
  const repository = selectionReads(context.reads);
  const byId = selectionById(context);
  const primeRows = (_key: unknown, rows: SelectionRow[]) => rows.forEach((row) => byId.prime(row.id, row));
  const countBySchedule = cachedLoader<number, number>(
    context,
    { name: 'Schedule.selectionCount', tagsOf: (scheduleId) => [cacheTags.scheduleSelections(scheduleId)] },
    async (scheduleIds) => countByKey(scheduleIds, await repository.countsBySchedule(scheduleIds), (row) => row.scheduleId),
  );
  return {
    byId,
    bySchedule: cachedLoader<number, SelectionRow[]>(
      context,
      {
        name: 'Schedule.selections',
        // Selections are immutable; the list's tag covers them (see src/cache/tags.ts).
        tagsOf: (scheduleId) => [cacheTags.scheduleSelections(scheduleId)],
        // A slot's whole list is its count too (selectionCount counts every selection, whoever may see them).
        // The rows are not primed by id: an event page lists 5,000 of them, and none is asked for by id again.
        onValue: (scheduleId, rows) => countBySchedule.prime(scheduleId, rows.length),
      },
      async (scheduleIds) => manyByKey(scheduleIds, await repository.bySchedules(scheduleIds), (row) => row.scheduleId),
    ),
    byPatient: cachedLoader<PatientSelectionsKey, SelectionRow[]>(
      context,
      {
        name: 'Patient.selections',
        tagsOf: (key) => [cacheTags.patientSelections(key.patientId)],
        onValue: primeRows,
      },
      (keys) =>
        perGroup(
          keys,
          (key) => String(key.eventId ?? ''),
          async (group) => {
            const patientIds = group.map((key) => key.patientId);
            const rows = await repository.byPatients(patientIds, group[0]?.eventId ?? null);
            return manyByKey(patientIds, rows, (row) => row.patientId);
          },
        ),
      { cacheKeyFn: (key) => `${key.patientId}|${key.eventId ?? ''}` },
    ),
    countBySchedule,
    participantPage: cachedLoader<ParticipantPageKey, number[]>(
      context,
      { name: 'Event.participants', tagsOf: (key) => [cacheTags.eventParticipants(key.eventId)] },
      (keys) =>
        perGroup(keys, participantArguments, async (group) => {
          const [{ afterPatientId, onlyPatientId, limit }] = group as [ParticipantPageKey];
          const eventIds = group.map((key) => key.eventId);
          const rows = await repository.participantPages(eventIds, { afterPatientId, onlyPatientId, limit });
          return manyByKey(eventIds, rows, (row) => row.eventId).map((pairs) => pairs.map((pair) => pair.patientId));
        }),
      { cacheKeyFn: (key) => `${key.eventId}|${participantArguments(key)}` },
    ),
    participantCount: cachedLoader<number, number>(
      context,
      { name: 'Event.participantCount', tagsOf: (eventId) => [cacheTags.eventParticipants(eventId)] },
      async (eventIds) => countByKey(eventIds, await repository.participantCounts(eventIds), (row) => row.eventId),
    ),
  };
}

export type SelectionLoaders = ReturnType<typeof createSelectionLoaders>;
