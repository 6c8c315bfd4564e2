/**
 * Resolvers of MedicalRecord, its connection types and Query.record; the prefetcher of
 * `MedicalRecord.author`; and the record mutations, which hand their arguments to the service (./service.ts).
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { connectionResolvers } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { registerPrefetcher } from '../../execution/prefetch.js';
import { known, whenLoaded } from '../batching.js';
import type { ClinicianRow } from '../clinician/repository.js';
import type { PageRow, RecordRow } from './repository.js';
import { recordService } from './service.js';

/**
 * The author a records page joined to its row (`recordReads.pagesByPatient`),
 * or undefined for a row read without the join (`record(id)`, `node`).
 * Kept on the row rather than primed into the clinician loader: the request's
 * statement count then does not depend on whether an organizer elsewhere in
 * the document happens to be one of the authors.
 */
function joinedAuthor(row: RecordRow): ClinicianRow | undefined {
  const joined = row as Partial<PageRow>;
  if (row.authorId == null || typeof joined.authorName !== 'string') return undefined;
  return { id: row.authorId, name: joined.authorName, specialty: joined.authorSpecialty ?? null, createdAt: joined.authorCreatedAt! };
}

registerPrefetcher('MedicalRecord.author', async (parents, _args, context) => {
  const authors = (parents as RecordRow[]).flatMap((row) => (row.authorId == null || joinedAuthor(row) ? [] : [row.authorId]));
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
    author: (row, _args, context) =>
      row.authorId == null ? null : (joinedAuthor(row) ?? known(context.loaders.clinician.byId, row.authorId)),
  },
  MedicalRecordConnection: connectionResolvers,
  MedicalRecordEdge: {},
  Mutation: {
    createRecord: (_root, { input }, context) => recordService(context).create(input),
    updateRecord: (_root, { input }, context) => recordService(context).update(input),
    deleteRecords: (_root, { ids }, context) => recordService(context).deleteMany(ids),
  },
};
