/**
 * src/http/json-pieces.ts without a server: `stringifyInPieces` writes exactly
 * JSON.stringify's text for generated values (odd members included: undefined,
 * functions, symbols, toJSON, boxed primitives, sparse arrays, non-finite
 * numbers), at piece lengths from 1 character up, and keeps pieces bounded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateJsonLength, PIECE_LENGTH, PIECES_FROM_LENGTH, stringifyInPieces } from '../../src/http/json-pieces.js';

/** Values JSON.stringify writes without throwing (no BigInt, no cycles), with the members it treats specially. */
const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant(-0),
  fc.date({ noInvalidDate: true }),
  fc.constant({ toJSON: () => undefined }),
  fc.string().map((text) => ({ toJSON: (key: string) => `${key}:${text}` })),
);
const values = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.anything({ withBoxedValues: true, withMap: true, withSet: true, withNullPrototype: true, withSparseArray: true, withDate: true, withBigInt: false }),
    odd,
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('stringifyInPieces', () => {
  it('writes what JSON.stringify writes, at any piece length', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 6 }), values, { maxKeys: 6 }), fc.integer({ min: 1, max: 64 }), (value, pieceLength) => {
        expect(stringifyInPieces(value, pieceLength).join('')).toBe(JSON.stringify(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes what JSON.stringify writes for arrays at the top', () => {
    fc.assert(
      fc.property(fc.array(values, { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (value, pieceLength) => {
        expect(stringifyInPieces(value, pieceLength).join('')).toBe(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('cuts a large answer into pieces of about PIECE_LENGTH, none near the large-object size', () => {
    // The event page's shape: 336 slots of 15 selections with a patient's name each, non-ASCII names included.
    const page = {
      data: {
        event: {
          schedules: Array.from({ length: 336 }, (_slot, slot) => ({
            date: '2026-12-01',
            time: '07:00',
            selectionCount: 15,
            selections: Array.from({ length: 15 }, (_pick, pick) => ({ patient: { name: `Zoë Ångström ${slot * 15 + pick}` } })),
          })),
        },
      },
    };
    const text = JSON.stringify(page);
    expect(text.length).toBeGreaterThan(200_000);
    const pieces = stringifyInPieces(page);
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(text.length / (2 * PIECE_LENGTH));
    for (const piece of pieces) expect(piece.length).toBeLessThan(2 * PIECE_LENGTH);
  });

  it('keeps a leaf longer than a piece whole, in a piece of its own size', () => {
    const long = 'x'.repeat(3 * PIECE_LENGTH);
    const value = { a: [1, 2], b: long, c: { d: [long, 3] } };
    const pieces = stringifyInPieces(value);
    expect(pieces.join('')).toBe(JSON.stringify(value));
    expect(Math.max(...pieces.map((piece) => piece.length))).toBeLessThan(long.length + 2 * PIECE_LENGTH);
  });

  it('throws where JSON.stringify throws (a BigInt deep in a large answer)', () => {
    const value = { list: Array.from({ length: 5000 }, (_item, index) => ({ index, label: `item ${index}` })), last: { big: 1n } };
    expect(() => JSON.stringify(value)).toThrow(TypeError);
    expect(() => stringifyInPieces(value)).toThrow(TypeError);
  });
});

describe('estimateJsonLength', () => {
  it('is exact for objects of strings, and close for lists of like elements', () => {
    const row = { name: 'Ada Lovelace', status: 'ACTIVE' };
    expect(estimateJsonLength(row)).toBe(JSON.stringify(row).length);
    const list = Array.from({ length: 1000 }, () => row);
    expect(estimateJsonLength(list)).toBe(JSON.stringify(list).length);
  });

  it('puts the event page above PIECES_FROM_LENGTH and a 20-row page below it', () => {
    const selections = Array.from({ length: 15 }, (_pick, pick) => ({ patient: { name: `Patient Name ${pick}` } }));
    const eventPage = { data: { event: { schedules: Array.from({ length: 336 }, () => ({ date: '2026-12-01', time: '07:00', selectionCount: 15, selections })) } } };
    const patientPage = { data: { patients: { nodes: Array.from({ length: 20 }, (_row, index) => ({ id: `UGF0aWVudDo${index}`, name: `Patient ${index}`, records: { nodes: [] } })) } } };
    expect(estimateJsonLength(eventPage)).toBeGreaterThanOrEqual(PIECES_FROM_LENGTH);
    expect(estimateJsonLength(patientPage)).toBeLessThan(PIECES_FROM_LENGTH);
  });
});
