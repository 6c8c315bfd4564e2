/** Resolvers of Schedule (an event's time slot). */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { toGlobalId } from '../../relay/global-id.js';

export const scheduleResolvers: Resolvers<GatewayContext> = {
  Schedule: {
    id: (row) => toGlobalId('Schedule', row.id),
    event: async (row, _args, context) => {
      const event = await context.loaders.event.byId.load(row.eventId);
      if (!event) throw gatewayError('NOT_FOUND', 'The event of this schedule no longer exists.');
      return event;
    },
    selections: async (row, _args, context) => {
      const viewer = requireViewer(context);
      const rows = await context.loaders.selection.bySchedule.load(row.id);
      return rows.filter((selection) => readable(viewer, 'Selection', selection));
    },
    selectionCount: (row, _args, context) => context.loaders.selection.countBySchedule.load(row.id),
  },
};
