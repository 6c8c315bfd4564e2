/**
 * Opaque, tamper-evident keyset cursors.
 *
 * A cursor is `base64url(JSON position) + "." + HMAC(connection, position)`:
 * `position` is the sort key of the row it points at (e.g. createdAt ms and
 * id) and `connection` names the list it came from (e.g.
 * `Patient:42.records|ACTIVE`). The connection is signed but not carried, so
 * cursors stay short and a cursor of another list fails the signature check. Paging continues strictly after that key, so rows inserted between
 * two page reads can never make a page repeat or skip an item that existed
 * before (keyset, no OFFSET). A hand-edited cursor fails the HMAC; a cursor of
 * another connection fails it too; both are BAD_USER_INPUT.
 *
 * Example:
 *   const codec = createCursorCodec('secret');
 *   const cursor = codec.encode('patients', [1700000000000, 42]);
 *   codec.decode(cursor, 'patients', 'after') // [1700000000000, 42]
 *   codec.decode(cursor, 'events', 'after')   // throws BAD_USER_INPUT
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayError } from '../errors.js';

export type CursorPosition = readonly (string | number)[];

export interface CursorCodec {
  encode(connection: string, position: CursorPosition): string;
  /** The position in `cursor`, checked against `connection`; BAD_USER_INPUT naming `argument` otherwise. */
  decode(cursor: string, connection: string, argument?: string): CursorPosition;
}

const MAX_CURSOR_LENGTH = 512;

export function createCursorCodec(secret: string): CursorCodec {
  const sign = (connection: string, payload: string) =>
    createHmac('sha256', secret).update(connection).update('\n').update(payload).digest().subarray(0, 16);

  return {
    encode(connection, position) {
      const payload = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
      return `${payload}.${sign(connection, payload).toString('base64url')}`;
    },
    decode(cursor, connection, argument = 'after') {
      const invalid = (why: string) =>
        gatewayError('BAD_USER_INPUT', `Argument "${argument}" is not a valid cursor for this list: ${why}.`, {
          argument,
        });
      if (cursor.length > MAX_CURSOR_LENGTH) throw invalid('it is too long');
      const [payload, signature, ...extra] = cursor.split('.');
      if (!payload || !signature || extra.length > 0) throw invalid('it is malformed');
      // Compared as text: Buffer's base64url decoding skips characters outside the alphabet and ignores the
      // spare bits of the last one, so `sig!` or `sig` with its last character changed decode to the same bytes.
      const expected = Buffer.from(sign(connection, payload).toString('base64url'), 'utf8');
      const given = Buffer.from(signature, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw invalid('it was issued for another list, or has been altered');
      }
      const position: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!Array.isArray(position)) throw invalid('it is malformed');
      return position as CursorPosition;
    },
  };
}
