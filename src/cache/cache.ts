/**
 * The gateway's one cache API: fragments (rows by id, per-parent lists and
 * pages, counts) under the loaders, whole responses under the response-cache
 * plugin, and tag invalidation after mutations.
 *
 * Tiers: Redis shared by every instance (see redis-tier.ts for the fence and
 * the epoch), and an optional in-process L1 kept in step by pub/sub. With
 * REDIS_URL=off or no Redis at start, the L1 is the only tier and the same
 * guarantees hold for the one instance.
 *
 * A request works through a `CacheSession`: its first cache read fixes the
 * session's fence (the invalidation sequence, read before any MySQL read of
 * the request), and every fragment it touches adds its tags to the session,
 * so a whole response can be stored under the tags of everything it holds.
 *
 * Example (a loader batch function):
 *   const byId = (ids: readonly number[]) =>
 *     cache.loadFragments(session, {
 *       name: 'Patient',
 *       keyOf: (id) => id,
 *       tagsOf: (id, row) => (row ? [tags.patient(id)] : [tags.patient(id), tags.absent('Patient')]),
 *     }, ids, (missing) => reads.rows(BY_IDS, [missing]).then(...));
 *
 *   // after a mutation commits, before it returns:
 *   await cache.invalidate(session, [tags.patient(42), tags.patients]);
 */
import type { Redis } from '../redis/client.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { LocalTier, type TierEntry } from './local-tier.js';
import { RedisTier } from './redis-tier.js';
import { decode, encode, headerOf } from './serialize.js';

/** How one loader's values are cached. */
export interface FragmentSpec<K, V> {
  /** Names the fragment kind in cache keys, e.g. 'Patient' or 'Patient.records'. */
  readonly name: string;
  /** The key's part of the cache key; equal keys must give equal strings. */
  keyOf(key: K): string | number;
  /** Tags the value depends on: its own entity, its list, and every row it holds. */
  tagsOf(key: K, value: V): readonly string[];
  /** Sees every value, cached or loaded (loaders prime their by-id loader here). */
  onValue?(key: K, value: V): void;
}

/** Per-request cache state: the fence, the tags touched, and what happened (extensions.cache). */
export class CacheSession {
  /**
   * The fence this request works under, read before its first MySQL read (the tier's `fence`: the
   * invalidation sequence, or on a cluster the completed watermark); null until then.
   */
  sequence: number | null = null;
  /** Tags of every fragment this request read, cached or not. */
  readonly tags = new Set<string>();
  /** A fragment bypassed the cache (Redis failed): the response must not be stored. */
  degraded = false;
  readonly stats = { hits: 0, misses: 0, coalesced: 0, fills: 0, fenced: 0, invalidations: 0 };
}

export { headerOf };

/** Test-only hooks into the load path. */
export interface CacheHooks {
  /** Runs after a fragment batch was read from MySQL and before it is written back. */
  afterLoad?(names: readonly string[]): Promise<void> | void;
}

interface Flight {
  readonly fence: number;
  readonly result: Promise<{ value: unknown; tags: readonly string[] }>;
}

/**
 * A fragment entry: `f` the fence it was read under, `t` the tags it depends
 * on, `v` the value. `f` and `t` come first, in that order: the Redis scripts
 * read them from the entry's first bytes (see redis-tier.ts).
 */
interface Stored {
  readonly f: number;
  readonly t: readonly string[];
  readonly v: unknown;
}

export interface CacheOptions {
  readonly config: Config;
  readonly redis: Redis | null;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly hooks?: CacheHooks;
}

export interface Cache {
  readonly enabled: boolean;
  /** 'redis' when Redis is the shared tier, 'local' when the in-process tier is the only one, 'off'. */
  readonly mode: 'redis' | 'local' | 'off';
  session(): CacheSession;
  /** Cached values of `keys` in key order, loading the missing ones with `load` (one call) and storing them. */
  loadFragments<K, V>(
    session: CacheSession,
    spec: FragmentSpec<K, V>,
    keys: readonly K[],
    load: (missing: readonly K[]) => Promise<readonly (V | Error)[]>,
  ): Promise<(V | Error)[]>;
  /**
   * Raw entries by key (undefined when absent or outdated); fixes the session's fence if not yet fixed.
   * With `alternatives`, the keys are one lookup (a response's public and private keys): the metrics
   * count one hit if any key was found, else one miss.
   */
  read(session: CacheSession, keys: readonly string[], options?: { readonly alternatives?: boolean }): Promise<(string | undefined)[]>;
  /** Stores entries fenced at `fence` (a `session.sequence` taken before the data was read). */
  store(session: CacheSession, entries: readonly TierEntry[], fence: number): Promise<void>;
  /** Invalidates `tags` everywhere; resolves once Redis (or the L1) has dropped them. */
  invalidate(session: CacheSession | null, tags: readonly string[]): Promise<void>;
  /**
   * Single flight for values computed outside `loadFragments` (whole responses): the result of a
   * computation of `key` already under way by a request whose fence is at least `fence` (so its MySQL
   * reads see every write this request must see), or undefined when there is none. Resolves to what
   * the leader shared, or null when it had nothing to share (errors, not cacheable).
   *
   * Example (the response cache):
   *   const text = await cache.follow(key, fence);            // undefined: nobody is computing it
   *   const share = text === undefined ? cache.lead(key, fence) : null;
   *   …execute…; share?.(storedText ?? null);                 // always called, once
   */
  follow(key: string, fence: number): Promise<string | null> | undefined;
  /** Starts a flight of `key` at `fence` (see `follow`); the returned function ends it with what followers get. */
  lead(key: string, fence: number): (shared: string | null) => void;
  close(): Promise<void>;
}

export function createCache({ config, redis, logger, metrics, hooks }: CacheOptions): Cache {
  const counter = (name: string, help: string) =>
    new Counter({ name, help, labelNames: ['kind'] as const, registers: [metrics] });
  const meters = {
    hits: counter('gateway_cache_hits_total', 'Cache entries found (kind: fragment or response).'),
    localHits: counter('gateway_cache_l1_hits_total', 'Of the hits, those the in-process tier (L1) answered without Redis (kind: fragment or response).'),
    misses: counter('gateway_cache_misses_total', 'Cache entries not found (kind: fragment or response).'),
    coalesced: counter('gateway_cache_coalesced_total', 'Misses served by another request’s load (kind: fragment or response).'),
    fills: counter('gateway_cache_fills_total', 'Entries written to the cache.'),
    fenced: counter('gateway_cache_fenced_fills_total', 'Entries refused at write-back: invalidated after they were read.'),
    outdated: counter(
      'gateway_cache_outdated_total',
      'Entries found but not served: a tag they depend on was invalidated after they were read (counted as misses too).',
    ),
    invalidations: counter('gateway_cache_invalidations_total', 'Invalidations sent after mutations (kind: tags).'),
    redisErrors: counter('gateway_redis_errors_total', 'Redis cache commands that failed (kind: redis).'),
    breakerRefusals: counter('gateway_redis_breaker_refusals_total', 'Redis cache commands the open circuit breaker skipped.'),
  };

  const ttlSeconds = config.cacheFragmentTtlSeconds;
  const enabled = config.cacheEnabled && (redis !== null || config.cacheL1MaxEntries > 0);
  const local =
    enabled && config.cacheL1MaxEntries > 0
      ? new LocalTier({ maxEntries: config.cacheL1MaxEntries, maxBytes: config.cacheL1MaxBytes, ttlMs: ttlSeconds * 1000 })
      : null;
  // A gateway that does not cache (CACHE_ENABLED=0) still belongs to a deployment whose other instances may:
  // its writes must bump the shared tag generations, or those instances would go on serving what it changed.
  const shared =
    redis
      ? new RedisTier({
          redis,
          keyPrefix: config.redisKeyPrefix,
          local,
          breakerFailures: config.redisBreakerFailures,
          breakerCooldownMs: config.redisBreakerCooldownMs,
          generationTtlSeconds: config.cacheGenerationTtlSeconds,
          logger,
          onError: () => meters.redisErrors.inc({ kind: 'redis' }),
          onRefused: () => meters.breakerRefusals.inc({ kind: 'redis' }),
          waitReplicas: config.redisWaitReplicas,
          waitTimeoutMs: config.redisWaitTimeoutMs,
          invalidationRetryMs: config.cacheInvalidationRetryMs,
          commandTimeoutMs: config.redisCommandTimeoutMs,
        })
      : null;
  // Hits and misses since start, per kind, for the ratio gauge (prom-client counters can only be read asynchronously).
  const looked = { fragment: { hits: 0, misses: 0 }, response: { hits: 0, misses: 0 } };
  new Gauge({
    name: 'gateway_cache_hit_ratio',
    help: 'Share of cache lookups answered from the cache since start (kind: fragment, response, or all); 0 before any lookup.',
    labelNames: ['kind'] as const,
    registers: [metrics],
    collect() {
      const ratio = ({ hits, misses }: { hits: number; misses: number }) => (hits + misses > 0 ? hits / (hits + misses) : 0);
      this.set({ kind: 'fragment' }, ratio(looked.fragment));
      this.set({ kind: 'response' }, ratio(looked.response));
      this.set(
        { kind: 'all' },
        ratio({ hits: looked.fragment.hits + looked.response.hits, misses: looked.fragment.misses + looked.response.misses }),
      );
    },
  });
  new Gauge({
    name: 'gateway_redis_breaker_open',
    help: 'Whether the Redis circuit breaker is open, skipping Redis (1) or closed (0); 0 without a Redis tier.',
    registers: [metrics],
    collect() {
      this.set(shared?.breakerOpen ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gateway_redis_connected',
    help: 'Whether the Redis connection is ready (1) or not (0); 0 when the gateway runs without Redis.',
    registers: [metrics],
    collect() {
      this.set(redis?.status === 'ready' ? 1 : 0);
    },
  });
  const inFlight = new Map<string, Flight>();

  const kindOf = (key: string): 'response' | 'fragment' => (key.startsWith('response:') ? 'response' : 'fragment');

  /**
   * Reads `keys[index]` for each of `indices` from Redis into `found` (fixing the session's fence if it is
   * not fixed yet), and hands what it found to the L1.
   */
  const readShared = async (session: CacheSession, keys: readonly string[], indices: readonly number[], found: (string | undefined)[]) => {
    const { sequence, fence, outdated, values } = await shared!.read(indices.map((index) => keys[index]!));
    session.sequence ??= fence;
    if (outdated > 0) meters.outdated.inc({ kind: kindOf(keys[indices[0]!]!) }, outdated);
    indices.forEach((index, position) => {
      const value = values[position] ?? undefined;
      found[index] = value;
      if (value === undefined || !local) return;
      // The L1 takes what Redis served under the fence rule, at the fence the tier vouches for (one Redis:
      // the read's sequence, its script checked the tags atomically; a cluster: the entry's own fence),
      // refusing any entry whose tag it has since seen invalidated.
      const header = headerOf(value);
      local.store([{ key: keys[index]!, value, tags: header.t }], shared!.promotionFence(sequence, header.f));
    });
  };

  const cache: Cache = {
    enabled,
    mode: !enabled ? 'off' : shared ? 'redis' : 'local',

    session: () => new CacheSession(),

    async read(session, keys, options) {
      if (!enabled) return keys.map(() => undefined);
      const found = new Array<string | undefined>(keys.length).fill(undefined);
      if (shared) {
        if (session.degraded) return found;
        // The L1 first: what it holds goes to Redis only if the L1 turns out not to be current for this request.
        const fromLocal: number[] = [];
        const fromRedis: number[] = [];
        keys.forEach((key, index) => {
          const value = local && shared.linked ? local.get(key) : undefined;
          if (value === undefined) return fromRedis.push(index);
          found[index] = value;
          fromLocal.push(index);
        });
        try {
          // One round trip: the fence (on the request's first read) and whatever the L1 did not have.
          if (fromRedis.length > 0 || session.sequence === null) await readShared(session, keys, fromRedis, found);
          if (fromLocal.length > 0) {
            // Once the L1 has applied every invalidation up to the request's fence, what it holds *now* is current:
            // looked up again, since an invalidation applied while the fence was being read deleted what it hit.
            // Otherwise (its pub/sub is behind), a second round trip reads those keys from Redis.
            const current = shared.localCurrent(session.sequence!);
            const again = fromLocal.filter((index) => (found[index] = current ? local!.get(keys[index]!) : undefined) === undefined);
            if (again.length < fromLocal.length) meters.localHits.inc({ kind: kindOf(keys[fromLocal[0]!]!) }, fromLocal.length - again.length);
            if (again.length > 0) await readShared(session, keys, again, found);
          }
        } catch {
          for (const index of fromLocal) found[index] = undefined;
          session.degraded = true;
        }
      } else if (local) {
        session.sequence ??= local.sequence;
        keys.forEach((key, index) => (found[index] = local.get(key)));
      }
      const count = (kind: 'fragment' | 'response', hit: boolean) => {
        (hit ? meters.hits : meters.misses).inc({ kind });
        looked[kind][hit ? 'hits' : 'misses'] += 1;
      };
      if (options?.alternatives) {
        if (keys.length > 0) count(kindOf(keys[0]!), found.some((value) => value !== undefined));
      } else {
        for (const [index, value] of found.entries()) count(kindOf(keys[index]!), value !== undefined);
      }
      return found;
    },

    async store(session, entries, fence) {
      if (!enabled || entries.length === 0 || session.degraded) return;
      let stored: boolean[];
      if (shared) {
        try {
          stored = await shared.store(entries, fence, ttlSeconds);
        } catch {
          session.degraded = true;
          return;
        }
        // Only what Redis admitted may enter the L1; the L1 applies its own fence on top.
        if (local) local.store(entries.filter((_entry, index) => stored[index]), fence);
      } else {
        stored = local!.store(entries, fence);
      }
      const fills = stored.filter(Boolean).length;
      session.stats.fills += fills;
      session.stats.fenced += stored.length - fills;
      meters.fills.inc({ kind: kindOf(entries[0]!.key) }, fills);
      meters.fenced.inc({ kind: kindOf(entries[0]!.key) }, stored.length - fills);
    },

    async loadFragments<K, V>(
      session: CacheSession,
      spec: FragmentSpec<K, V>,
      keys: readonly K[],
      load: (missing: readonly K[]) => Promise<readonly (V | Error)[]>,
    ) {
      if (!enabled) {
        const values = [...(await load(keys))];
        if (spec.onValue) values.forEach((value, index) => value instanceof Error || spec.onValue!(keys[index]!, value));
        return values;
      }
      const names = keys.map((key) => `${spec.name}:${spec.keyOf(key)}`);
      const cached = await cache.read(session, names);
      const results = new Array<V | Error>(keys.length);
      const take = (index: number, value: V, tags: readonly string[]) => {
        results[index] = value;
        for (const tag of tags) session.tags.add(tag);
        spec.onValue?.(keys[index]!, value);
      };
      const missing: number[] = [];
      cached.forEach((text, index) => {
        if (text === undefined) return missing.push(index);
        const entry = decode<Stored>(text);
        session.stats.hits += 1;
        take(index, entry.v as V, entry.t);
      });
      if (missing.length === 0) return results;

      // Stampede protection: a key already being loaded by a request whose fence is at least ours
      // (so its MySQL read started after every invalidation we must see) is awaited, not reloaded.
      const fence = session.degraded ? null : session.sequence;
      const followers: number[] = [];
      const leaders: number[] = [];
      for (const index of missing) {
        const flight = fence === null ? undefined : inFlight.get(names[index]!);
        (flight && flight.fence >= fence! ? followers : leaders).push(index);
      }
      const settle = new Map<string, { resolve: (v: { value: unknown; tags: readonly string[] }) => void; reject: (e: unknown) => void }>();
      if (fence !== null) {
        for (const index of leaders) {
          const name = names[index]!;
          const result = new Promise<{ value: unknown; tags: readonly string[] }>((resolve, reject) =>
            settle.set(name, { resolve, reject }),
          );
          result.catch(() => undefined);
          inFlight.set(name, { fence, result });
        }
      }
      const loading = (async () => {
        if (leaders.length === 0) return;
        try {
          const values = await load(leaders.map((index) => keys[index]!));
          await hooks?.afterLoad?.(leaders.map((index) => names[index]!));
          session.stats.misses += leaders.length;
          const entries: TierEntry[] = [];
          leaders.forEach((index, position) => {
            const value = values[position] as V | Error;
            const name = names[index]!;
            if (value instanceof Error) {
              results[index] = value;
              settle.get(name)?.reject(value);
              return;
            }
            const tags = spec.tagsOf(keys[index]!, value);
            take(index, value, tags);
            settle.get(name)?.resolve({ value, tags });
            if (fence !== null) entries.push({ key: name, value: encode({ f: fence, t: tags, v: value } satisfies Stored), tags });
          });
          if (fence !== null) await cache.store(session, entries, fence);
        } catch (error) {
          for (const index of leaders) settle.get(names[index]!)?.reject(error);
          throw error;
        } finally {
          for (const index of leaders) {
            const name = names[index]!;
            if (settle.has(name) && inFlight.get(name)?.fence === fence) inFlight.delete(name);
          }
        }
      })();
      await Promise.all([
        loading,
        ...followers.map(async (index) => {
          try {
            const { value, tags } = await inFlight.get(names[index]!)!.result;
            session.stats.coalesced += 1;
            meters.coalesced.inc({ kind: 'fragment' });
            take(index, value as V, tags);
          } catch (error) {
            results[index] = error instanceof Error ? error : new Error(String(error));
          }
        }),
      ]);
      return results;
    },

    async invalidate(session, tags) {
      if (tags.length === 0 || (!enabled && !shared)) return;
      const unique = [...new Set(tags)];
      meters.invalidations.inc({ kind: 'tags' }, unique.length);
      if (session) session.stats.invalidations += unique.length;
      let sequence: number | null;
      if (shared) {
        sequence = await shared.invalidate(unique);
        if (sequence === null && session) session.degraded = true;
      } else {
        sequence = local!.sequence + 1;
        local!.invalidate(unique, sequence);
      }
      if (!enabled) return;
      // Reads later in this request must see the write: they may only use what is current as of this sequence.
      if (session && sequence !== null) session.sequence = Math.max(session.sequence ?? sequence, sequence);
    },

    follow(key, fence) {
      const flight = inFlight.get(key);
      if (!flight || flight.fence < fence) return undefined;
      return flight.result.then(
        ({ value }) => {
          if (value !== null) meters.coalesced.inc({ kind: kindOf(key) });
          return value as string | null;
        },
        () => null,
      );
    },

    lead(key, fence) {
      let settle!: (shared: string | null) => void;
      const result = new Promise<{ value: unknown; tags: readonly string[] }>((resolve) => {
        settle = (value) => resolve({ value, tags: [] });
      });
      const flight = { fence, result };
      inFlight.set(key, flight);
      const end = (value: string | null) => {
        clearTimeout(timer);
        if (inFlight.get(key) === flight) inFlight.delete(key);
        settle(value);
      };
      // A leader that never reaches its end (a bug, a crash in a later plugin) must not hold followers
      // past their own deadline: they then compute the response themselves.
      const timer = setTimeout(() => end(null), config.requestTimeoutMs);
      timer.unref();
      return end;
    },

    async close() {
      await shared?.close();
    },
  };
  return cache;
}
