/**
 * Input checks shared by the mutations: trimming, lengths, dates, versions.
 * Every failure is BAD_USER_INPUT naming the field and saying what was
 * expected and what arrived; validation runs before any SQL, so a mutation
 * that fails it writes nothing.
 *
 * Example:
 *   requiredText('  Ada ', 'input.name', 200)  // 'Ada'
 *   requiredText('   ', 'input.name', 200)     // throws: Field "input.name" must be 1..200 characters after trimming, got 0.
 */
import { gatewayError } from '../errors.js';

export const LIMITS = {
  name: 200,
  email: 320,
  title: 200,
  diagnosis: 2000,
  longText: 20_000,
} as const;

function invalid(field: string, message: string, extra: Record<string, unknown> = {}): Error {
  return gatewayError('BAD_USER_INPUT', `Field "${field}" ${message}.`, { field, ...extra });
}

/** A trimmed string of 1..max characters. */
export function requiredText(value: string, field: string, max: number): string {
  const trimmed = value.trim();
  const length = characters(trimmed);
  if (length < 1 || length > max) {
    throw invalid(field, `must be 1..${max} characters after trimming, got ${length}`, { max });
  }
  return trimmed;
}

/** Characters as MySQL counts them for utf8mb4 (code points, not UTF-16 units). */
function characters(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

/** A trimmed string of at most max characters; empty becomes null; undefined stays undefined (unchanged). */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null | undefined {
  if (value === undefined || value === null) return value;
  const trimmed = value.trim();
  const length = characters(trimmed);
  if (length > max) throw invalid(field, `must be at most ${max} characters, got ${length}`, { max });
  return trimmed === '' ? null : trimmed;
}

/** For update inputs: a field that may be omitted but not set to null. */
export function notNull<T>(value: T | null | undefined, field: string): T | undefined {
  if (value === null) throw invalid(field, 'cannot be null; omit it to keep the stored value');
  return value;
}

export function email(value: string | null | undefined, field: string): string | null | undefined {
  if (value == null) return value;
  const trimmed = value.trim().toLowerCase();
  if (trimmed.length > LIMITS.email) throw invalid(field, `must be at most ${LIMITS.email} characters`);
  return trimmed;
}

/** A `YYYY-MM-DD` date that is not after today (UTC) and not before 1900. */
export function pastDate(value: string, field: string, today = new Date().toISOString().slice(0, 10)): string {
  if (value > today) throw invalid(field, `must not be in the future, got ${value}`);
  if (value < '1900-01-01') throw invalid(field, `must not be before 1900-01-01, got ${value}`);
  return value;
}

export function version(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalid(field, `must be a positive version number, got ${value}`);
  return value;
}

/** At most `max` items. */
export function boundedList<T>(values: readonly T[], field: string, max: number, min = 0): readonly T[] {
  if (values.length < min || values.length > max) {
    throw invalid(field, `must hold ${min}..${max} items, got ${values.length}`, { max });
  }
  return values;
}
