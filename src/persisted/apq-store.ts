/**
 * Where documents registered by automatic persisted queries (APQ) live: Redis,
 * shared by every instance (`<prefix>apq:<sha256>`, APQ_TTL_SECONDS, renewed
 * by each registration), with an in-process LRU in front. A hash names
 * exactly one text, so the in-process copy can never be stale and needs no
 * invalidation. With Redis off, the LRU is the only store.
 *
 * Redis failures never fail a request: a lookup that cannot reach Redis is a
 * miss (the client re-sends the document, Apollo's protocol), a registration
 * that cannot reach Redis is kept in process only.
 *
 * Example:
 *   const store = createApqStore({ redis, keyPrefix: 'gw:', ttlSeconds: 604800, localMaxEntries: 10000, logger });
 *   await store.register(hash, query);
 *   await store.get(hash) // query, on this instance or any other sharing the Redis
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis/client.js';

export interface ApqStore {
  /** The document registered under this hash, or undefined. */
  get(hash: string): Promise<string | undefined>;
  /** Keeps the document under its hash (the caller has checked that the hash is the text's sha256). */
  register(hash: string, text: string): Promise<void>;
}

export interface ApqStoreOptions {
  readonly redis: Redis | null;
  readonly keyPrefix: string;
  readonly ttlSeconds: number;
  readonly localMaxEntries: number;
  readonly logger: Logger;
}

export function createApqStore({ redis, keyPrefix, ttlSeconds, localMaxEntries, logger }: ApqStoreOptions): ApqStore {
  const local = new LRUCache<string, string>({ max: localMaxEntries });
  const redisKey = (hash: string) => `${keyPrefix}apq:${hash}`;
  return {
    async get(hash) {
      const known = local.get(hash);
      if (known !== undefined || redis === null) return known;
      try {
        const text = await redis.get(redisKey(hash));
        if (text === null) return undefined;
        local.set(hash, text);
        return text;
      } catch (error) {
        logger.warn({ err: error }, 'APQ lookup could not reach Redis; answering PersistedQueryNotFound');
        return undefined;
      }
    },
    async register(hash, text) {
      local.set(hash, text);
      if (redis === null) return;
      try {
        await redis.set(redisKey(hash), text, 'EX', ttlSeconds);
      } catch (error) {
        logger.warn({ err: error }, 'APQ registration could not reach Redis; kept on this instance only');
      }
    },
  };
}
