/**
 * Query.searchRecords and its connection types. The resolver turns the
 * arguments into the filter the caller may see (a patient only ever searches
 * their own records, whatever `patientId` says), loads one page through the
 * search loader, and loads what the page's records select (patient, author)
 * for all of them at once, as the other lists do.
 */
import { getNamedType, type GraphQLObjectType, type GraphQLResolveInfo } from 'graphql';
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { readable, requireViewer } from '../../auth/policy.js';
import type { GatewayContext } from '../../context.js';
import { gatewayError } from '../../errors.js';
import { prefetchConnectionNodes, selectedFields } from '../../execution/prefetch.js';
import { checkFirst, connectionResolvers, toConnection } from '../../relay/connection.js';
import type { CursorPosition } from '../../relay/cursor.js';
import { expectGlobalId } from '../../relay/global-id.js';
import { createdAtPositionOf, toCreatedAtPosition } from '../keyset.js';
import type { SearchOrder, SearchPosition, SearchReads, SearchRow } from './repository.js';
import { parseSearchQuery } from './words.js';

/** A RELEVANCE cursor's position: a finite score and a row id; BAD_USER_INPUT for anything else. */
function toScorePosition(position: CursorPosition): SearchPosition {
  const [score, id] = position;
  if (position.length !== 2 || typeof score !== 'number' || !Number.isFinite(score) || !Number.isSafeInteger(id)) {
    throw gatewayError('BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list: it is malformed.', { argument: 'after' });
  }
  return { score, id: id as number };
}

/** Whether the operation selects `totalCount`, and `edges { score }`, on this searchRecords field. */
function readsOf(info: GraphQLResolveInfo): SearchReads {
  const connection = getNamedType(info.returnType) as GraphQLObjectType;
  const edge = info.schema.getType('RecordSearchEdge') as GraphQLObjectType;
  let score = false;
  let matched = false;
  for (const [, nodes] of selectedFields(info.fieldNodes, connection, info)) {
    const name = nodes[0]!.name.value;
    if (name === 'totalCount') matched = true;
    if (name === 'edges') for (const [, edgeFields] of selectedFields(nodes, edge, info)) if (edgeFields[0]!.name.value === 'score') score = true;
  }
  return { score, matched };
}

const cursorPositionOf: Record<SearchOrder, (row: SearchRow) => CursorPosition> = {
  RELEVANCE: (row) => [row.score!, row.id],
  NEWEST: createdAtPositionOf,
};

export const searchResolvers: Resolvers<GatewayContext> = {
  Query: {
    searchRecords: async (_root, args, context, info) => {
      const viewer = requireViewer(context);
      const size = checkFirst(args.first, context.config.maxPageSize, info);
      const rules = await context.fullTextRules();
      const { words } = parseSearchQuery(args.query, rules);
      const requested = args.patientId == null ? null : expectGlobalId(args.patientId, 'Patient', 'patientId');
      const order: SearchOrder = args.orderBy ?? 'RELEVANCE';
      const status = args.status ?? null;
      // The words as the index sees them (not the query's spelling): "Asthma!" continues "asthma"'s pages.
      const connection = `searchRecords|${JSON.stringify([words, status, requested, order])}`;
      const decoded = args.after == null ? null : context.cursors.decode(args.after, connection);
      const after = decoded === null ? null : order === 'RELEVANCE' ? toScorePosition(decoded) : toCreatedAtPosition(decoded);
      // A patient finds their own records only; naming another patient finds nothing.
      const patientId = viewer.role === 'patient' ? viewer.patientId : requested;
      const nothing = words.length === 0 || (viewer.role === 'patient' && requested !== null && requested !== viewer.patientId);
      const filter = { words, status, patientId, byPattern: rules.wholeWords };
      const rows = nothing ? [] : await context.loaders.search.page.load({ filter, order, after, limit: size + 1, reads: readsOf(info) });
      const visible = rows.filter((row) => readable(viewer, 'MedicalRecord', row) !== null);
      await prefetchConnectionNodes(visible.slice(0, size), 'MedicalRecord', info, context);
      return toConnection(visible, {
        first: size,
        after: args.after,
        cursorOf: (row) => context.cursors.encode(connection, cursorPositionOf[order](row)),
        totalCount: async () => (nothing ? 0 : context.loaders.search.count.load(filter)),
      });
    },
  },
  RecordSearchConnection: connectionResolvers,
  RecordSearchEdge: {
    // Read whenever an operation selects it (readsOf), so never missing here.
    score: (edge) => edge.node.score!,
  },
};
