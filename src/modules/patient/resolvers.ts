/**
 * Resolvers of Patient, its connection types, the patient entry points of Query, and the patient
 * mutations, which hand their arguments to the service (./service.ts). The patient list and
 * `Patient.records` load what their children select for all of them at once, and register the prefetchers
 * of `Patient.records` and `Patient.recordCount` (src/execution/prefetch.ts).
 */
import type { PatientFilter, Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { checkFirst, connectionResolvers, toConnection } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { createdAtPositionOf, toCreatedAtPosition } from '../keyset.js';
import { LIMITS, searchText } from '../validation.js';
import { getNamedType, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import { connectionNodeSelections, prefetchConnectionNodes, registerPrefetcher } from '../../execution/prefetch.js';
import { known } from '../batching.js';
import type { RecordPageKey } from '../record/loaders.js';
import type { RecordRow, RecordStatusValue } from '../record/repository.js';
import type { PatientListFilter, PatientRow } from './repository.js';
import { patientService } from './service.js';

function listFilter(filter: PatientFilter | null | undefined): PatientListFilter {
  return {
    isActive: filter?.isActive ?? null,
    nameContains: searchText(filter?.nameContains, 'filter.nameContains', LIMITS.name),
    bornAfter: filter?.bornAfter ?? null,
    bornBefore: filter?.bornBefore ?? null,
  };
}

/** Cursors of records(status:) only continue the same patient's list with the same status. */
export const recordsConnectionName = (patientId: number, status: string | null | undefined) =>
  `Patient:${patientId}.records|${status ?? ''}`;

/** The page `Patient.records` loads for a patient: its loader key, size and cursor namespace (the prefetcher makes the same). */
function recordsPage(
  patientId: number,
  args: { first?: number | null; after?: string | null; status?: RecordStatusValue | null },
  context: GatewayContext,
  info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>,
): { key: RecordPageKey; size: number; connection: string } {
  const size = checkFirst(args.first, context.config.maxPageSize, info);
  const connection = recordsConnectionName(patientId, args.status);
  const position = args.after != null ? toCreatedAtPosition(context.cursors.decode(args.after, connection)) : null;
  return { key: { patientId, status: args.status ?? null, after: position, limit: size + 1 }, size, connection };
}

registerPrefetcher('Patient.records', async (parents, args, context, field, info) => {
  const patientType = info.schema.getType('Patient') as GraphQLObjectType;
  const pages = (parents as PatientRow[]).map((row) => recordsPage(row.id, args, context, { parentType: patientType, fieldName: 'records' }));
  const loaded = await context.loaders.record.pageByPatient.loadMany(pages.map((page) => page.key));
  const rows = loaded.flatMap((page, index) => (page && !(page instanceof Error) ? page.rows.slice(0, pages[index]!.size) : []));
  const connection = getNamedType(patientType.getFields().records!.type) as GraphQLObjectType;
  return { rows, type: 'MedicalRecord', selections: connectionNodeSelections(field, connection, info) };
});

registerPrefetcher(
  'Patient.recordCount',
  async (parents, args, context) => {
    const status = (args.status as RecordStatusValue | null | undefined) ?? null;
    const counts = context.loaders.record.countByPatient;
    // A first page of records with the same status, loaded just before, counted them already.
    const missing = (parents as PatientRow[]).filter((row) => counts.peek({ patientId: row.id, status }) === undefined);
    if (missing.length > 0) await counts.loadMany(missing.map((row) => ({ patientId: row.id, status })));
    return null;
  },
  { after: 'records' },
);

export const patientResolvers: Resolvers<GatewayContext> = {
  Query: {
    patient: async (_root, { id }, context) => {
      const viewer = requireViewer(context);
      const row = await context.loaders.patient.byId.load(expectGlobalId(id, 'Patient'));
      return readable(viewer, 'Patient', row);
    },
    patients: async (_root, { first, after, filter }, context, info) => {
      const viewer = requireViewer(context);
      const size = checkFirst(first, context.config.maxPageSize, info);
      const base = listFilter(filter);
      const connection = `patients|${JSON.stringify(base)}`;
      const position = after != null ? toCreatedAtPosition(context.cursors.decode(after, connection)) : null;
      // A patient sees themselves in the list and nobody else.
      const visible: PatientListFilter = viewer.role === 'patient' ? { ...base, onlyId: viewer.patientId } : base;
      const rows = await context.loaders.patient.page.load({ filter: visible, after: position, limit: size + 1 });
      await prefetchConnectionNodes(rows.slice(0, size), 'Patient', info, context);
      return toConnection(rows, {
        first: size,
        after,
        cursorOf: (row) => context.cursors.encode(connection, createdAtPositionOf(row)),
        totalCount: () => context.loaders.patient.count.load(visible),
      });
    },
  },
  Patient: {
    id: (row) => toGlobalId('Patient', row.id),
    records: (row, args, context, info) => {
      const page = recordsPage(row.id, args, context, info);
      const toPage = (rows: RecordRow[]) =>
        toConnection(rows, {
          first: page.size,
          after: args.after,
          cursorOf: (record) => context.cursors.encode(page.connection, createdAtPositionOf(record)),
          totalCount: () => context.loaders.record.countByPatient.load({ patientId: row.id, status: args.status ?? null }),
        });
      const loader = context.loaders.record.pageByPatient;
      const loaded = loader.peek(page.key);
      if (loaded !== undefined) return toPage(loaded.rows);
      return loader.load(page.key).then(async ({ rows }) => {
        await prefetchConnectionNodes(rows.slice(0, page.size), 'MedicalRecord', info, context);
        return toPage(rows);
      });
    },
    recordCount: (row, { status }, context) => known(context.loaders.record.countByPatient, { patientId: row.id, status: status ?? null }),
    selections: async (row, { eventId }, context) => {
      const viewer = requireViewer(context);
      const event = eventId == null ? null : expectGlobalId(eventId, 'Event', 'eventId');
      const rows = await context.loaders.selection.byPatient.load({ patientId: row.id, eventId: event });
      return rows.filter((selection) => readable(viewer, 'Selection', selection));
    },
  },
  PatientConnection: connectionResolvers,
  PatientEdge: {},
  Mutation: {
    createPatient: (_root, { input }, context) => patientService(context).create(input),
    updatePatient: (_root, { input }, context) => patientService(context).update(input),
    deletePatient: (_root, { id }, context) => patientService(context).delete(id),
  },
};
