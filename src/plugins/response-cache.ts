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
 * - The entry carries the fence read by the lookup, before any resolver ran,
 *   and the tags of what it holds: a response computed from data a mutation
 *   changed meanwhile is refused at write-back, and one a mutation changes
 *   later is never served again (see redis-tier.ts).
 * - Single flight: a miss whose response the same caller is already computing
 *   (a request fenced at least as late) waits for it and answers with its
 *   bytes (COALESCED), so the first reads after an invalidation compute the
 *   page once, not once per connection.
 * - With `exposeStats` (development), `extensions.cache` reports the response
 *   outcome (HIT, COALESCED, MISS, BYPASS) and the fragment hits, misses, coalesced
 *   loads, fills, fenced fills and invalidations of the request.
 *
 * - A GET gets HTTP caching headers from the same policy (setHttpCaching),
 *   so a persisted query by hash can sit in a browser or CDN cache; on a hit
 *   the stored policy is restored, its max-age reduced by the entry's age.
 *
 * Options: `cache`, `maxTtlSeconds` (CACHE_RESPONSE_TTL_SECONDS, 60),
 * `exposeStats` (on outside production).
 */
import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import type { FormattedExecutionResult } from 'graphql';
import { principalKey } from '../auth/token.js';
import type { Cache } from '../cache/cache.js';
import { requestFingerprint } from '../http/fingerprint.js';
import { writeInPieces } from '../http/json-pieces.js';
import type { GatewayContext } from '../context.js';

export interface ResponseCacheOptions {
  readonly cache: Cache;
  readonly maxTtlSeconds: number;
  readonly exposeStats: boolean;
}

type Outcome = 'HIT' | 'COALESCED' | 'MISS' | 'BYPASS';

/**
 * A cached response is `<header JSON>\n<body>`: the header holds its tags and the cache policy it
 * was computed under; the body is the response as the client receives it, `{"data":…}\n`, kept as
 * text and never parsed on a hit (JSON.stringify never writes a raw newline, so the first one splits
 * them). A hit writes a slice of the text Redis returned: building `{"data":` + text + `}` per hit made
 * Node flatten a 300 KB concatenation to measure it (`Buffer.byteLength` took a third of the event
 * page's warm CPU). Entries of this shape live under their own keys (RESPONSE_KEYS), so an instance of
 * an older version, which stored the data alone, never reads one.
 */
const RESPONSE_KEYS = 'response:w:';

interface StoredHeader {
  /** The fence the response was computed under; first, then `t`, as the Redis scripts read them (redis-tier.ts). */
  readonly f: number;
  readonly t: string[];
  readonly p: { readonly scope: 'PUBLIC' | 'PRIVATE'; readonly expiresAt: number };
}

/**
 * Data objects and the response body text that stands for them: a hit hands Apollo a placeholder
 * as its `data`, and a miss that was stored registers the data it stringified; `stringifyResult`
 * (Apollo's option, set in src/pipeline.ts) then writes that text instead of stringifying again. A hit
 * costs no JSON.parse and no JSON.stringify of the data, which for a 200 KB event page was most of
 * its CPU, and a stored miss stringifies its data once.
 */
const RAW_BODY = new WeakMap<object, string>();

/**
 * Apollo's `stringifyResult`: `JSON.stringify(result)`, less the final newline Apollo's own adds, which
 * the /graphql handler writes as a chunk of its own (src/http/graphql-handler.ts writeComplete: appending
 * it here would make a 300 KB concatenation for Node to flatten). Data with a registered body is written
 * from that text: verbatim when the result holds nothing else (the bytes of the response cached, as the
 * slice Redis returned, newline included), spliced with the other members (`extensions`) when it does.
 * A large executed answer of a request the /graphql handler runs goes out as pieces instead
 * (src/http/json-pieces.ts `writeInPieces`), and the string returned here is then empty.
 */
export function stringifyResult(result: FormattedExecutionResult): string {
  const body = result.data ? RAW_BODY.get(result.data) : undefined;
  // A large answer of a request the /graphql handler runs is written as pieces (src/plugins/large-bodies.ts).
  if (body === undefined) return writeInPieces(result) ?? JSON.stringify(result);
  const others = Object.entries(result).filter(([key, value]) => key !== 'data' && value !== undefined);
  if (others.length === 0) return body;
  // `{"data":…}` without its closing brace (and newline), then the other members.
  const open = body.slice(0, body.lastIndexOf('}'));
  return `${open},${others.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
}

/**
 * HTTP caching of a GET (a persisted query by hash is a stable URL): the SDL's
 * policy as `max-age=N, public|private`, `no-store` when it is not cacheable.
 * Every answer depends on the bearer token (no token, no data) and on the
 * negotiated media type, hence the Vary.
 */
function setHttpCaching(headers: HeaderMap, policy: { maxAge: number; scope?: 'PUBLIC' | 'PRIVATE' } | null): void {
  headers.set('cache-control', policy ? `max-age=${policy.maxAge}, ${(policy.scope ?? 'PUBLIC').toLowerCase()}` : 'no-store');
  const vary = new Set((headers.get('vary') ?? '').split(',').map((name) => name.trim()).filter(Boolean));
  vary.add('Authorization').add('Accept');
  headers.set('vary', [...vary].join(', '));
}

export function useResponseCache({ cache, maxTtlSeconds, exposeStats }: ResponseCacheOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue, request }) {
      // Caching off, or no caller (every field fails UNAUTHENTICATED): nothing is looked up or stored, and only a
      // GET needs this plugin (for its HTTP caching headers).
      if ((!cache.enabled || contextValue.viewer === null) && request.http?.method !== 'GET') return;
      let outcome: Outcome = 'BYPASS';
      let keys: { PUBLIC: string; PRIVATE: string } | null = null;
      let fence: number | null = null;
      /** Ends this request's flight with what it stored (see below); null when it is not the leader. */
      let share: ((text: string | null) => void) | null = null;
      return {
        async responseForOperation({ operation, queryHash, request, contextValue, overallCachePolicy }) {
          const { viewer, cacheSession } = contextValue;
          // No operation: Apollo answers OPERATION_RESOLUTION_FAILURE after this hook.
          if (!cache.enabled || operation?.operation !== 'query' || viewer === null) return null;
          const identity = requestFingerprint({ documentHash: queryHash, operationName: request.operationName, variables: request.variables });
          keys = {
            PUBLIC: `${RESPONSE_KEYS}${identity}:public`,
            PRIVATE: `${RESPONSE_KEYS}${identity}:${createHash('sha256').update(principalKey(viewer)).digest('base64url')}`,
          };
          const [shared, own] = await cache.read(cacheSession, [keys.PUBLIC, keys.PRIVATE], { alternatives: true });
          fence = cacheSession.degraded ? null : cacheSession.sequence;
          let text = own ?? shared;
          if (text === undefined && fence !== null) {
            // Single flight: right after an invalidation, every connection asking for the same page would
            // otherwise compute it at once. A request already computing it for this caller, fenced at least
            // as late as this one, answers for both.
            const leader = cache.follow(keys.PRIVATE, fence);
            if (leader) text = (await leader) ?? undefined;
            else share = cache.lead(keys.PRIVATE, fence);
            if (text !== undefined) outcome = 'COALESCED';
          }
          if (text === undefined) {
            outcome = 'MISS';
            return null;
          }
          const split = text.indexOf('\n');
          if (split < 0) {
            outcome = 'MISS'; // written by an older version of this plugin
            return null;
          }
          if (outcome !== 'COALESCED') outcome = 'HIT';
          const header = JSON.parse(text.slice(0, split)) as StoredHeader;
          // The policy the response was computed under, for the HTTP Cache-Control of a GET; its age counts.
          overallCachePolicy.replace({ maxAge: Math.max(0, Math.floor((header.p.expiresAt - Date.now()) / 1000)), scope: header.p.scope });
          const data = {};
          RAW_BODY.set(data, text.slice(split + 1));
          return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data } } };
        },

        async willSendResponse({ request, response, overallCachePolicy, contextValue }) {
          try {
            if (response.body.kind !== 'single') return;
            const result = response.body.singleResult;
            const session = contextValue.cacheSession;
            if (outcome === 'MISS' && keys && fence !== null && !result.errors && result.data && !session.degraded) {
              const policy = overallCachePolicy.policyIfCacheable();
              if (policy) {
                const tags = [...session.tags];
                // Plain JSON: executed results hold serialized scalars only, no Dates. The client gets the same text.
                const body = JSON.stringify({ data: result.data });
                RAW_BODY.set(result.data, body);
                const value = `${JSON.stringify({
                  f: fence,
                  t: tags,
                  p: { scope: policy.scope, expiresAt: Date.now() + policy.maxAge * 1000 },
                } satisfies StoredHeader)}\n${body}\n`;
                // Followers get it now, not after the write-back: it is theirs whether or not Redis admits it.
                share?.(value);
                await cache.store(session, [{ key: keys[policy.scope], value, tags, ttlSeconds: Math.min(policy.maxAge, maxTtlSeconds) }], fence);
              }
            }
            if (request.http?.method === 'GET') setHttpCaching(response.http.headers, result.errors ? null : overallCachePolicy.policyIfCacheable());
            if (exposeStats && cache.enabled) {
              result.extensions = { ...result.extensions, cache: { response: outcome, ...session.stats } };
            }
          } finally {
            // Whatever happened, the flight ends (a second call is a no-op): followers never wait for nothing.
            share?.(null);
            share = null;
          }
        },
      };
    },
  };
}
