/**
 * Relay connections over keyset pages. Repositories fetch `first + 1` rows
 * strictly after a position; `toConnection` trims the extra row into
 * `hasNextPage`, and `connectionResolvers` resolves the connection types of the
 * SDL (edges, nodes, pageInfo, totalCount) for any row type.
 *
 * Example:
 *   const first = checkFirst(args.first, config.maxPageSize, info); // BAD_USER_INPUT outside 0..100; null: the SDL default
 *   const rows = await repository.page({ limit: first + 1, after });
 *   return toConnection(rows, { first, after: args.after, cursorOf, totalCount: () => loader.load(key) });
 */
import type { GraphQLResolveInfo } from 'graphql';
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

const defaults = new WeakMap<object, number>();

/**
 * The `first` default the SDL declares on the field being resolved (`records(first: Int = 10)`). A `first`
 * sent as null gets it too, the size the cost analysis (src/limits/analysis.ts) charges for a null: one
 * source, the SDL, for both.
 */
function declaredFirst(info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>): number {
  const field = info.parentType.getFields()[info.fieldName];
  if (!field) throw new Error(`${info.parentType.name}.${info.fieldName} is not in the schema.`);
  let value = defaults.get(field);
  if (value === undefined) {
    const declared = field.args.find((argument) => argument.name === 'first')?.defaultValue;
    if (typeof declared !== 'number') throw new Error(`${info.parentType.name}.${info.fieldName} declares no default for "first".`);
    defaults.set(field, (value = declared));
  }
  return value;
}

/** Checks a connection's `first` argument (0..max; absent or null: the SDL's default) and returns it. */
export function checkFirst(first: number | null | undefined, max: number, info: Pick<GraphQLResolveInfo, 'parentType' | 'fieldName'>): number {
  const value = first ?? declaredFirst(info);
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
