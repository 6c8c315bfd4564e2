/** Resolvers of MedicalRecord, its connection types and Query.record. */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { connectionResolvers } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';

export const recordResolvers: Resolvers<GatewayContext> = {
  Query: {
    record: async (_root, { id }, context) => {
      const viewer = requireViewer(context);
      const row = await context.loaders.record.byId.load(expectGlobalId(id, 'MedicalRecord'));
      return readable(viewer, 'MedicalRecord', row);
    },
  },
  MedicalRecord: {
    id: (row) => toGlobalId('MedicalRecord', row.id),
    patient: async (row, _args, context) => {
      const patient = await context.loaders.patient.byId.load(row.patientId);
      // The foreign key guarantees the patient; missing means it was deleted mid-request.
      if (!patient) throw gatewayError('NOT_FOUND', 'The patient of this record no longer exists.');
      return patient;
    },
    author: (row, _args, context) => (row.authorId == null ? null : context.loaders.clinician.byId.load(row.authorId)),
  },
  MedicalRecordConnection: connectionResolvers,
  MedicalRecordEdge: {},
};
