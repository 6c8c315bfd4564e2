/**
 * Event writes: create an event with all its slots (one multi-row insert), and delete an event with its
 * schedules and selections. Each method authorizes the caller, validates the input before any SQL, runs
 * the transaction, and invalidates what it changed. Reads of events are open to every viewer
 * (resolvers.ts only asks for one); a patient's view of participants is narrowed in resolvers.ts, where
 * it is part of the participant page's loader key.
 */
import type { CreateEventInput, SlotInput } from '../../__generated__/resolvers-types.js';
import { authorizeWrite, clinicianIdOf } from '../../auth/policy.js';
import { cacheTags } from '../../cache/tags.js';
import { inTransaction } from '../../db/transaction.js';
import { gatewayError } from '../../errors.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import type { ServiceContext } from '../services.js';
import { boundedList, LIMITS, optionalText, requiredText } from '../validation.js';
import { eventRepository, type EventRow, type NewSlot } from './repository.js';

export const MAX_EVENT_SLOTS = 1000;
const WEEKDAYS = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;

/** `HH:mm`, `HH:mm:ss` or `HH:mm:ss.SSS` as MySQL's `HH:mm:ss` (slots are whole seconds). */
function storedTime(time: string): string {
  return time.length === 5 ? `${time}:00` : time.slice(0, 8);
}

/** Slots as stored, with their weekday; BAD_USER_INPUT for a repeated date and time. */
export function toSlots(inputs: readonly SlotInput[]): NewSlot[] {
  boundedList(inputs, 'input.slots', MAX_EVENT_SLOTS, 1);
  const seen = new Map<string, number>();
  return inputs.map((input, index) => {
    const time = storedTime(input.time);
    const key = `${input.date} ${time}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw gatewayError(
        'BAD_USER_INPUT',
        `Field "input.slots[${index}]" repeats input.slots[${first}] (${input.date} ${input.time}); slots must be distinct.`,
        { field: `input.slots[${index}]` },
      );
    }
    seen.set(key, index);
    const day = WEEKDAYS[new Date(`${input.date}T00:00:00Z`).getUTCDay()]!;
    return { date: input.date, time, day };
  });
}

export function eventService(context: ServiceContext) {
  return {
    async create(input: CreateEventInput): Promise<EventRow> {
      const viewer = await authorizeWrite(context, 'create', 'events');
      const values = {
        title: requiredText(input.title, 'input.title', LIMITS.title),
        description: optionalText(input.description, 'input.description', LIMITS.longText) ?? null,
        organizerId: clinicianIdOf(viewer),
      };
      const slots = toSlots(input.slots);
      const row = await inTransaction(context.db, (tx) => eventRepository(tx).insertWithSlots(values, slots, new Date()));
      // `absent`: the new ids may have been asked for, and their absence cached, before they existed.
      const tags = [cacheTags.events, cacheTags.absent('Event'), cacheTags.absent('Schedule')];
      (await context.committed(tags)).event.byId.prime(row.id, row);
      return row;
    },

    /** Returns the deleted event's global id. */
    async delete(globalId: string): Promise<string> {
      await authorizeWrite(context, 'delete', 'events');
      const eventId = expectGlobalId(globalId, 'Event');
      const removed = await inTransaction(context.db, async (tx) => {
        const children = await eventRepository(tx).deleteWithChildren(eventId);
        if (!children) throw gatewayError('NOT_FOUND', `Event ${globalId} does not exist.`, { id: globalId });
        return children;
      });
      await context.committed([
        cacheTags.event(eventId),
        cacheTags.events,
        // Schedule rows carry the schedules tag, selection rows their schedule's selections tag.
        cacheTags.eventSchedules(eventId),
        cacheTags.eventParticipants(eventId),
        ...removed.scheduleIds.map(cacheTags.scheduleSelections),
        ...removed.patientIds.map(cacheTags.patientSelections),
      ]);
      return toGlobalId('Event', eventId);
    },
  };
}
