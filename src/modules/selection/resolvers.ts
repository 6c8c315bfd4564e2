/**
 * Resolvers of Selection (a patient's pick of a slot) and of setSelections, which hands its arguments to
 * the service (./service.ts); the prefetcher of `Selection.patient` (src/execution/prefetch.ts): a list
 * of selections loads all their patients in one batch, and each `patient` is then returned as it is,
 * without a promise.
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { registerPrefetcher } from '../../execution/prefetch.js';
import { toGlobalId } from '../../relay/global-id.js';
import { known, whenLoaded } from '../batching.js';
import type { SelectionRow } from './repository.js';
import { selectionService } from './service.js';

function existing<T>(what: string) {
  return (row: T | null): T => {
    if (!row) throw gatewayError('NOT_FOUND', `The ${what} of this selection no longer exists.`);
    return row;
  };
}
const existingPatient = existing<object>('patient');
const existingSchedule = existing<object>('schedule');

registerPrefetcher('Selection.patient', async (parents, _args, context, field) => {
  // Many selections name the same patients (an event page: 5,000 selections, 50 participants): one load per patient.
  const patientIds = [...new Set((parents as SelectionRow[]).map((row) => row.patientId))];
  const rows = (await context.loaders.patient.byId.loadMany(patientIds)).filter(
    (row): row is NonNullable<typeof row> & object => row !== null && !(row instanceof Error),
  );
  return { rows, type: 'Patient', selections: field };
});

export const selectionResolvers: Resolvers<GatewayContext> = {
  Selection: {
    id: (row) => toGlobalId('Selection', row.id),
    patient: (row, _args, context) => whenLoaded(known(context.loaders.patient.byId, row.patientId), existingPatient) as never,
    schedule: (row, _args, context) => whenLoaded(known(context.loaders.schedule.byId, row.scheduleId), existingSchedule) as never,
  },
  Mutation: {
    setSelections: (_root, { input }, context) => selectionService(context).set(input),
  },
};
