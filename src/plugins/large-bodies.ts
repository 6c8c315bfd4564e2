/**
 * useLargeBodies: an executed answer estimated at 96 KB or more
 * (`PIECES_FROM_LENGTH`) reaches the client as pieces of about 32 KB
 * (src/http/json-pieces.ts), never as one string. One string of that size
 * sits in V8's large-object space, and measuring and sending it made V8 copy
 * it to fresh memory first: 862 µs for the 230 KB event page on the bench
 * machine. With pieces the uncached event page gained about 5% (median of
 * four interleaved rounds, docs/performance.md).
 *
 * The stage links the response's data to the list the /graphql handler gave
 * the request (`linkPieces`); `stringifyResult` fills it. The bytes, their
 * Content-Length and the final newline are the same as with one string.
 * Requests the handler did not start get no hooks.
 *
 * Options: none.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { acceptsPieces, linkPieces } from '../http/json-pieces.js';

/** It reads nothing of the context, so it fits any server (the unit test runs it without the gateway's). */
export function useLargeBodies<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart({ request }) {
      if (!acceptsPieces(request.http)) return;
      return {
        async willSendResponse({ request: answered, response }) {
          if (response.body.kind === 'single') linkPieces(answered.http, response.body.singleResult.data);
        },
      };
    },
  };
}
