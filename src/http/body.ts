/**
 * Checks on a request body's bytes, before JSON.parse: `verifyBody` is
 * express.json's `verify` option. It refuses with 400 BAD_REQUEST a body that
 * is not UTF-8 (the bytes, not a charset label: invalid sequences would
 * otherwise become U+FFFD and be stored as such), that is not a JSON object or
 * batch (`"text"`, `42`, `null`), or that nests objects and arrays deeper than
 * MAX_JSON_DEPTH levels (10,000 levels parse, but overflow the stack of every
 * recursive walk after the parser: JSON.stringify, variable coercion); another
 * declared charset is 415. GET's `variables` and `extensions` get the same
 * depth check (src/http/graphql-request.ts).
 *
 * Example:
 *   app.use('/graphql', express.json({ limit, verify: verifyBody }));
 *   // a refused body reaches the error handler as { type: 'gateway.body.refused', status, message }
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The deepest nesting of objects and arrays a request may carry (the contract's inputs need 5). */
export const MAX_JSON_DEPTH = 64;

/**
 * A body refused by `verifyBody`. body-parser passes it on with this status and type; the
 * server's body error handler answers BAD_REQUEST with the message.
 */
export class BodyError extends Error {
  readonly type = 'gateway.body.refused';
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const BYTE = { quote: 0x22, backslash: 0x5c, openArray: 0x5b, closeArray: 0x5d, openObject: 0x7b, closeObject: 0x7d };

/** Whether JSON text nests objects and arrays deeper than `max`; strings are skipped, so `"[[["` is depth 0. */
export function nestsDeeperThan(json: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index += 1) {
    const byte = json[index];
    if (inString) {
      if (byte === BYTE.backslash) index += 1;
      else if (byte === BYTE.quote) inString = false;
    } else if (byte === BYTE.quote) {
      inString = true;
    } else if (byte === BYTE.openArray || byte === BYTE.openObject) {
      if (++depth > max) return true;
    } else if (byte === BYTE.closeArray || byte === BYTE.closeObject) {
      depth -= 1;
    }
  }
  return false;
}

/** The first byte that is not JSON whitespace (after a UTF-8 byte order mark, which the decoder drops), or undefined. */
function firstSignificantByte(body: Uint8Array): number | undefined {
  let index = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0;
  while (index < body.length && (body[index] === 0x20 || body[index] === 0x09 || body[index] === 0x0a || body[index] === 0x0d)) index += 1;
  return body[index];
}

/** express.json's `verify`: see the module comment. An empty body passes (it is refused as missing later). */
export function verifyBody(_req: IncomingMessage, _res: ServerResponse, body: Buffer, encoding: string | null): void {
  if (encoding !== null && encoding !== 'utf-8') {
    throw new BodyError(`The request body must be UTF-8 JSON (application/json; charset=utf-8), got charset ${encoding}.`, 415);
  }
  if (!isUtf8(body)) throw new BodyError('The request body is not valid UTF-8.');
  const first = firstSignificantByte(body);
  if (first !== undefined && first !== BYTE.openObject && first !== BYTE.openArray) {
    throw new BodyError('The request body must be a JSON object: {"query": "...", "variables": {...}, "operationName": "...", "extensions": {...}}.');
  }
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new BodyError(`The request body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels.`);
  }
}
