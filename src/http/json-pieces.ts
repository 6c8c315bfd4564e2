/**
 * Large JSON answers as pieces: what `JSON.stringify` writes, cut into strings
 * of about PIECE_LENGTH characters, never one string.
 *
 * Why not one string: V8 keeps a string of more than 128 KB in its large-object
 * space, on freshly mapped memory, and `JSON.stringify` returns a rope that
 * must be flattened into one before Node can measure it (Content-Length) or
 * send it. On the bench machine, where a page fault costs about 14 µs, that
 * flatten took 862 µs for the 230 KB event page and 4–5 µs at 60–120 KB
 * (docs/performance.md, "Where the remaining gaps sit"). Pieces below that size
 * live in the young generation and are written by one `writev`. No library
 * writes JSON in bounded pieces with `JSON.stringify`'s exact output (streaming
 * serializers re-implement it in JavaScript, several times slower than the
 * native one); this module leaves every small subtree to `JSON.stringify` and
 * only walks the containers above them.
 *
 * The bytes are `JSON.stringify(value)`'s, for any value it accepts: members
 * that are undefined, functions or symbols are left out of objects and are
 * `null` in arrays, `toJSON` is honoured, non-finite numbers are `null`
 * (test/unit/json-pieces.test.ts compares them over generated values).
 *
 * Example:
 *   const pieces = stringifyInPieces({ data: { list: bigArray } });
 *   pieces.join('') === JSON.stringify({ data: { list: bigArray } }) // true
 *   pieces.every((piece) => piece.length < 2 * PIECE_LENGTH)       // unless one leaf string is longer
 */

/** About how long each piece grows before a new one starts (characters). */
export const PIECE_LENGTH = 32 * 1024;

/**
 * From what estimated length (characters) an answer is written in pieces: under it, one `JSON.stringify`
 * string of Latin-1 text stays below V8's large-object threshold (128 KB) and costs little to flatten. Text
 * with other characters takes two bytes per character, so its pieces of up to ~64K characters may reach
 * the threshold: the bytes stay right, only that piece's copy comes back.
 */
export const PIECES_FROM_LENGTH = 96 * 1024;

/**
 * A quick estimate of `JSON.stringify(value).length`: exact for strings without escapes and objects of
 * them, and for an array the longest of its first, middle and last elements times its length, so it walks
 * three elements per level, not the whole value. It only decides where to cut; the pieces are right
 * whatever it says.
 */
export function estimateJsonLength(value: unknown): number {
  if (value === null || value === undefined) return 4;
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 5;
    case 'object':
      break;
    default:
      return 0;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return 2;
    // The longest of the first, middle and last elements stands for all (a null first row, a failed one, is short).
    const sampled = Math.max(
      estimateJsonLength(value[0]),
      estimateJsonLength(value[value.length >> 1]),
      estimateJsonLength(value[value.length - 1]),
    );
    return value.length * (sampled + 1) + 1;
  }
  // `{`, then `"key":value` and a comma per member, less the last comma, then `}`.
  let length = 1;
  for (const key of Object.keys(value)) length += key.length + 4 + estimateJsonLength((value as Record<string, unknown>)[key]);
  return Math.max(length, 2);
}

class PieceWriter {
  readonly pieces: string[] = [];
  private current = '';

  constructor(private readonly pieceLength: number) {}

  append(text: string): void {
    this.current += text;
    if (this.current.length >= this.pieceLength) {
      this.pieces.push(this.current);
      this.current = '';
    }
  }

  finish(): string[] {
    if (this.current.length > 0) this.pieces.push(this.current);
    this.current = '';
    return this.pieces;
  }
}

/** Whether a value has its own toJSON (a Date), which JSON.stringify calls with the value's key. */
function hasToJson(value: unknown): boolean {
  return value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/**
 * Whether JSON.stringify writes `value` here in one call: a scalar, a value with its own toJSON, a boxed
 * primitive (written as its value, not as an object), or a short one.
 */
function writtenWhole(value: unknown, pieceLength: number): boolean {
  return (
    value === null ||
    typeof value !== 'object' ||
    hasToJson(value) ||
    value instanceof String ||
    value instanceof Number ||
    value instanceof Boolean ||
    estimateJsonLength(value) < pieceLength
  );
}

/**
 * JSON.stringify's text for the member or element `key` holding `value`, or undefined where it writes none.
 * A toJSON gets the key it would get from JSON.stringify over the holder (the member's name, the index).
 */
function wholeText(key: string, value: unknown): string | undefined {
  if (!hasToJson(value)) return JSON.stringify(value) as string | undefined;
  const holder = JSON.stringify({ [key]: value });
  return holder === '{}' ? undefined : holder.slice(JSON.stringify(key).length + 2, -1);
}

function write(value: object, out: PieceWriter, pieceLength: number): void {
  if (Array.isArray(value)) {
    out.append('[');
    for (let index = 0; index < value.length; index += 1) {
      if (index > 0) out.append(',');
      const element: unknown = value[index];
      // An element JSON.stringify has no text for (undefined, a function, a toJSON answering undefined) is null.
      if (writtenWhole(element, pieceLength)) out.append(wholeText(String(index), element) ?? 'null');
      else write(element as object, out, pieceLength);
    }
    out.append(']');
    return;
  }
  out.append('{');
  let first = true;
  for (const key of Object.keys(value)) {
    const member = (value as Record<string, unknown>)[key];
    let text: string | undefined;
    if (writtenWhole(member, pieceLength)) {
      // A member JSON.stringify has no text for is left out.
      text = wholeText(key, member);
      if (text === undefined) continue;
    }
    out.append(`${first ? '' : ','}${JSON.stringify(key)}:`);
    first = false;
    if (text !== undefined) out.append(text);
    else write(member as object, out, pieceLength);
  }
  out.append('}');
}

/**
 * `JSON.stringify(value)` as pieces of about `pieceLength` characters (a leaf string longer than that is one
 * piece of its own). `value` must be something JSON.stringify writes as an object or array; the caller
 * decides when it is worth it (`estimateJsonLength(value) >= PIECES_FROM_LENGTH`).
 */
export function stringifyInPieces(value: object, pieceLength = PIECE_LENGTH): string[] {
  const out = new PieceWriter(pieceLength);
  if (writtenWhole(value, pieceLength)) out.append(JSON.stringify(value) ?? 'null');
  else write(value, out, pieceLength);
  return out.finish();
}

/*
 * Which answers are written in pieces. The /graphql handler gives each request it runs a list for its
 * answer's pieces (`expectPieces`); the `large bodies` stage (src/plugins/large-bodies.ts) links that list
 * to the response's data; Apollo's `stringifyResult` (src/plugins/response-cache.ts) then fills it when the
 * answer is large (`writeInPieces`) and returns an empty body, which the handler writes as the pieces. A
 * request the handler did not start (executeOperation, a test calling executeHTTPGraphQLRequest) has no
 * list, and its body is JSON.stringify's.
 */
const PIECES_BY_REQUEST = new WeakMap<object, string[]>();
const PIECES_BY_DATA = new WeakMap<object, string[]>();

/** For the handler: the list this request's answer is written to when it is large (left empty otherwise). */
export function expectPieces(httpRequest: object): string[] {
  const pieces: string[] = [];
  PIECES_BY_REQUEST.set(httpRequest, pieces);
  return pieces;
}

/** Whether the handler runs this request and can write its answer in pieces. */
export function acceptsPieces(httpRequest: object | undefined): boolean {
  return httpRequest !== undefined && PIECES_BY_REQUEST.has(httpRequest);
}

/** For the stage: the response whose data this is belongs to that request. */
export function linkPieces(httpRequest: object | undefined, data: unknown): void {
  const pieces = httpRequest === undefined ? undefined : PIECES_BY_REQUEST.get(httpRequest);
  if (pieces && data !== null && typeof data === 'object') PIECES_BY_DATA.set(data, pieces);
}

/**
 * For `stringifyResult`: a large result of a request that accepts pieces is written into its list, and the
 * body Apollo carries is then empty (''); null means the caller writes the result as one string.
 */
export function writeInPieces(result: { readonly data?: unknown }): string | null {
  const { data } = result;
  const pieces = data !== null && typeof data === 'object' ? PIECES_BY_DATA.get(data) : undefined;
  if (!pieces || estimateJsonLength(result) < PIECES_FROM_LENGTH) return null;
  PIECES_BY_DATA.delete(data as object);
  pieces.push(...stringifyInPieces(result));
  return '';
}
