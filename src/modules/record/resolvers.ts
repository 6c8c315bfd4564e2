/** Resolvers of MedicalRecord, its connection types and Query.record; the prefetcher of `MedicalRecord.author`. */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { connectionResolvers } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { registerPrefetcher } from '../../execution/prefetch.js';
import { known, whenLoaded } from '../batching.js';
import type { RecordRow } from './repository.js';

registerPrefetcher('MedicalRecord.author', async (parents, _args, context) => {
  const authors = (parents as RecordRow[]).flatMap((row) => (row.authorId == null ? [] : [row.authorId]));
  if (authors.length > 0) await context.loaders.clinician.byId.loadMany(authors);
  return null;
});

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
    patient: (row, _args, context) =>
      whenLoaded(known(context.loaders.patient.byId, row.patientId), (patient) => {
        // The foreign key guarantees the patient; missing means it was deleted mid-request.
        if (!patient) throw gatewayError('NOT_FOUND', 'The patient of this record no longer exists.');
        return patient;
      }) as never,
    author: (row, _args, context) => (row.authorId == null ? null : known(context.loaders.clinician.byId, row.authorId)),
  },
  MedicalRecordConnection: connectionResolvers,
  MedicalRecordEdge: {},
};
