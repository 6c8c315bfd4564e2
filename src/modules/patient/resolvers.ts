/** Resolvers of Patient, its connection types and the patient entry points of Query. */
import type { PatientFilter, Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { checkFirst, connectionResolvers, toConnection } from '../../relay/connection.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { createdAtPositionOf, toCreatedAtPosition } from '../keyset.js';
import { LIMITS, searchText } from '../validation.js';
import type { PatientListFilter } from './repository.js';

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
    records: async (row, { first, after, status }, context, info) => {
      const size = checkFirst(first, context.config.maxPageSize, info);
      const connection = recordsConnectionName(row.id, status);
      const position = after != null ? toCreatedAtPosition(context.cursors.decode(after, connection)) : null;
      const rows = await context.loaders.record.pageByPatient.load({
        patientId: row.id,
        status: status ?? null,
        after: position,
        limit: size + 1,
      });
      return toConnection(rows, {
        first: size,
        after,
        cursorOf: (record) => context.cursors.encode(connection, createdAtPositionOf(record)),
        totalCount: () => context.loaders.record.countByPatient.load({ patientId: row.id, status: status ?? null }),
      });
    },
    recordCount: (row, { status }, context) =>
      context.loaders.record.countByPatient.load({ patientId: row.id, status: status ?? null }),
    selections: async (row, { eventId }, context) => {
      const viewer = requireViewer(context);
      const event = eventId == null ? null : expectGlobalId(eventId, 'Event', 'eventId');
      const rows = await context.loaders.selection.byPatient.load({ patientId: row.id, eventId: event });
      return rows.filter((selection) => readable(viewer, 'Selection', selection));
    },
  },
  PatientConnection: connectionResolvers,
  PatientEdge: {},
};
