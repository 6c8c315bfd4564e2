/**
 * How cache values travel through Redis: JSON, with Date objects kept as
 * `{"$date": epochMillis}` so a row read from the cache is the same row
 * (Dates included) that the repository returned.
 *
 * Dates are swapped in and out by a walk over the value rather than by
 * JSON.stringify's replacer and JSON.parse's reviver: those call back for every
 * key, and on an event page's 2,000 selection rows the walk is four times
 * faster both ways (it was the gateway's top self-time under the S5 soak).
 *
 * Example:
 *   decode(encode({ id: 1, createdAt: new Date(0) })) // { id: 1, createdAt: Date(0) }
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** `value` with every Date replaced by `{ $date }`; objects without Dates are returned as they are (no copy). */
function withoutDates(value: object): unknown {
  if (value instanceof Date) return { $date: value.getTime() };
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    for (let index = 0; index < value.length; index += 1) {
      const item: unknown = value[index];
      if (item === null || typeof item !== 'object') continue;
      const replaced = withoutDates(item);
      if (replaced !== item) (copy ??= value.slice())[index] = replaced;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | null = null;
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (item === null || typeof item !== 'object') continue;
    const replaced = withoutDates(item);
    if (replaced !== item) (copy ??= { ...value })[key] = replaced;
  }
  return copy ?? value;
}

/** Turns every `{ $date }` object in a freshly parsed value back into a Date, in place. */
function withDates(value: Json): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index += 1) value[index] = withDates(value[index]!) as Json;
    return value;
  }
  if (typeof value.$date === 'number' && Object.keys(value).length === 1) return new Date(value.$date);
  for (const key in value) value[key] = withDates(value[key]!) as Json;
  return value;
}

export function encode(value: unknown): string {
  return JSON.stringify(value !== null && typeof value === 'object' ? withoutDates(value) : value);
}

export function decode<T>(text: string): T {
  const parsed = JSON.parse(text) as Json;
  // Whole responses hold no Date objects (their scalars are already serialized): skip the walk.
  return (text.includes('"$date"') ? withDates(parsed) : parsed) as T;
}

/**
 * The fence and tags of a stored entry (fragment or response), read from its first bytes without
 * parsing the rest: every entry starts with `{"f":F,"t":[…]`, and tags hold no `]`.
 *
 *   headerOf('{"f":12,"t":["Patient:1"],"v":{…}}') // { f: 12, t: ['Patient:1'] }
 */
export function headerOf(text: string): { readonly f: number; readonly t: readonly string[] } {
  return JSON.parse(`${text.slice(0, text.indexOf(']') + 1)}}`) as { f: number; t: string[] };
}
