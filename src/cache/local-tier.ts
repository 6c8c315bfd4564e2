/**
 * The in-process tier (L1): an LRU of serialized cache entries with a tag
 * index, and the per-tag invalidation generations that fence its fills.
 *
 * With Redis it is a near cache in front of Redis, emptied and re-synchronized
 * whenever the pub/sub link drops; without Redis it is the only tier and its
 * own `sequence` plays the role of Redis' invalidation sequence.
 *
 * Fence rule (same as Redis'): an entry read at fence F may be stored only if
 * none of its tags was invalidated after F, i.e. generation(tag) <= F. Tags
 * whose generation was evicted from the bounded generation map are judged by
 * `evictedFloor`, the highest generation ever evicted, so an eviction can only
 * refuse a fill, never let a stale one in.
 *
 * Example:
 *   const l1 = new LocalTier({ maxEntries: 1000, maxBytes: 64 * 1024 * 1024, ttlMs: 60_000 });
 *   const fence = l1.sequence;
 *   l1.store([{ key: 'Patient:1', value: '{"v":…}', tags: ['Patient:1'] }], fence); // [true]
 *   l1.invalidate(['Patient:1'], l1.sequence + 1);
 *   l1.get('Patient:1') // undefined
 */
import { LRUCache } from 'lru-cache';

export interface TierEntry {
  /** Cache key, unique per fragment or response (no prefix). */
  readonly key: string;
  /** Serialized value (see serialize.ts). */
  readonly value: string;
  readonly tags: readonly string[];
  /** Seconds until it expires (defaults to the tier's TTL). */
  readonly ttlSeconds?: number;
}

export interface LocalTierOptions {
  /** CACHE_L1_MAX_ENTRIES: the most entries kept; the least recently used go first. */
  readonly maxEntries: number;
  /** CACHE_L1_MAX_BYTES: the most memory values may take (2 bytes per character); larger entries are not kept. */
  readonly maxBytes: number;
  /** Default lifetime of an entry. */
  readonly ttlMs: number;
}

/** Invalidation generations remembered per tag before the oldest are folded into `evictedFloor`. */
const MAX_TRACKED_TAGS = 200_000;

export class LocalTier {
  /** The last invalidation applied here (local counter, or the Redis sequence it has caught up with). */
  sequence = 0;
  private evictedFloor = 0;
  private readonly entries: LRUCache<string, { value: string; tags: readonly string[] }>;
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly generations: LRUCache<string, number>;

  private readonly maxBytes: number;

  constructor(options: LocalTierOptions) {
    this.maxBytes = options.maxBytes;
    this.entries = new LRUCache({
      max: Math.max(1, options.maxEntries),
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => Math.max(1, entry.value.length * 2),
      ttl: options.ttlMs,
      dispose: (entry, key) => this.unindex(key, entry.tags),
    });
    this.generations = new LRUCache({
      max: MAX_TRACKED_TAGS,
      dispose: (generation, _tag, reason) => {
        // Overwritten generations only grow; only a forgotten one must raise the floor.
        if (reason !== 'set') this.evictedFloor = Math.max(this.evictedFloor, generation);
      },
    });
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): string | undefined {
    return this.entries.get(key)?.value;
  }

  /** Stores each entry whose tags were not invalidated after `fence`; returns which were stored. */
  store(entries: readonly TierEntry[], fence: number): boolean[] {
    return entries.map((entry) => {
      if (!this.admits(entry.tags, fence)) return false;
      // lru-cache refuses an entry larger than maxBytes by itself; it must not be indexed either.
      if (entry.value.length * 2 > this.maxBytes) return false;
      this.entries.set(
        entry.key,
        { value: entry.value, tags: entry.tags },
        entry.ttlSeconds ? { ttl: entry.ttlSeconds * 1000 } : {},
      );
      for (const tag of entry.tags) {
        let keys = this.keysByTag.get(tag);
        if (!keys) this.keysByTag.set(tag, (keys = new Set()));
        keys.add(entry.key);
      }
      return true;
    });
  }

  /**
   * Drops every entry tagged with one of `tags` and records `sequence` as
   * their generation. `advance` (the default) also moves `sequence` forward:
   * only invalidations applied in sequence order may do that, so an instance's
   * own invalidation, applied before the messages ahead of it arrive, does not.
   */
  invalidate(tags: readonly string[], sequence: number, options: { advance: boolean } = { advance: true }): void {
    if (options.advance) this.sequence = Math.max(this.sequence, sequence);
    for (const tag of tags) {
      this.generations.set(tag, Math.max(this.generations.get(tag) ?? 0, sequence));
      const keys = this.keysByTag.get(tag);
      if (!keys) continue;
      this.keysByTag.delete(tag);
      for (const key of keys) this.entries.delete(key);
    }
  }

  /** Forgets every entry and restarts from `sequence` (the link to Redis was re-established). */
  reset(sequence: number): void {
    this.clear();
    this.generations.clear();
    // Invalidations before `sequence` may have been missed: fills fenced earlier are refused.
    this.evictedFloor = Math.max(this.evictedFloor, sequence);
    this.sequence = sequence;
  }

  /** Forgets every entry (the link to Redis broke, or Redis' namespace changed). */
  clear(): void {
    this.entries.clear();
    this.keysByTag.clear();
  }

  private admits(tags: readonly string[], fence: number): boolean {
    for (const tag of tags) {
      const generation = this.generations.get(tag) ?? this.evictedFloor;
      if (generation > fence) return false;
    }
    return true;
  }

  private unindex(key: string, tags: readonly string[]): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.keysByTag.delete(tag);
    }
  }
}
