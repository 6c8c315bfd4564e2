/**
 * Relay connections over keyset pages. Repositories fetch `first + 1` rows
 * strictly after a position; `toConnection` trims the extra row into
 * `hasNextPage`, and `connectionResolvers` resolves the connection types of the
 * SDL (edges, nodes, pageInfo, totalCount) for any row type.
 *
 * Example:
 *   const first = checkFirst(args.first, config.maxPageSize);    // BAD_USER_INPUT outside 0..100
 *   const rows = await repository.page({ limit: first + 1, after });
 *   return toConnection(rows, { first, after: args.after, cursorOf, totalCount: () => loader.load(key) });
 */
import { gatewayError } from '../errors.js';

export interface Edge<Row> {
  readonly cursor: string;
  readonly node: Row;
}

export interface Connection<Row> {
  readonly rows: Row[];
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly cursorOf: (row: Row) => string;
  /** Loaded only when `totalCount` is selected (batched by the caller's loader). */
  readonly totalCount: () => Promise<number>;
}

/** Checks a connection's `first` argument (0..max) and returns it. */
export function checkFirst(first: number | null | undefined, max: number, fallback: number): number {
  const value = first ?? fallback;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw gatewayError('BAD_USER_INPUT', `Argument "first" must be between 0 and ${max}, got ${String(first)}.`, {
      argument: 'first',
      min: 0,
      max,
    });
  }
  return value;
}

export function toConnection<Row>(
  rowsPlusOne: readonly Row[],
  options: {
    first: number;
    after: string | null | undefined;
    cursorOf: (row: Row) => string;
    totalCount: () => Promise<number>;
  },
): Connection<Row> {
  return {
    rows: rowsPlusOne.slice(0, options.first),
    hasNextPage: rowsPlusOne.length > options.first,
    // Forward-only pagination: there is something before us exactly when we started after a cursor.
    hasPreviousPage: options.after != null,
    cursorOf: options.cursorOf,
    totalCount: options.totalCount,
  };
}

export const connectionResolvers = {
  edges: <Row>(connection: Connection<Row>): Edge<Row>[] =>
    connection.rows.map((row) => ({ cursor: connection.cursorOf(row), node: row })),
  nodes: <Row>(connection: Connection<Row>): Row[] => connection.rows,
  pageInfo: <Row>(connection: Connection<Row>) => {
    const first = connection.rows[0];
    const last = connection.rows[connection.rows.length - 1];
    return {
      hasNextPage: connection.hasNextPage,
      hasPreviousPage: connection.hasPreviousPage,
      startCursor: first === undefined ? null : connection.cursorOf(first),
      endCursor: last === undefined ? null : connection.cursorOf(last),
    };
  },
  totalCount: <Row>(connection: Connection<Row>): Promise<number> => connection.totalCount(),
};
