/**
 * How cache values travel through Redis: JSON, with Date objects kept as
 * `{"$date": epochMillis}` so a row read from the cache is the same row
 * (Dates included) that the repository returned.
 *
 * Example:
 *   decode(encode({ id: 1, createdAt: new Date(0) })) // { id: 1, createdAt: Date(0) }
 */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
    const original = this[key];
    return original instanceof Date ? { $date: original.getTime() } : replaced;
  });
}

export function decode<T>(text: string): T {
  // Whole responses hold no Date objects (their scalars are already serialized): skip the reviver, which costs.
  if (!text.includes('"$date"')) return JSON.parse(text) as T;
  return JSON.parse(text, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && '$date' in value && Object.keys(value).length === 1
      ? new Date((value as { $date: number }).$date)
      : value,
  ) as T;
}
