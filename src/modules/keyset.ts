/**
 * Keyset helpers shared by the repositories: the `(created_at, id)` position
 * newest-first lists page after, and the predicate that continues strictly
 * after it. Written as `a < x OR (a = x AND id < y)` rather than a row
 * comparison so MySQL and MariaDB both turn it into an index range.
 */
import { and, eq, lt, or, type SQL } from 'drizzle-orm';
import type { MySqlColumn } from 'drizzle-orm/mysql-core';
import { gatewayError } from '../errors.js';
import type { CursorPosition } from '../relay/cursor.js';

export interface CreatedAtPosition {
  readonly createdAt: Date;
  readonly id: number;
}

export function createdAtPositionOf(row: { createdAt: Date; id: number }): CursorPosition {
  return [row.createdAt.getTime(), row.id];
}

/** Reads a `(createdAt ms, id)` cursor position; BAD_USER_INPUT if it has another shape. */
export function toCreatedAtPosition(position: CursorPosition): CreatedAtPosition {
  const [millis, id] = position;
  if (position.length !== 2 || !Number.isSafeInteger(millis) || !Number.isSafeInteger(id)) {
    throw gatewayError('BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list: it is malformed.', {
      argument: 'after',
    });
  }
  return { createdAt: new Date(millis as number), id: id as number };
}

/** Rows strictly after `position` in `ORDER BY createdAt DESC, id DESC`. */
export function afterCreatedAt(createdAt: MySqlColumn, id: MySqlColumn, position: CreatedAtPosition): SQL {
  return or(lt(createdAt, position.createdAt), and(eq(createdAt, position.createdAt), lt(id, position.id)))!;
}
