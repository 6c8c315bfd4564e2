/**
 * Resolvers of Schedule (an event's time slot), and the prefetchers of
 * `Schedule.selections` and `Schedule.selectionCount` (src/execution/prefetch.ts):
 * a list of schedules loads every slot's selections and counts in one batch
 * each, and the next level (`Selection.patient`) below them; each slot's
 * fields are then answered as they are, without a promise.
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { Viewer } from '../../auth/token.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { prefetchChildren, registerPrefetcher } from '../../execution/prefetch.js';
import { toGlobalId } from '../../relay/global-id.js';
import { known, whenLoaded } from '../batching.js';
import type { SelectionRow } from '../selection/repository.js';
import type { ScheduleRow } from './repository.js';

/** The selections of a slot the viewer may see: a patient sees only their own. */
function visibleTo(viewer: Viewer): (rows: SelectionRow[]) => SelectionRow[] {
  return viewer.role === 'patient' ? (rows) => rows.filter((selection) => readable(viewer, 'Selection', selection)) : (rows) => rows;
}

registerPrefetcher('Schedule.selections', async (parents, _args, context, field) => {
  if (!context.viewer) return null;
  const visible = visibleTo(context.viewer);
  const lists = await context.loaders.selection.bySchedule.loadMany((parents as ScheduleRow[]).map((row) => row.id));
  const rows = lists.flatMap((list) => (Array.isArray(list) ? visible(list) : []));
  return { rows, type: 'Selection', selections: field };
});

registerPrefetcher(
  'Schedule.selectionCount',
  async (parents, _args, context) => {
    const counts = context.loaders.selection.countBySchedule;
    // A slot's selections, loaded just before, are its count.
    const missing = (parents as ScheduleRow[]).filter((row) => counts.peek(row.id) === undefined);
    if (missing.length > 0) await counts.loadMany(missing.map((row) => row.id));
    return null;
  },
  { after: 'selections' },
);

export const scheduleResolvers: Resolvers<GatewayContext> = {
  Schedule: {
    id: (row) => toGlobalId('Schedule', row.id),
    event: (row, _args, context) =>
      whenLoaded(known(context.loaders.event.byId, row.eventId), (event) => {
        if (!event) throw gatewayError('NOT_FOUND', 'The event of this schedule no longer exists.');
        return event;
      }) as never,
    selections: (row, _args, context, info) => {
      const visible = visibleTo(requireViewer(context));
      const loader = context.loaders.selection.bySchedule;
      const loaded = loader.peek(row.id);
      if (loaded !== undefined) return visible(loaded) as never;
      return loader.load(row.id).then(async (rows) => {
        const shown = visible(rows);
        await prefetchChildren(shown, 'Selection', info.fieldNodes, info, context);
        return shown;
      }) as never;
    },
    selectionCount: (row, _args, context) => known(context.loaders.selection.countBySchedule, row.id),
  },
};
