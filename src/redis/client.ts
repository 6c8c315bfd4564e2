/**
 * The Redis connection (ioredis), shared by every plugin that keeps state
 * across instances: one Redis (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES, ioredis' Cluster, which follows MOVED and ASK and
 * retries through CLUSTERDOWN while slots move). Commands never queue while
 * Redis is away (enableOfflineQueue off) and fail after
 * REDIS_COMMAND_TIMEOUT_MS, so a slow or dead Redis costs a request at most
 * that long. With REDIS_URL=off, or no Redis answering at start,
 * `connectRedis` returns null and callers use their in-process or MySQL
 * fallback; the gateway says so in one log line.
 *
 * Every feature but the cache uses single-key commands (or a script over one
 * declared key), so each works unchanged on a cluster, its keys spread by
 * name; the cache has its own cluster backend (src/cache/cluster-backend.ts).
 *
 * Example:
 *   const redis = await connectRedis(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:6379,10.0.0.2:6379' }), logger);
 *   redis instanceof Cluster // true
 */
import { Cluster, Redis as StandaloneRedis } from 'ioredis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

export { Cluster };
/** One Redis or a Cluster: the commands the gateway sends exist on both. */
export type Redis = StandaloneRedis | Cluster;

function connectCluster(config: Config): Cluster {
  return new Cluster(
    config.redisClusterNodes.map((node) => ({ ...node })),
    {
      lazyConnect: true,
      enableOfflineQueue: false,
      // No auto-pipelining: when one command of an automatic pipeline meets ASK (its slot is migrating),
      // ioredis re-sends the whole pipeline to the importing node, where keys of that slot not yet moved
      // read as missing; a tag generation read as missing is 0, and an outdated entry would be served
      // (found by test/redis-cluster.test.ts, resharding under load). Single commands follow ASK one by one.
      enableAutoPipelining: false,
      scaleReads: 'master',
      // Keep trying the seed nodes in the background, at most every 2 s (as the standalone connection does).
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnTryAgain: 100,
      slotsRefreshTimeout: config.redisConnectTimeoutMs,
      slotsRefreshInterval: config.redisClusterSlotsRefreshMs,
      ...(Object.keys(config.redisClusterNatMap).length > 0 ? { natMap: { ...config.redisClusterNatMap } } : {}),
      redisOptions: {
        commandTimeout: config.redisCommandTimeoutMs,
        connectTimeout: config.redisConnectTimeoutMs,
        maxRetriesPerRequest: 1,
        ...(config.redisClusterUsername ? { username: config.redisClusterUsername } : {}),
        ...(config.redisClusterPassword ? { password: config.redisClusterPassword } : {}),
        ...(config.redisClusterTls ? { tls: {} } : {}),
      },
    },
  );
}

export async function connectRedis(config: Config, logger: Logger): Promise<Redis | null> {
  if (config.redisClusterNodes.length > 0) {
    const cluster = connectCluster(config);
    cluster.on('error', (error: Error) => logger.debug({ err: error }, 'redis cluster error'));
    try {
      await cluster.connect();
      logger.info({ nodes: config.redisClusterNodes.length }, 'Redis Cluster connected');
      return cluster;
    } catch (error) {
      cluster.disconnect();
      logger.warn(
        { err: error, nodes: config.redisClusterNodes.map((node) => `${node.host}:${node.port}`) },
        'no Redis Cluster reachable at start: idempotency keys live in MySQL, caches in process',
      );
      return null;
    }
  }
  if (config.redisUrl === 'off') {
    logger.info('REDIS_URL=off: idempotency keys live in MySQL, caches in process');
    return null;
  }
  const redis = new StandaloneRedis(config.redisUrl, {
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
