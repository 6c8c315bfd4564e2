/**
 * The gateway's lifecycle after start: graceful shutdown, in this order.
 * 1. Readiness answers 503 at once and every response asks its client to
 *    reconnect elsewhere (`Connection: close`).
 * 2. The listener stays open SHUTDOWN_DRAIN_MS, so load balancers see the 503
 *    and stop sending.
 * 3. Apollo's drain closes the listener and idle connections, and gives
 *    in-flight requests SHUTDOWN_GRACE_MS.
 * 4. Executions whose clients left (or that missed their deadline) still need
 *    the pool: they are awaited (up to the grace) before it closes.
 * 5. The pools, the replicas' health probes, the cache and Redis close.
 *
 * Example:
 *   const lifecycle = createLifecycle({ config, logger, httpServer, apollo, inFlight, database, … });
 *   process.on('SIGTERM', () => void lifecycle.shutdown().then(() => process.exit(0)));
 */
import type http from 'node:http';
import type { ApolloServer, BaseContext } from '@apollo/server';
import type { Cache } from './cache/cache.js';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import type { ReplicaHealth } from './db/replicas.js';
import type { InFlight } from './http/graphql-handler.js';
import type { Logger } from './logger.js';
import type { Redis } from './redis/client.js';

export interface LifecycleOptions {
  readonly config: Pick<Config, 'shutdownDrainMs' | 'shutdownGraceMs'>;
  readonly logger: Logger;
  readonly httpServer: http.Server;
  /** Only its stop() is called. */
  readonly apollo: Pick<ApolloServer<BaseContext>, 'stop'>;
  readonly inFlight: InFlight;
  readonly database: Database;
  readonly replicas: readonly Database[];
  readonly replicaHealth: ReplicaHealth;
  readonly cache: Cache;
  readonly redis: Redis | null;
  /** Called first: readiness turns 503 and responses carry `Connection: close`. */
  readonly onShutdownStarted: () => void;
}

export function createLifecycle(options: LifecycleOptions): { shutdown(): Promise<void> } {
  const { config, logger, httpServer, inFlight, database, replicas, replicaHealth, cache, redis } = options;
  let stopped: Promise<void> | undefined;
  return {
    shutdown: () =>
      (stopped ??= (async () => {
        options.onShutdownStarted();
        if (httpServer.listening && config.shutdownDrainMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
        }
        await options.apollo.stop();
        const settled = await inFlight.settled(config.shutdownGraceMs);
        if (!settled) logger.warn({ running: inFlight.size }, 'shutdown: executions still running after the grace period');
        await database.close();
        replicaHealth.stop();
        await Promise.all(replicas.map((replica) => replica.close()));
        await cache.close();
        if (redis) await redis.quit().catch(() => redis.disconnect());
      })()),
  };
}
