/**
 * Resolvers of Event, its connection types, the event entry points of Query, and the event mutations,
 * which hand their arguments to the service (./service.ts). The event list and `Event.schedules` load
 * what their children select for all of them at once (src/execution/prefetch.ts).
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { checkFirst, connectionResolvers, toConnection } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { createdAtPositionOf, toCreatedAtPosition } from '../keyset.js';
import type { PatientRow } from '../patient/repository.js';
import type { EventRow } from './repository.js';
import { eventService } from './service.js';
import { prefetchChildren, prefetchConnectionNodes, registerPrefetcher } from '../../execution/prefetch.js';

const EVENTS_CONNECTION = 'events';
const participantsConnectionName = (eventId: number) => `Event:${eventId}.participants`;

function toPatientIdPosition(position: readonly (string | number)[]): number {
  const [patientId] = position;
  if (position.length !== 1 || !Number.isSafeInteger(patientId)) {
    throw gatewayError('BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list: it is malformed.', {
      argument: 'after',
    });
  }
  return patientId as number;
}

registerPrefetcher('Event.schedules', async (parents, args, context, field) => {
  const date = (args.date as string | null | undefined) ?? null;
  const lists = await context.loaders.schedule.byEvent.loadMany((parents as EventRow[]).map((row) => ({ eventId: row.id, date })));
  return { rows: lists.flatMap((list) => (Array.isArray(list) ? list : [])), type: 'Schedule', selections: field };
});

export const eventResolvers: Resolvers<GatewayContext> = {
  Query: {
    event: (_root, { id }, context) => {
      requireViewer(context);
      return context.loaders.event.byId.load(expectGlobalId(id, 'Event'));
    },
    events: async (_root, { first, after }, context, info) => {
      requireViewer(context);
      const size = checkFirst(first, context.config.maxPageSize, info);
      const position = after != null ? toCreatedAtPosition(context.cursors.decode(after, EVENTS_CONNECTION)) : null;
      const rows = await context.loaders.event.page.load({ after: position, limit: size + 1 });
      await prefetchConnectionNodes(rows.slice(0, size), 'Event', info, context);
      return toConnection(rows, {
        first: size,
        after,
        cursorOf: (row) => context.cursors.encode(EVENTS_CONNECTION, createdAtPositionOf(row)),
        totalCount: () => context.loaders.event.count.load('all'),
      });
    },
  },
  Event: {
    id: (row) => toGlobalId('Event', row.id),
    organizer: (row, _args, context) =>
      row.organizerId == null ? null : context.loaders.clinician.byId.load(row.organizerId),
    schedules: (row, { date }, context, info) => {
      const key = { eventId: row.id, date: date ?? null };
      const loaded = context.loaders.schedule.byEvent.peek(key);
      if (loaded !== undefined) return loaded;
      return context.loaders.schedule.byEvent.load(key).then(async (rows) => {
        await prefetchChildren(rows, 'Schedule', info.fieldNodes, info, context);
        return rows;
      });
    },
    participants: async (row, { first, after }, context, info) => {
      const viewer = requireViewer(context);
      const size = checkFirst(first, context.config.maxPageSize, info);
      const connection = participantsConnectionName(row.id);
      const afterPatientId = after != null ? toPatientIdPosition(context.cursors.decode(after, connection)) : null;
      // A patient sees only themselves among the participants.
      const onlyPatientId = viewer.role === 'patient' ? viewer.patientId : null;
      const patientIds = await context.loaders.selection.participantPage.load({
        eventId: row.id,
        afterPatientId,
        onlyPatientId,
        limit: size + 1,
      });
      const patients = await context.loaders.patient.byId.loadMany(patientIds);
      const rows = patients.filter((patient): patient is PatientRow => patient != null && !(patient instanceof Error));
      return toConnection(rows, {
        first: size,
        after,
        cursorOf: (patient) => context.cursors.encode(connection, [patient.id]),
        totalCount: async () =>
          onlyPatientId == null
            ? context.loaders.selection.participantCount.load(row.id)
            : (
                await context.loaders.selection.participantPage.load({
                  eventId: row.id,
                  afterPatientId: null,
                  onlyPatientId,
                  limit: 1,
                })
              ).length,
      });
    },
    participantCount: (row, _args, context) => context.loaders.selection.participantCount.load(row.id),
  },
  EventConnection: connectionResolvers,
  EventEdge: {},
  Mutation: {
    createEvent: (_root, { input }, context) => eventService(context).create(input),
    deleteEvent: (_root, { id }, context) => eventService(context).delete(id),
  },
};
