/**
 * The Redis connection (ioredis), shared by every plugin that keeps state
 * across instances. Commands never queue while Redis is away
 * (enableOfflineQueue off) and fail after REDIS_COMMAND_TIMEOUT_MS, so a slow
 * or dead Redis costs a request at most that long. With REDIS_URL=off, or no
 * Redis answering at start, `connectRedis` returns null and callers use their
 * in-process or MySQL fallback; the gateway says so in one log line.
 */
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export type { Redis };

export async function connectRedis(config: Config, logger: Logger): Promise<Redis | null> {
  if (config.redisUrl === 'off') {
    logger.info('REDIS_URL=off: idempotency keys live in MySQL, caches in process');
    return null;
  }
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: config.redisCommandTimeoutMs,
    connectTimeout: config.redisConnectTimeoutMs,
    maxRetriesPerRequest: 1,
    // Keep reconnecting in the background, at most every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', (error: Error) => logger.debug({ err: error }, 'redis error'));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    logger.warn(
      { err: error, url: config.redisUrl.replace(/\/\/[^@]*@/, '//***@') },
      'no Redis reachable at start: idempotency keys live in MySQL, caches in process',
    );
    return null;
  }
}
