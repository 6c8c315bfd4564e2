/**
 * The small toolkit every domain loader is built from (the by-id loaders are
 * built from it once, in src/modules/by-id.ts).
 *
 * - `cachedLoader` puts the fragment cache (src/cache) in front of a batch.
 * - `createLoader` makes a per-request DataLoader whose batches never exceed
 *   the IN-list chunk size (DataLoader's own maxBatchSize splits them, so a
 *   1,500-key load is two statements and a failing chunk fails only its keys).
 *   With tracing on, each batch is a span `dataloader.batch <name>`
 *   (dataloader.name, dataloader.batch.keys), parent of its SQL statements.
 * - `oneByKey`, `manyByKey`, `countByKey` put rows back in key order: values
 *   line up with keys, null (or [] / 0) for keys without rows.
 * - `perGroup` runs one statement per group of keys that share arguments (the
 *   same `first`, `status`, `after`), so an error in one group never fails the
 *   keys of another.
 *
 * Example:
 *   const counts = createLoader<number, number>(
 *     async (scheduleIds) => countByKey(scheduleIds, await repository.countsBySchedule(scheduleIds), (row) => row.scheduleId),
 *     { chunkSize: 1000 },
 *   );
 *   await counts.loadMany([3, 999]) // [2, 0]
 */
import DataLoader from 'dataloader';
import type { Cache, CacheSession, FragmentSpec } from '../cache/cache.js';
import type { Reads } from '../db/request-db.js';
import { inSpan } from '../telemetry/tracing.js';
import type { SearchPlanner } from './search/plan.js';

/** What every domain's loader factory receives, once per request. */
export interface LoaderContext {
  /** The request's reads (src/db/request-db.ts): routed, counted into the request's trace. */
  readonly reads: Reads;
  /** Most keys per batch (per statement); the config's DB_IN_CHUNK_SIZE. */
  readonly chunkSize: number;
  readonly cache: Cache;
  /** The request's cache session (fence, tags touched, statistics). */
  readonly session: CacheSession;
  /** The process's record-search planner (src/modules/search/plan.ts); a new one when not given. */
  readonly searchPlanner?: SearchPlanner;
}

export interface LoaderOptions<K> {
  /** Most keys per batch (per statement); the config's DB_IN_CHUNK_SIZE. */
  readonly chunkSize: number;
  /** Needed when keys are objects: equal arguments must map to one key. */
  readonly cacheKeyFn?: (key: K) => string | number;
  /** Names the loader's batch spans (`dataloader.batch <name>`); cachedLoader passes the fragment's name. */
  readonly name?: string;
}

/**
 * A request's DataLoader that also answers `peek(key)`: the value once loaded (or primed), synchronously,
 * else undefined. A resolver whose value a parent already loaded for all its siblings (src/execution/prefetch.ts)
 * returns it as it is, not a promise.
 *
 * Example:
 *   await loader.loadMany([1, 2]);
 *   loader.peek(1) // { id: 1, … } (null for a key without a row)
 *   loader.peek(3) // undefined: not loaded
 */
export class RequestLoader<K, V> extends DataLoader<K, V, string | number | K> {
  private readonly loaded: Map<string | number | K, V>;
  private readonly keyOf: (key: K) => string | number | K;

  constructor(batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>, options: LoaderOptions<K>) {
    const loaded = new Map<string | number | K, V>();
    const keyOf = options.cacheKeyFn ?? ((key: K) => key);
    const spanName = options.name ? `dataloader.batch ${options.name}` : 'dataloader.batch';
    super(
      async (keys) => {
        const values = await inSpan(
          spanName,
          () => ({ 'dataloader.name': options.name ?? '', 'dataloader.batch.keys': keys.length }),
          () => batch(keys),
        );
        for (let index = 0; index < keys.length; index += 1) {
          const value = values[index];
          if (!(value instanceof Error)) loaded.set(keyOf(keys[index]!), value as V);
        }
        return values;
      },
      { maxBatchSize: options.chunkSize, ...(options.cacheKeyFn ? { cacheKeyFn: options.cacheKeyFn } : {}) },
    );
    this.loaded = loaded;
    this.keyOf = keyOf;
  }

  /** The value of `key` if it is loaded (null for a key without a row), else undefined. */
  peek(key: K): V | undefined {
    return this.loaded.get(this.keyOf(key));
  }

  /** A loaded (or primed) value at once; anything else through DataLoader's batch. */
  override load(key: K): Promise<V> {
    const value = this.loaded.get(this.keyOf(key));
    return value !== undefined ? Promise.resolve(value) : super.load(key);
  }

  /**
   * Primes a value only into this loader's map (what `load` and `peek` read first), not into DataLoader's own
   * cache, which would allocate a promise per primed row: a list of 5,000 selections primes 5,000 rows.
   */
  override prime(key: K, value: V | PromiseLike<V> | Error): this {
    if (value instanceof Error || (value !== null && typeof value === 'object' && 'then' in value)) return super.prime(key, value);
    const cacheKey = this.keyOf(key);
    if (!this.loaded.has(cacheKey)) this.loaded.set(cacheKey, value as V);
    return this;
  }
}

export function createLoader<K, V>(
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options: LoaderOptions<K>,
): RequestLoader<K, V> {
  return new RequestLoader(batch, options);
}

/**
 * A loader whose batches go through the fragment cache first: one cache read
 * for the whole batch, then `batch` for the misses only, then a fenced
 * write-back. `fragment.keyOf` defaults to the loader's cacheKeyFn (or the key).
 *
 * Example:
 *   cachedLoader(context, { name: 'Schedule.selectionCount', tagsOf: (scheduleId) => [cacheTags.scheduleSelections(scheduleId)] },
 *     async (scheduleIds) => countByKey(scheduleIds, await repository.countsBySchedule(scheduleIds), (row) => row.scheduleId));
 */
export function cachedLoader<K, V>(
  context: LoaderContext,
  fragment: Omit<FragmentSpec<K, V>, 'keyOf'> & Partial<Pick<FragmentSpec<K, V>, 'keyOf'>>,
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  options: { readonly cacheKeyFn?: (key: K) => string | number } = {},
): RequestLoader<K, V> {
  const spec: FragmentSpec<K, V> = {
    ...fragment,
    keyOf: fragment.keyOf ?? options.cacheKeyFn ?? ((key: K) => String(key)),
  };
  return createLoader((keys) => context.cache.loadFragments(context.session, spec, keys, batch), {
    chunkSize: context.chunkSize,
    name: fragment.name,
    ...options,
  });
}

/** One row (or null) per key, in key order. */
export function oneByKey<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): (R | null)[] {
  const byKey = new Map<K, R>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return keys.map((key) => byKey.get(key) ?? null);
}

/** The rows of each key (possibly none), in key order; rows keep their order within a key. */
export function manyByKey<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): R[][] {
  const byKey = new Map<K, R[]>(keys.map((key) => [key, []]));
  for (const row of rows) byKey.get(keyOf(row))?.push(row);
  return keys.map((key) => byKey.get(key) ?? []);
}

/** The count of each key from `GROUP BY` rows, 0 for keys without a row. */
export function countByKey<K, R extends { total: number }>(
  keys: readonly K[],
  rows: readonly R[],
  keyOf: (row: R) => K,
): number[] {
  return oneByKey(keys, rows, keyOf).map((row) => row?.total ?? 0);
}

/**
 * Splits `keys` into groups by `groupOf`, runs `load` once per group and puts
 * the results back in key order. A group whose load throws yields that error
 * for its own keys only.
 */
export async function perGroup<K, V>(
  keys: readonly K[],
  groupOf: (key: K) => string,
  load: (groupKeys: K[]) => Promise<readonly V[]>,
): Promise<(V | Error)[]> {
  const groups = new Map<string, { keys: K[]; positions: number[] }>();
  keys.forEach((key, position) => {
    const name = groupOf(key);
    const group = groups.get(name) ?? { keys: [], positions: [] };
    group.keys.push(key);
    group.positions.push(position);
    groups.set(name, group);
  });
  const results = new Array<V | Error>(keys.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      try {
        const values = await load(group.keys);
        group.positions.forEach((position, index) => {
          results[position] = values[index] as V;
        });
      } catch (error) {
        const failure = error instanceof Error ? error : new Error(String(error));
        for (const position of group.positions) results[position] = failure;
      }
    }),
  );
  return results;
}

/** A value or its promise: what a resolver returns when the value may already be loaded. */
export type Loaded<T> = T | Promise<T>;

/** `fn` of the value: at once when it is there, after it when it is a promise (no promise made for a loaded value). */
export function whenLoaded<T, R>(value: Loaded<T>, fn: (value: T) => R): Loaded<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

/** The value of `key`: as it is when the loader has it (a parent prefetched it), else its load. */
export function known<K, V>(loader: RequestLoader<K, V>, key: K): Loaded<V> {
  const value = loader.peek(key);
  return value !== undefined ? value : loader.load(key);
}
