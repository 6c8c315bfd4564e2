/** Resolvers of Selection (a patient's pick of a slot). */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { toGlobalId } from '../../relay/global-id.js';

export const selectionResolvers: Resolvers<GatewayContext> = {
  Selection: {
    id: (row) => toGlobalId('Selection', row.id),
    patient: async (row, _args, context) => {
      const patient = await context.loaders.patient.byId.load(row.patientId);
      if (!patient) throw gatewayError('NOT_FOUND', 'The patient of this selection no longer exists.');
      return patient;
    },
    schedule: async (row, _args, context) => {
      const schedule = await context.loaders.schedule.byId.load(row.scheduleId);
      if (!schedule) throw gatewayError('NOT_FOUND', 'The schedule of this selection no longer exists.');
      return schedule;
    },
  },
};
