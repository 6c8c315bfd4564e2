/**
 * Keyset helpers shared by the repositories: the `(created_at, id)` position
 * newest-first lists page after, and the predicate that continues strictly
 * after it. Written as `a < x OR (a = x AND id < y)` rather than a row
 * comparison so MySQL and MariaDB both turn it into an index range.
 *
 * Example:
 *   const after = afterCreatedAt(column(patients.createdAt), column(patients.id));
 *   `… WHERE ${after.sql} ORDER BY created_at DESC, id DESC` with after.params(position)
 */
import { dateTimeText, millisOf, type DateTimeText } from '../db/sql.js';
import { gatewayError } from '../errors.js';
import type { CursorPosition } from '../relay/cursor.js';

export interface CreatedAtPosition {
  /** The row's created_at, as MySQL writes it. */
  readonly createdAt: DateTimeText;
  readonly id: number;
}

export function createdAtPositionOf(row: { createdAt: DateTimeText; id: number }): CursorPosition {
  return [millisOf(row.createdAt), row.id];
}

/** Reads a `(createdAt ms, id)` cursor position; BAD_USER_INPUT if it has another shape. */
export function toCreatedAtPosition(position: CursorPosition): CreatedAtPosition {
  const [millis, id] = position;
  if (position.length !== 2 || !Number.isSafeInteger(millis) || !Number.isSafeInteger(id) || Number.isNaN(new Date(millis as number).getTime())) {
    throw gatewayError('BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list: it is malformed.', {
      argument: 'after',
    });
  }
  return { createdAt: dateTimeText(new Date(millis as number)), id: id as number };
}

/** Rows strictly after a position in `ORDER BY createdAt desc, id DESC`: the SQL (three placeholders) and its parameters. */
export function afterCreatedAt(createdAt: string, id: string): { sql: string; params: (position: CreatedAtPosition) => unknown[] } {
  return {
    sql: `(${createdAt} < ? or (${createdAt} = ? and ${id} < ?))`,
    params: (position) => [position.createdAt, position.createdAt, position.id],
  };
}
