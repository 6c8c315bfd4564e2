/** Every resolver of the schema, merged from the domain modules. */
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { GatewayContext } from '../context.js';
import { clinicianResolvers } from './clinician/resolvers.js';
import { eventResolvers } from './event/resolvers.js';
import { nodeResolvers } from './node/resolvers.js';
import { patientResolvers } from './patient/resolvers.js';
import { recordResolvers } from './record/resolvers.js';
import { scalarResolvers } from './scalars.js';
import { scheduleResolvers } from './schedule/resolvers.js';
import { searchResolvers } from './search/resolvers.js';
import { selectionResolvers } from './selection/resolvers.js';

const modules: Resolvers<GatewayContext>[] = [
  nodeResolvers,
  patientResolvers,
  recordResolvers,
  clinicianResolvers,
  eventResolvers,
  scheduleResolvers,
  selectionResolvers,
  searchResolvers,
];

/** Merges module resolver maps type by type; two modules resolving the same field is a bug. */
export function mergeResolvers(maps: readonly Resolvers<GatewayContext>[]): Resolvers<GatewayContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [typeName, fields] of Object.entries(map as Record<string, Record<string, unknown>>)) {
      const target = (merged[typeName] ??= {});
      for (const [field, resolver] of Object.entries(fields)) {
        if (field in target) throw new Error(`Resolver ${typeName}.${field} is defined by two modules.`);
        target[field] = resolver;
      }
    }
  }
  return merged as Resolvers<GatewayContext>;
}

export const resolvers: Resolvers<GatewayContext> = { ...mergeResolvers(modules), ...scalarResolvers };
