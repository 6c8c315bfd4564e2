/**
 * Read replicas (DATABASE_REPLICA_URLS): their connections, and the per-request
 * read handle that decides, statement by statement, whether a read may go to a
 * replica or must go to the primary.
 *
 * The policy, in order (the first rule that holds sends the read to the primary):
 *   1. the request has written (a mutation committed): it reads its own writes;
 *   2. the caller's principal (src/auth/token.ts principalKey) wrote within the last
 *      REPLICA_READ_YOUR_WRITES_MS, on any instance sharing the Redis: the
 *      caller's next requests see their own writes although the replica lags;
 *   3. what is read will be stored in the cache (cache enabled and this
 *      request's cache session not degraded): a cache fill must never come
 *      from a replica, because a lagging replica could put pre-write rows into
 *      the cache after the write's invalidation, which the generation fence
 *      cannot detect.
 * Otherwise (caching off, or Redis failed in this request so nothing is
 * stored), the read goes to a replica, round-robin, among those whose last
 * health probe answered (`watchReplicas`, every REPLICA_HEALTH_INTERVAL_MS);
 * with none answering, to the primary, so a dead replica costs at most the
 * reads sent in one probe interval. Writes and transactions always go to the
 * primary (src/db/request-db.ts: drizzle's handle is the primary's).
 *
 * The read-your-writes window lives in Redis (`<prefix>ryw:<principal>`, PX = the
 * window) so every instance honours it, and in an in-process LRU that serves
 * when Redis is off or fails. The Redis key is read at most once per request,
 * and only when replicas are configured and the cache is off (with a healthy
 * cache rule 3 already picks the primary; if the session degrades mid-request,
 * the in-process window decides, as it would when Redis is unreachable).
 *
 * Example:
 *   const replicas = await connectReplicas(config, logger);
 *   const router = createReadRouter({ primary: database.instrumented, replicas: replicas.map((r) => r.instrumented), config, cache, redis });
 *   const reads = await router?.begin(viewer ? principalKey(viewer) : null, cacheSession);
 *   const db = createRequestDb(database, trace, reads ? reads.route : null); // hand to the loaders
 *   // after a mutation committed (before it returns):
 *   await reads?.written();
 */
import { LRUCache } from 'lru-cache';
import type { Cache, CacheSession } from '../cache/cache.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis/client.js';
import { connectDatabase, poolOptionsOf, type Database } from './client.js';
import type { InstrumentedPool } from './pool.js';

/** Connects every replica of DATABASE_REPLICA_URLS (none: an empty list); closes those opened if one fails. */
export async function connectReplicas(config: Config, logger?: Logger): Promise<Database[]> {
  const connected: Database[] = [];
  try {
    for (const url of config.databaseReplicaUrls) connected.push(await connectDatabase(url, { ...poolOptionsOf(config), createIfMissing: false }));
  } catch (error) {
    await Promise.all(connected.map((replica) => replica.close().catch(() => undefined)));
    throw error;
  }
  if (connected.length > 0) {
    logger?.info(
      { replicas: connected.map((replica) => replica.databaseName), readYourWritesMs: config.replicaReadYourWritesMs },
      `read replicas: ${connected.length}`,
    );
  }
  return connected;
}

/** Which replicas answer: a probe on each replica's own health connection, every `intervalMs`. */
export interface ReplicaHealth {
  /** Whether replica `index` answered its last probe (true until a probe says otherwise). */
  isUp(index: number): boolean;
  /** One probe round now (tests, and the first round at start). */
  check(): Promise<void>;
  stop(): void;
}

/**
 * Probes every replica with `SELECT 1` on its probe connection (outside its pool's gate), each
 * probe bounded by `timeoutMs`; logs each change of state and reports it to `onChange`.
 *
 * Example:
 *   const health = watchReplicas(replicas, { intervalMs: 1000, timeoutMs: 1000, logger });
 *   health.isUp(0) // false while replica 0 does not answer
 */
export function watchReplicas(
  replicas: readonly Database[],
  options: { intervalMs: number; timeoutMs: number; logger?: Logger; onChange?: (index: number, up: boolean) => void },
): ReplicaHealth {
  const up = replicas.map(() => true);
  const probe = async (replica: Database, index: number) => {
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      replica.probe('SELECT 1').then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), options.timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (answered === up[index]) return;
    up[index] = answered;
    options.onChange?.(index, answered);
    if (answered) options.logger?.info({ replica: index }, 'read replica answers again: reads go to it');
    else options.logger?.warn({ replica: index }, 'read replica does not answer: its reads go to the others or the primary');
  };
  let running: Promise<void> | null = null;
  const check = () => (running ??= Promise.all(replicas.map(probe)).then(() => void (running = null)));
  const interval = replicas.length > 0 ? setInterval(() => void check(), options.intervalMs).unref() : null;
  return {
    isUp: (index) => up[index] ?? false,
    check,
    stop: () => {
      if (interval) clearInterval(interval);
    },
  };
}

/** Most principals whose window the in-process fallback remembers. */
const LOCAL_WINDOW_ENTRIES = 10_000;

/** The read-your-writes windows: in Redis for every instance, in process as the fallback. */
class ReadYourWritesWindows {
  private readonly local: LRUCache<string, true> | null;

  constructor(
    private readonly redis: Redis | null,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
    private readonly logger: Logger | undefined,
  ) {
    this.local = windowMs > 0 ? new LRUCache<string, true>({ max: LOCAL_WINDOW_ENTRIES, ttl: windowMs }) : null;
  }

  private key(subject: string): string {
    return `${this.keyPrefix}ryw:${subject}`;
  }

  /** Opens (or renews) `subject`'s window; resolves once Redis has it (or failed, which leaves the in-process one). */
  async open(subject: string): Promise<void> {
    if (!this.local) return;
    this.local.set(subject, true);
    if (this.redis?.status !== 'ready') return;
    try {
      await this.redis.set(this.key(subject), '1', 'PX', this.windowMs);
    } catch (error) {
      this.logger?.warn({ err: error }, 'could not record the read-your-writes window in Redis; this instance still honours it');
    }
  }

  /** This instance's own record of the window (no I/O). */
  openLocally(subject: string): boolean {
    return this.local?.has(subject) ?? false;
  }

  /** Whether `subject` wrote within the window on any instance (Redis), or on this one (when Redis is off or fails). */
  async isOpen(subject: string): Promise<boolean> {
    if (!this.local) return false;
    if (this.local.has(subject)) return true;
    if (this.redis?.status !== 'ready') return false;
    try {
      return (await this.redis.exists(this.key(subject))) === 1;
    } catch {
      return false;
    }
  }
}

/** One request's reads: which pool a read goes to, and the switch a committed write turns. */
export interface RequestReads {
  /** The pool the next read goes to, by the policy above (decided per statement). */
  route(): InstrumentedPool;
  /**
   * The request's write committed: every later read of it goes to the primary (from the moment of
   * the call), and the principal's window opens; resolves once the window is recorded.
   */
  written(): Promise<void>;
}

export interface ReadRouter {
  /** The reads of one request of `principal` (null: no viewer, so no window). */
  begin(principal: string | null, session: CacheSession): Promise<RequestReads>;
}

export interface ReadRouterOptions {
  readonly primary: InstrumentedPool;
  readonly replicas: readonly InstrumentedPool[];
  readonly config: Config;
  readonly cache: Cache;
  readonly redis: Redis | null;
  readonly logger?: Logger;
  /** Which replicas answer (watchReplicas); without it every replica is taken to answer. */
  readonly health?: Pick<ReplicaHealth, 'isUp'>;
}

/** The router of a gateway with replicas; null without any, so nothing at all changes then. */
export function createReadRouter(options: ReadRouterOptions): ReadRouter | null {
  const { primary, config, cache } = options;
  if (options.replicas.length === 0) return null;
  const replicas = options.replicas;
  const windows = new ReadYourWritesWindows(options.redis, config.redisKeyPrefix, config.replicaReadYourWritesMs, options.logger);
  let turn = 0;

  return {
    async begin(principal, session) {
      let wrote = false;
      // With the cache on, rule 3 sends reads to the primary while the session is healthy, so the shared
      // window is not read; null until needed, then the in-process record decides (read once).
      let windowOpen: boolean | null = principal === null ? false : cache.enabled ? null : await windows.isOpen(principal);
      return {
        route: () => {
          if (wrote) return primary;
          if (cache.enabled && !session.degraded) return primary;
          windowOpen ??= windows.openLocally(principal!);
          if (windowOpen) return primary;
          for (let tried = 0; tried < replicas.length; tried += 1) {
            turn = (turn + 1) % replicas.length;
            if (!options.health || options.health.isUp(turn)) return replicas[turn]!;
          }
          return primary;
        },
        written: () => {
          wrote = true;
          return principal === null ? Promise.resolve() : windows.open(principal);
        },
      };
    },
  };
}
