/**
 * useResponseCache: whole responses of read operations, cached through the
 * gateway's cache (src/cache) and invalidated by the same tags as fragments.
 *
 * - A query is looked up before execution under two keys, its PUBLIC one and
 *   the caller's PRIVATE one (document hash, operation name, variables; the
 *   private key adds role, subject and patient id). A hit is answered with no
 *   resolver and no SQL.
 * - After a miss, the response is stored when Apollo's cache-control plugin
 *   found every field hinted in the SDL (@cacheControl; no hint means
 *   maxAge 0, not cacheable), it has no errors, and no fragment bypassed the
 *   cache. Its TTL is the smallest maxAge of its fields, at most `maxTtlSeconds`;
 *   its scope decides the key; its tags are those of every fragment it read.
 * - The write-back is fenced at the sequence read by the lookup, before any
 *   resolver ran, so a response computed from data a mutation changed
 *   meanwhile is refused (see redis-tier.ts).
 * - With `exposeStats` (development), `extensions.cache` reports the response
 *   outcome (HIT, MISS, BYPASS) and the fragment hits, misses, coalesced
 *   loads, fills, fenced fills and invalidations of the request.
 *
 * Options: `cache`, `maxTtlSeconds` (CACHE_RESPONSE_TTL_SECONDS, 60),
 * `exposeStats` (on outside production).
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { Cache } from '../cache/cache.js';
import { decode } from '../cache/serialize.js';
import type { GatewayContext } from '../context.js';

export interface ResponseCacheOptions {
  readonly cache: Cache;
  readonly maxTtlSeconds: number;
  readonly exposeStats: boolean;
}

type Outcome = 'HIT' | 'MISS' | 'BYPASS';

/** JSON with object keys sorted, so equal variables give equal cache keys. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

export function useResponseCache({ cache, maxTtlSeconds, exposeStats }: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let outcome: Outcome = 'BYPASS';
      let keys: { PUBLIC: string; PRIVATE: string } | null = null;
      let fence: number | null = null;
      return {
        async responseForOperation({ operation, queryHash, request, contextValue }) {
          const { viewer, cacheSession } = contextValue;
          if (!cache.enabled || operation.operation !== 'query' || viewer === null) return null;
          const identity = createHash('sha256')
            .update(`${queryHash}\n${request.operationName ?? ''}\n${stableJson(request.variables ?? {})}`)
            .digest('base64url');
          keys = {
            PUBLIC: `response:${identity}:public`,
            PRIVATE: `response:${identity}:${createHash('sha256')
              .update(`${viewer.role}\n${viewer.subject}\n${viewer.patientId ?? ''}`)
              .digest('base64url')}`,
          };
          const [shared, own] = await cache.read(cacheSession, [keys.PUBLIC, keys.PRIVATE]);
          fence = cacheSession.degraded ? null : cacheSession.sequence;
          const text = own ?? shared;
          if (text === undefined) {
            outcome = 'MISS';
            return null;
          }
          outcome = 'HIT';
          const stored = decode<{ t: string[]; v: Record<string, unknown> }>(text);
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: stored.v } } };
        },

        async willSendResponse({ response, overallCachePolicy, contextValue }) {
          if (response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          const session = contextValue.cacheSession;
          if (outcome === 'MISS' && keys && fence !== null && !result.errors && result.data && !session.degraded) {
            const policy = overallCachePolicy.policyIfCacheable();
            if (policy) {
              const tags = [...session.tags];
              await cache.store(
                session,
                [
                  {
                    key: keys[policy.scope],
                    // Plain JSON: executed results hold serialized scalars only, no Dates.
                    value: JSON.stringify({ t: tags, v: result.data }),
                    tags,
                    ttlSeconds: Math.min(policy.maxAge, maxTtlSeconds),
                  },
                ],
                fence,
              );
            }
          }
          if (exposeStats && cache.enabled) {
            result.extensions = { ...result.extensions, cache: { response: outcome, ...session.stats } };
          }
        },
      };
    },
  };
}
