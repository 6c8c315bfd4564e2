/**
 * The in-process tier's bounds (src/cache/local-tier.ts): at most
 * CACHE_L1_MAX_ENTRIES entries and CACHE_L1_MAX_BYTES of values; an entry
 * larger than the byte bound is never kept, and evicted entries leave the tag
 * index, so invalidating their tags later finds nothing to drop.
 */
import { describe, expect, it } from 'vitest';
import { LocalTier } from '../src/cache/local-tier.js';

describe('LocalTier bounds', () => {
  it('keeps values within maxBytes (2 bytes per character), evicting the least recently used', () => {
    const l1 = new LocalTier({ maxEntries: 1000, maxBytes: 1000, ttlMs: 60_000 });
    const value = 'x'.repeat(100); // 200 bytes
    for (let index = 0; index < 10; index += 1) {
      expect(l1.store([{ key: `k${index}`, value, tags: [`T:${index}`] }], 0)).toEqual([true]);
    }
    expect(l1.size).toBe(5);
    expect(l1.get('k0')).toBeUndefined();
    expect(l1.get('k9')).toBe(value);
  });

  it('refuses an entry larger than maxBytes outright and leaves what it holds', () => {
    const l1 = new LocalTier({ maxEntries: 1000, maxBytes: 1000, ttlMs: 60_000 });
    expect(l1.store([{ key: 'small', value: 'ok', tags: ['T:1'] }], 0)).toEqual([true]);
    expect(l1.store([{ key: 'huge', value: 'x'.repeat(501), tags: ['T:1'] }], 0)).toEqual([false]);
    expect(l1.get('huge')).toBeUndefined();
    expect(l1.get('small')).toBe('ok');
    l1.invalidate(['T:1'], 1);
    expect(l1.get('small')).toBeUndefined();
    expect(l1.size).toBe(0);
  });

  it('keeps at most maxEntries', () => {
    const l1 = new LocalTier({ maxEntries: 3, maxBytes: 1_000_000, ttlMs: 60_000 });
    l1.store(
      ['a', 'b', 'c', 'd'].map((key) => ({ key, value: key, tags: [`T:${key}`] })),
      0,
    );
    expect(l1.size).toBe(3);
    expect(l1.get('a')).toBeUndefined();
  });
});
