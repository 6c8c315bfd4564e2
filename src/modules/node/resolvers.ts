/**
 * Relay node lookup (`node`, `nodes`) and `viewer`. `nodes` hands each id to
 * its type's by-id loader, so mixed ids cost one statement per type; a
 * malformed id fails only its own entry.
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { Viewer } from '../../auth/token.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { expectAnyGlobalId, type NodeType } from '../../relay/global-id.js';
import type { ClinicianRow, EventRow, PatientRow, RecordRow, ScheduleRow, SelectionRow } from '../models.js';

type NodeRow = PatientRow | RecordRow | ClinicianRow | EventRow | ScheduleRow | SelectionRow;

async function loadNode(context: GatewayContext, viewer: Viewer, globalId: string, argument: string) {
  const { type, id } = expectAnyGlobalId(globalId, argument);
  const { loaders } = context;
  switch (type) {
    case 'Patient':
      return readable(viewer, type, await loaders.patient.byId.load(id));
    case 'MedicalRecord':
      return readable(viewer, type, await loaders.record.byId.load(id));
    case 'Selection':
      return readable(viewer, type, await loaders.selection.byId.load(id));
    case 'Clinician':
      return loaders.clinician.byId.load(id);
    case 'Event':
      return loaders.event.byId.load(id);
    case 'Schedule':
      return loaders.schedule.byId.load(id);
  }
}

/** The GraphQL type of a row, from the columns only that table has. */
export function nodeTypeOf(row: NodeRow): NodeType {
  if ('birthDate' in row) return 'Patient';
  if ('diagnosis' in row) return 'MedicalRecord';
  if ('specialty' in row) return 'Clinician';
  if ('title' in row) return 'Event';
  if ('day' in row) return 'Schedule';
  return 'Selection';
}

export const nodeResolvers: Resolvers<GatewayContext> = {
  Query: {
    node: (_root, { id }, context) => loadNode(context, requireViewer(context), id, 'id'),
    nodes: async (_root, { ids }, context) => {
      const viewer = requireViewer(context);
      const max = context.config.maxNodesIds;
      if (ids.length > max) {
        throw gatewayError('BAD_USER_INPUT', `Argument "ids" accepts at most ${max} ids, got ${ids.length}.`, {
          argument: 'ids',
          max,
        });
      }
      const settled = await Promise.allSettled(ids.map((id, index) => loadNode(context, viewer, id, `ids[${index}]`)));
      // graphql-js turns an Error item into null plus an error at that index, so siblings still resolve.
      return settled.map((result) => (result.status === 'fulfilled' ? result.value : (result.reason as NodeRow)));
    },
    viewer: (_root, _args, context) => requireViewer(context),
  },
  Node: {
    __resolveType: (row) => nodeTypeOf(row),
  },
  Viewer: {
    role: (viewer) => (viewer.role === 'admin' ? 'ADMIN' : viewer.role === 'clinician' ? 'CLINICIAN' : 'PATIENT'),
    subject: (viewer) => viewer.subject,
    patient: (viewer, _args, context) =>
      viewer.patientId == null ? null : context.loaders.patient.byId.load(viewer.patientId),
  },
};
