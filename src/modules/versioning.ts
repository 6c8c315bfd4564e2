/**
 * The outcome of an optimistic-locking update (`… WHERE id = ? AND version = ?`
 * followed by a read of the row in the same transaction), as the contract
 * reports it: the row, NOT_FOUND when it is gone, or CONFLICT carrying
 * `extensions.currentVersion`.
 *
 * Example:
 *   const row = versionedOutcome(await repo.updateVersioned(id, 3, changes, now), 'Patient', input.id, 3);
 */
import { gatewayError } from '../errors.js';

export function versionedOutcome<Row extends { version: number }>(
  outcome: { updated: boolean; row: Row | null },
  type: string,
  globalId: string,
  expectedVersion: number,
): Row {
  const { updated, row } = outcome;
  if (!row) throw gatewayError('NOT_FOUND', `${type} ${globalId} does not exist.`, { id: globalId });
  if (!updated) {
    throw gatewayError(
      'CONFLICT',
      `${type} ${globalId} is at version ${row.version}, not ${expectedVersion}; reload it and retry.`,
      { currentVersion: row.version, expectedVersion },
    );
  }
  return row;
}
