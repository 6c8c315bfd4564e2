/**
 * useIdempotency: a mutation sent with an `Idempotency-Key` header runs at
 * most once per principal and key.
 *
 * - First request: the key is claimed (Redis `SET NX PX`, or an INSERT IGNORE
 *   into idempotency_keys when Redis is off), the mutation runs, and its
 *   response is stored with the request's fingerprint (document hash,
 *   operation name, variables).
 * - A retry with the same fingerprint gets the stored response again, with
 *   header `idempotent-replayed: true`; nothing runs.
 * - The same key with another fingerprint is BAD_USER_INPUT naming the key.
 * - A retry while the first is still running is CONFLICT.
 * - When the first attempt ends in SERVICE_UNAVAILABLE or INTERNAL_SERVER_ERROR
 *   the key is released, so a retry runs again.
 *
 * Keys are scoped to the whole principal (role, subject and, for patients,
 * the patient id: src/auth/token.ts principalKey), so two callers never see
 * each other's responses. Requests are compared by the one request
 * fingerprint (src/http/fingerprint.ts): the same variables with their keys
 * in another order are the same request. Queries ignore the header.
 *
 * Options: `store` (createRedisIdempotencyStore / createMySqlIdempotencyStore),
 * `ttlSeconds` (IDEMPOTENCY_TTL_SECONDS, default 24 h).
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLResponse } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { principalKey } from '../auth/token.js';
import type { GatewayContext } from '../context.js';
import type { Executor } from '../db/transaction.js';
import { gatewayError } from '../errors.js';
import { requestFingerprint } from '../http/fingerprint.js';
import { idempotencyRepository } from '../modules/idempotency/repository.js';
import type { Redis } from '../redis/client.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const RELEASING_CODES = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly fingerprint: string; readonly response: string | null };

/**
 * Where keys live. `db` is the request's own database handle (made on first use), so a store that keeps keys
 * in MySQL counts its statements in the request's SQL count; the Redis store never touches it.
 */
export interface IdempotencyStore {
  claim(scope: string, key: string, fingerprint: string, ttlSeconds: number, db: () => Executor): Promise<ClaimResult>;
  complete(scope: string, key: string, fingerprint: string, response: string, ttlSeconds: number, db: () => Executor): Promise<void>;
  release(scope: string, key: string, db: () => Executor): Promise<void>;
}

export function createRedisIdempotencyStore(redis: Redis, prefix: string): IdempotencyStore {
  const redisKey = (scope: string, key: string) =>
    `${prefix}idem:${createHash('sha256').update(scope).update('\n').update(key).digest('hex')}`;
  return {
    async claim(scope, key, fingerprint, ttlSeconds, db) {
      const name = redisKey(scope, key);
      const claimed = await redis.set(name, JSON.stringify({ fingerprint, response: null }), 'EX', ttlSeconds, 'NX');
      if (claimed === 'OK') return { claimed: true };
      const stored = await redis.get(name);
      // Expired between the two commands: take it now.
      if (stored === null) return this.claim(scope, key, fingerprint, ttlSeconds, db);
      const { fingerprint: storedFingerprint, response } = JSON.parse(stored) as { fingerprint: string; response: string | null };
      return { claimed: false, fingerprint: storedFingerprint, response };
    },
    async complete(scope, key, fingerprint, response, ttlSeconds) {
      await redis.set(redisKey(scope, key), JSON.stringify({ fingerprint, response }), 'EX', ttlSeconds, 'XX');
    },
    async release(scope, key) {
      await redis.del(redisKey(scope, key));
    },
  };
}

export function createMySqlIdempotencyStore(): IdempotencyStore {
  const expiry = (ttlSeconds: number) => new Date(Date.now() + ttlSeconds * 1000);
  return {
    async claim(scope, key, fingerprint, ttlSeconds, db) {
      const repository = idempotencyRepository(db());
      if (await repository.insertClaim(scope, key, fingerprint, expiry(ttlSeconds))) return { claimed: true };
      if (await repository.reclaimExpired(scope, key, fingerprint, new Date(), expiry(ttlSeconds))) return { claimed: true };
      const stored = await repository.find(scope, key);
      if (!stored) return this.claim(scope, key, fingerprint, ttlSeconds, db);
      return { claimed: false, fingerprint: stored.fingerprint, response: stored.status === 'done' ? stored.response : null };
    },
    async complete(scope, key, _fingerprint, response, ttlSeconds, db) {
      await idempotencyRepository(db()).complete(scope, key, response, expiry(ttlSeconds));
    },
    async release(scope, key, db) {
      await idempotencyRepository(db()).release(scope, key);
    },
  };
}

export function useIdempotency(options: { store: IdempotencyStore; ttlSeconds: number }): ApolloServerPlugin<GatewayContext> {
  const { store, ttlSeconds } = options;
  return {
    async requestDidStart({ request }) {
      // Nothing to do for a request without the header (every query, most mutations).
      if (request.http?.headers.get(IDEMPOTENCY_HEADER) === undefined) return;
      let claim: { scope: string; key: string; fingerprint: string } | null = null;
      let replay: GraphQLResponse | null = null;
      return {
        // Errors thrown here become GraphQL errors with their HTTP status; from responseForOperation
        // Apollo would turn them into an opaque 500 "Internal server error".
        async didResolveOperation({ request, operation, contextValue, queryHash }): Promise<void> {
          const key = request.http?.headers.get(IDEMPOTENCY_HEADER);
          if (key === undefined || operation?.operation !== 'mutation' || !contextValue.viewer) return;
          if (!KEY_PATTERN.test(key)) {
            throw gatewayError('BAD_USER_INPUT', 'Header "Idempotency-Key" must be 1..255 visible ASCII characters.', {
              header: 'Idempotency-Key',
            });
          }
          const scope = principalKey(contextValue.viewer);
          const fingerprint = requestFingerprint({ documentHash: queryHash, operationName: request.operationName, variables: request.variables });
          const result = await store.claim(scope, key, fingerprint, ttlSeconds, () => contextValue.db).catch(() => {
            // Without the key store a retry could write twice: refuse rather than run unguarded.
            throw gatewayError('SERVICE_UNAVAILABLE', 'Idempotency keys cannot be checked right now; retry later.');
          });
          if (result.claimed) {
            claim = { scope, key, fingerprint };
            return;
          }
          if (result.fingerprint !== fingerprint) {
            throw gatewayError(
              'BAD_USER_INPUT',
              `Idempotency-Key "${key}" was already used with a different request; use a new key for a new request.`,
              { header: 'Idempotency-Key', idempotencyKey: key },
            );
          }
          if (result.response === null) {
            throw gatewayError('CONFLICT', `The request with Idempotency-Key "${key}" is still running; retry shortly.`, {
              idempotencyKey: key,
            });
          }
          replay = {
            http: { status: undefined, headers: new HeaderMap([[REPLAYED_HEADER, 'true']]) },
            body: { kind: 'single', singleResult: JSON.parse(result.response) as FormattedExecutionResult },
          };
        },

        async responseForOperation(): Promise<GraphQLResponse | null> {
          return replay;
        },

        async willSendResponse({ response, contextValue }) {
          if (!claim) return;
          const db = () => contextValue.db;
          const { scope, key, fingerprint } = claim;
          claim = null;
          if (response.body.kind !== 'single') return store.release(scope, key, db);
          const result = response.body.singleResult;
          const failed = result.errors?.some((error) => RELEASING_CODES.has(String(error.extensions?.code))) ?? false;
          if (failed) await store.release(scope, key, db);
          else await store.complete(scope, key, fingerprint, JSON.stringify(result), ttlSeconds, db);
        },
      };
    },
  };
}
