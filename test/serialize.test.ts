/**
 * The cache's value encoding (src/cache/serialize.ts): rows survive Redis with
 * their Dates, nothing else is turned into a Date, and encoding never changes
 * the value it was given (loaders keep using it).
 */
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../src/cache/serialize.js';

describe('cache value encoding', () => {
  it('round-trips rows, lists of rows and nested values with their Dates', () => {
    const row = { id: 7, name: 'Alice', createdAt: new Date('2026-01-02T03:04:05.678Z'), deletedAt: null };
    const rows = [row, { ...row, id: 8, createdAt: new Date(0) }];
    expect(decode(encode(row))).toEqual(row);
    expect(decode<typeof rows>(encode(rows))[1]!.createdAt).toBeInstanceOf(Date);
    expect(decode(encode(rows))).toEqual(rows);
    expect(decode(encode({ page: { rows, total: 2 } }))).toEqual({ page: { rows, total: 2 } });
    expect(decode(encode([[new Date(5)], []]))).toEqual([[new Date(5)], []]);
    expect(decode(encode(new Date(9)))).toEqual(new Date(9));
  });

  it('keeps scalars, null and look-alikes as they are', () => {
    for (const value of [null, 0, 42, 'text', true, [], {}, [1, 'two', null]]) expect(decode(encode(value))).toEqual(value);
    // Only an object that is exactly { $date: number } is a Date.
    expect(decode(encode({ $date: 5, other: 1 }))).toEqual({ $date: 5, other: 1 });
    expect(decode(encode({ $date: '5' }))).toEqual({ $date: '5' });
    expect(decode(encode({ note: '{"$date":5}' }))).toEqual({ note: '{"$date":5}' });
  });

  it('never changes the value it encodes', () => {
    const createdAt = new Date(1000);
    const rows = [{ id: 1, createdAt }];
    encode(rows);
    expect(rows[0]!.createdAt).toBe(createdAt);
    expect(encode(rows)).toBe('[{"id":1,"createdAt":{"$date":1000}}]');
  });
});
