/**
 * Input checks shared by the domain services (e.g. src/modules/patient/service.ts): trimming,
 * lengths, dates, versions.
 * Every failure is BAD_USER_INPUT naming the field and saying what was
 * expected and what arrived; validation runs before any SQL, so a mutation
 * that fails it writes nothing.
 *
 * Text is stored verbatim (after trimming): quotes, backslashes, `%`, `_`,
 * backticks, NUL and other control characters, astral characters and
 * bidirectional marks all read back exactly as sent. Refused are only
 * strings MySQL cannot store as sent: an unpaired UTF-16 surrogate (JSON
 * allows "\ud800"; utf8mb4 would store U+FFFD instead), and long text over
 * the 65,535 bytes of a TEXT column (20,000 astral characters are 80,000
 * bytes).
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

/** The most UTF-8 bytes a TEXT column (treatment, notes, description) holds. */
export const TEXT_COLUMN_BYTES = 65_535;

function invalid(field: string, message: string, extra: Record<string, unknown> = {}): Error {
  return gatewayError('BAD_USER_INPUT', `Field "${field}" ${message}.`, { field, ...extra });
}

/** The index of the first unpaired surrogate, or -1 when `value` is well-formed Unicode. */
function unpairedSurrogate(value: string): number {
  return value.search(/\p{Surrogate}/u);
}

/** BAD_USER_INPUT unless `value` is well-formed Unicode text (no unpaired surrogate), which utf8mb4 stores as sent. */
export function storableText(value: string, field: string): void {
  const at = unpairedSurrogate(value);
  if (at >= 0) {
    const unit = value.charCodeAt(at).toString(16).toUpperCase();
    throw invalid(field, `must be well-formed Unicode text, got an unpaired surrogate (U+${unit}) at index ${at}`);
  }
}

/** A trimmed string of 1..max characters. */
export function requiredText(value: string, field: string, max: number): string {
  storableText(value, field);
  const trimmed = value.trim();
  const length = characters(trimmed);
  if (length < 1 || length > max) {
    throw invalid(field, `must be 1..${max} characters after trimming, got ${length}`, { max });
  }
  return trimmed;
}

/** Characters as MySQL counts them for utf8mb4 (code points, not UTF-16 units). */
export function characters(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

/** A trimmed string of at most max characters and TEXT_COLUMN_BYTES bytes; empty becomes null; undefined stays undefined (unchanged). */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null | undefined {
  if (value === undefined || value === null) return value;
  storableText(value, field);
  const trimmed = value.trim();
  const length = characters(trimmed);
  if (length > max) throw invalid(field, `must be at most ${max} characters, got ${length}`, { max });
  const bytes = Buffer.byteLength(trimmed, 'utf8');
  if (bytes > TEXT_COLUMN_BYTES) {
    throw invalid(field, `must be at most ${TEXT_COLUMN_BYTES} bytes of UTF-8, got ${bytes}`, { max, maxBytes: TEXT_COLUMN_BYTES });
  }
  return trimmed === '' ? null : trimmed;
}

/**
 * A search string (e.g. `nameContains`), kept verbatim: no longer than the column it searches,
 * since a longer one can never match and would only cost a scan.
 */
export function searchText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === undefined || value === null) return null;
  const length = characters(value);
  if (length > max) throw invalid(field, `must be at most ${max} characters, got ${length}`, { max });
  return value;
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
