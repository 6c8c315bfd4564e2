/** Resolvers of Clinician. */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import type { GatewayContext } from '../../context.js';
import { toGlobalId } from '../../relay/global-id.js';

export const clinicianResolvers: Resolvers<GatewayContext> = {
  Clinician: {
    id: (row) => toGlobalId('Clinician', row.id),
  },
};
