/**
 * The shared tier: cache entries in Redis, tag generations, the Lua scripts
 * that read, fill and invalidate (each one atomic), a circuit breaker, and the
 * pub/sub link that keeps every instance's L1 in step.
 *
 * Keys under `<prefix>c:`:
 *   seq          invalidation sequence; starts at Redis' clock in µs, so a
 *                restarted, empty Redis never hands out a number seen before
 *   floor        entries fenced below this are never served (set by an epoch bump)
 *   epoch        namespace of entries
 *   g:<tag>      the tag's generation: the sequence of its last invalidation
 *   <epoch>:v:<key>  an entry: `{"f":F,"t":[tags],…}` (the fence it was read
 *                under and the tags it depends on, then its value)
 *
 * Why no stale entry is served (tag generations checked on read):
 *   1. A request reads `seq` (its fence F) before any of its MySQL reads, in
 *      the same script as its first cache read. Every entry it fills carries
 *      F and the tags of every row and list it holds.
 *   2. A mutation commits, then the invalidate script, atomically: increments
 *      seq to S and sets g:<tag> = S for every tag it touched, and publishes
 *      (S, tags). The mutation returns only after this script has run.
 *   3. The read script serves an entry only if g:<tag> <= F for every tag the
 *      entry carries (and F >= floor); any other entry reads as a miss.
 *   If a reader's MySQL read saw the state before the commit, then its F < S
 *   (F was read before the MySQL read, the commit came before S was drawn),
 *   so once the mutation has returned, g:<tag> = S > F and the entry is never
 *   served again, wherever and whenever it was stored. A stale fill is
 *   therefore harmless by construction. The fill script still refuses an
 *   entry already outdated when it arrives (`gateway_cache_fenced_fills_total`)
 *   so Redis does not hold entries no one can use.
 *   The invariant a change must not break: **an entry's fence is read before
 *   the data it holds, every invalidation at or below that fence had set its
 *   generations when the fence was read, and a write's generations are set
 *   after it commits and before it returns.** (Here the middle clause holds
 *   because one script reads seq and sets the generations; on a cluster the
 *   fence is the completed watermark, see cluster-backend.ts.) Everything
 *   else (what is cached, TTLs, which tags) may change as long as an entry's
 *   tags cover every row it shows.
 *
 * An invalidation costs O(tags it touched): no membership sets to maintain
 * and no fan-out over entries. Expired entries need no cleanup. Generations
 * live far longer (CACHE_GENERATION_TTL_SECONDS) than any entry and any
 * request, so a forgotten generation cannot let an old entry back in.
 *
 * On a Redis Cluster (REDIS_CLUSTER_NODES) the same argument holds with the
 * keys spread over the shards; src/cache/cluster-backend.ts says what changes
 * and why the invariant survives a failover. This module keeps what both
 * share: the breaker, the outage handling and the L1 link; a `TierBackend`
 * does the Redis work (standalone: the scripts below).
 *
 * Redis away: commands fail after REDIS_COMMAND_TIMEOUT_MS and the breaker
 * opens; reads go to MySQL. An invalidation that could not be delivered
 * leaves the epoch "to be bumped": before this instance uses Redis again it
 * runs the bump script (new epoch, floor = seq), so nothing cached before or
 * during the outage is ever served, and fills fenced before it are refused.
 */
import { Cluster, type Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { createClusterBackend } from './cluster-backend.js';
import type { LocalTier, TierEntry } from './local-tier.js';

const INIT_SEQUENCE = `
local seq = redis.call('GET', p .. 'seq')
if not seq then
  local now = redis.call('TIME')
  redis.call('SET', p .. 'seq', string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2])), 'NX')
  seq = redis.call('GET', p .. 'seq')
end`;

/**
 * Lua helpers shared by the read and fill scripts. `header(value)` reads an
 * entry's fence and tags from its first bytes (entries start with
 * `{"f":F,"t":["tag",…]`; tags hold no quotes), without decoding the value.
 * `generations(tags)` is one MGET per thousand tags (Lua's unpack limit).
 */
const ENTRY_HELPERS = `
local function header(value)
  local fence, list = string.match(value, '^{"f":(%d+),"t":%[(.-)%]')
  if not fence then return nil, nil end
  local tags = {}
  for tag in string.gmatch(list, '"([^"]*)"') do tags[#tags + 1] = tag end
  return tonumber(fence), tags
end
local function generations(p, names)
  local out = {}
  for i = 1, #names, 1000 do
    local keys = {}
    for j = i, math.min(i + 999, #names) do keys[#keys + 1] = p .. 'g:' .. names[j] end
    local values = redis.call('MGET', unpack(keys))
    for j = 1, #values do out[names[i + j - 1]] = tonumber(values[j] or '0') end
  end
  return out
end
local function current(fence, tags, floor, generation)
  if not fence or fence < floor then return false end
  for _, tag in ipairs(tags) do
    if generation[tag] > fence then return false end
  end
  return true
end
local function distinct(lists)
  local seen, names = {}, {}
  for _, tags in pairs(lists) do
    for _, tag in ipairs(tags) do
      if not seen[tag] then seen[tag] = true names[#names + 1] = tag end
    end
  end
  return names
end`;

/** ARGV: prefix, key... → { seq, outdated count, value-or-false... }: an outdated entry reads as false. */
const READ_SCRIPT = `
local p = ARGV[1]
${INIT_SEQUENCE}
${ENTRY_HELPERS}
local state = redis.call('MGET', p .. 'epoch', p .. 'floor')
local epoch = state[1] or '0'
local floor = tonumber(state[2] or '0')
local values = {}
local outdated = 0
if #ARGV > 1 then
  local names = {}
  for i = 2, #ARGV do names[#names + 1] = p .. epoch .. ':v:' .. ARGV[i] end
  values = redis.call('MGET', unpack(names))
  local fences, lists = {}, {}
  for i = 1, #values do
    if values[i] then fences[i], lists[i] = header(values[i]) end
  end
  local generation = generations(p, distinct(lists))
  for i = 1, #values do
    if values[i] and not current(fences[i], lists[i] or {}, floor, generation) then
      values[i] = false
      outdated = outdated + 1
    end
  end
end
local out = { seq, outdated }
for i = 1, #values do out[#out + 1] = values[i] end
return out`;

/** ARGV: prefix, fence, then (key, ttl seconds, value) per entry → { 1|0 per entry } */
const FILL_SCRIPT = `
local p = ARGV[1]
${ENTRY_HELPERS}
local fence = tonumber(ARGV[2])
local state = redis.call('MGET', p .. 'seq', p .. 'floor', p .. 'epoch')
local floor = tonumber(state[2] or '0')
local out = {}
local count = (#ARGV - 2) / 3
if (not state[1]) or fence < floor or tonumber(state[1]) < fence then
  for i = 1, count do out[i] = 0 end
  return out
end
local ns = p .. (state[3] or '0') .. ':v:'
local fences, lists = {}, {}
for i = 1, count do fences[i], lists[i] = header(ARGV[i * 3 + 2]) end
local generation = generations(p, distinct(lists))
for i = 1, count do
  -- The entry's own fence must be the one the fill is fenced at (a caller's mistake otherwise).
  if fences[i] == fence and current(fence, lists[i], floor, generation) then
    redis.call('SET', ns .. ARGV[i * 3], ARGV[i * 3 + 2], 'EX', ARGV[i * 3 + 1])
    out[i] = 1
  else
    out[i] = 0
  end
end
return out`;

/** ARGV: prefix, generationTtl, tag... → new seq (as a string) */
const INVALIDATE_SCRIPT = `
local p = ARGV[1]
${INIT_SEQUENCE}
seq = string.format('%.0f', redis.call('INCR', p .. 'seq'))
local tags = {}
for i = 3, #ARGV do
  tags[#tags + 1] = ARGV[i]
  redis.call('SET', p .. 'g:' .. ARGV[i], seq, 'EX', ARGV[2])
end
redis.call('PUBLISH', p .. 'invalidations', '{"seq":"' .. seq .. '","tags":' .. cjson.encode(tags) .. '}')
return seq`;

/** ARGV: prefix → new seq; abandons every entry and refuses fills fenced before now. */
const BUMP_EPOCH_SCRIPT = `
local p = ARGV[1]
${INIT_SEQUENCE}
seq = string.format('%.0f', redis.call('INCR', p .. 'seq'))
redis.call('SET', p .. 'floor', seq)
redis.call('INCR', p .. 'epoch')
redis.call('PUBLISH', p .. 'invalidations', '{"seq":"' .. seq .. '","flush":true}')
return seq`;

interface ScriptedRedis extends Redis {
  cacheRead(prefix: string, ...keys: string[]): Promise<[string, number, ...(string | null)[]]>;
  cacheFill(prefix: string, fence: string, ...entries: (string | number)[]): Promise<number[]>;
  cacheInvalidate(prefix: string, generationTtl: number, ...tags: string[]): Promise<string>;
  cacheBumpEpoch(prefix: string): Promise<string>;
}

/** What the shared tier reads and writes, on one Redis or on a Cluster. */
export interface TierBackend {
  /**
   * Whether `read` checks the entries against their tags' generations atomically with the sequence it
   * returns (one script), so an entry it serves is current at that sequence. On a cluster the generations
   * are read after the sequence, and an entry is only known current at its own fence.
   */
  readonly atomicReads: boolean;
  /**
   * The invalidation sequence (started if Redis has none), the fence a request that starts with this read
   * works under, and the entries of `keys`: null when absent or outdated. The fence is the sequence on one
   * Redis; on a cluster it is lower while an invalidation drawn at or below the sequence is still raising
   * its generations (cluster-backend.ts): entries served, and MySQL reads made after, are current at it.
   */
  read(keys: readonly string[]): Promise<{ sequence: number; fence: number; outdated: number; values: (string | null)[] }>;
  /** Stores the entries fenced at `fence` whose tags were not invalidated after it; which were stored. */
  fill(fence: number, entries: readonly { key: string; ttlSeconds: number; value: string }[]): Promise<boolean[]>;
  /** Raises the generation of every tag to a new sequence, publishes it, and returns that sequence. */
  invalidate(tags: readonly string[]): Promise<number>;
  /** Abandons every entry: entries fenced before the returned sequence are never served (the floor). */
  bumpEpoch(): Promise<number>;
  /**
   * Subscribes to the published invalidations: `onReady` once subscribed (every later invalidation then
   * arrives as a message), `onDrop` whenever the link is lost (messages may have been missed).
   */
  openFeed(feed: { onMessage(text: string): void; onReady(): void; onDrop(): void }): { close(): void };
}

/** The standalone backend: one Redis, the scripts above (each one atomic). */
function createStandaloneBackend(redis: Redis, prefix: string, generationTtlSeconds: number): TierBackend {
  const scripted = redis as ScriptedRedis;
  for (const [name, lua] of [
    ['cacheRead', READ_SCRIPT],
    ['cacheFill', FILL_SCRIPT],
    ['cacheInvalidate', INVALIDATE_SCRIPT],
    ['cacheBumpEpoch', BUMP_EPOCH_SCRIPT],
  ] as const) {
    if (!(name in scripted)) scripted.defineCommand(name, { numberOfKeys: 0, lua });
  }
  return {
    atomicReads: true,
    async read(keys) {
      const [sequence, outdated, ...values] = await scripted.cacheRead(prefix, ...keys);
      return { sequence: Number(sequence), fence: Number(sequence), outdated: Number(outdated), values: values.map((value) => (value ? value : null)) };
    },
    async fill(fence, entries) {
      const stored = await scripted.cacheFill(prefix, String(fence), ...entries.flatMap((entry) => [entry.key, entry.ttlSeconds, entry.value]));
      return stored.map((flag) => flag === 1);
    },
    async invalidate(tags) {
      return Number(await scripted.cacheInvalidate(prefix, generationTtlSeconds, ...tags));
    },
    async bumpEpoch() {
      return Number(await scripted.cacheBumpEpoch(prefix));
    },
    openFeed({ onMessage, onReady, onDrop }) {
      const subscriber = redis.duplicate({ autoResubscribe: false, enableOfflineQueue: true, commandTimeout: undefined });
      const channel = `${prefix}invalidations`;
      subscriber.on('error', () => undefined);
      subscriber.on('close', onDrop);
      subscriber.on('end', onDrop);
      subscriber.on('message', (_channel: string, message: string) => onMessage(message));
      subscriber.on('ready', () => {
        subscriber.subscribe(channel).then(onReady, () => onDrop());
      });
      subscriber.connect().catch(() => undefined);
      return { close: () => subscriber.disconnect() };
    },
  };
}

export interface RedisTierOptions {
  /** One Redis (the scripts above) or a Cluster (src/cache/cluster-backend.ts). */
  readonly redis: Redis | Cluster;
  /** REDIS_KEY_PREFIX; the tier's keys live under `<prefix>c:`. */
  readonly keyPrefix: string;
  /** The L1 this tier keeps in step through pub/sub (null: no L1). */
  readonly local: LocalTier | null;
  /** REDIS_BREAKER_FAILURES: consecutive failures that open the breaker. */
  readonly breakerFailures: number;
  /** REDIS_BREAKER_COOLDOWN_MS: how long the breaker stays open before one probe may pass. */
  readonly breakerCooldownMs: number;
  /** CACHE_GENERATION_TTL_SECONDS: how long a tag's generation is remembered (longer than any entry lives). */
  readonly generationTtlSeconds: number;
  readonly logger: Logger;
  /** Counts every failed Redis command. */
  readonly onError: () => void;
  /** Counts every command the open breaker refused without sending it. */
  readonly onRefused: () => void;
  /** Cluster only: replicas that must hold an invalidation before it counts as done (REDIS_WAIT_REPLICAS). */
  readonly waitReplicas?: number;
  /** Cluster only: how long WAIT may take (REDIS_WAIT_TIMEOUT_MS). */
  readonly waitTimeoutMs?: number;
  /** Cluster only: how long an invalidation retries through a failover before failing open (CACHE_INVALIDATION_RETRY_MS). */
  readonly invalidationRetryMs?: number;
  /** Cluster only: the longest a read or fill may take, ioredis' retries included (REDIS_COMMAND_TIMEOUT_MS). */
  readonly commandTimeoutMs?: number;
}

export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(`Redis cache unavailable: ${reason}`);
  }
}

/**
 * Closed: commands pass. After `failures` consecutive failures it opens:
 * commands fail at once for `cooldownMs`, then one probe passes (half-open);
 * its success closes the breaker, its failure opens it again.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly failures: number,
    private readonly cooldownMs: number,
  ) {}

  get closed(): boolean {
    return this.openedAt === null;
  }

  allow(): boolean {
    if (this.openedAt === null) return true;
    if (this.probing || Date.now() - this.openedAt < this.cooldownMs) return false;
    this.probing = true;
    return true;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  failed(): void {
    this.probing = false;
    this.consecutiveFailures += 1;
    if (this.openedAt !== null || this.consecutiveFailures >= this.failures) this.openedAt = Date.now();
  }
}

export class RedisTier {
  private readonly backend: TierBackend;
  /** The invalidation feed that keeps the L1 in step; none without an L1 (nothing to keep in step). */
  private feed: { close(): void } | null = null;
  private readonly prefix: string;
  private readonly breaker: CircuitBreaker;
  /** An invalidation may not have reached Redis: bump the epoch before using it again. */
  private epochBumpPending = false;
  /** Invalidations that may not have reached Redis so far; a bump covers those counted before it was sent. */
  private undelivered = 0;
  /** Retries the pending bump while nothing else uses Redis, so other instances stop serving old entries soon. */
  private bumpRetry: NodeJS.Timeout | null = null;
  /** The L1 has applied every invalidation up to `local.sequence`. */
  private localSynced = false;
  /** On a Redis Cluster (the cluster backend). */
  private readonly clustered: boolean;

  constructor(private readonly options: RedisTierOptions) {
    this.prefix = `${options.keyPrefix}c:`;
    const redis = options.redis;
    this.clustered = redis instanceof Cluster;
    this.backend =
      redis instanceof Cluster
        ? createClusterBackend({
            cluster: redis,
            keyPrefix: options.keyPrefix,
            generationTtlSeconds: options.generationTtlSeconds,
            waitReplicas: options.waitReplicas ?? 1,
            waitTimeoutMs: options.waitTimeoutMs ?? 500,
            retryMs: options.invalidationRetryMs ?? 5000,
            commandTimeoutMs: options.commandTimeoutMs ?? 1000,
            logger: options.logger,
          })
        : createStandaloneBackend(redis, this.prefix, options.generationTtlSeconds);
    this.breaker = new CircuitBreaker(options.breakerFailures, options.breakerCooldownMs);
    if (options.local) this.linkLocalTier(options.local);
  }

  /**
   * The fence under which an entry `read` served may enter the L1: the read's sequence when the backend
   * checked it atomically at that sequence, else the entry's own fence. (On a cluster an invalidation drawn
   * before the read's sequence may raise its generations only after the read checked them; its message may
   * already have reached the L1, which must then refuse the entry, as it does for a fill fenced before it.)
   */
  promotionFence(sequence: number, entryFence: number): number {
    return this.backend.atomicReads ? sequence : entryFence;
  }

  /** True while the circuit breaker is open (Redis skipped, or one probe in flight): for /metrics. */
  get breakerOpen(): boolean {
    return !this.breaker.closed;
  }

  /** Whether the L1 is in step with Redis (subscribed, no outage pending): only then is it worth looking in. */
  get linked(): boolean {
    return this.localSynced && this.breaker.closed && !this.epochBumpPending && this.options.local !== null;
  }

  /** Whether the L1 may answer a request whose first cache read saw `sequence`: linked, and caught up with it. */
  localCurrent(sequence: number): boolean {
    return this.linked && this.options.local!.sequence >= sequence;
  }

  /**
   * The invalidation sequence and the current values of `keys`, in one round
   * trip: null for a key without an entry or whose entry is outdated (one of
   * its tags was invalidated after its fence); `outdated` counts the latter.
   */
  async read(keys: readonly string[]): Promise<{ sequence: number; fence: number; outdated: number; values: (string | null)[] }> {
    return this.guard(() => this.backend.read(keys));
  }

  /**
   * Stores entries read under `fence` (each entry's text starts with that
   * fence, see the header above) unless one of their tags was invalidated
   * after it; returns which were stored.
   */
  async store(entries: readonly TierEntry[], fence: number, ttlSeconds: number): Promise<boolean[]> {
    const sized = entries.map((entry) => ({ key: entry.key, ttlSeconds: entry.ttlSeconds ?? ttlSeconds, value: entry.value }));
    return this.guard(() => this.backend.fill(fence, sized));
  }

  /**
   * Invalidates `tags` and returns the new sequence. When Redis cannot be
   * reached the L1 is emptied, the epoch bump is scheduled and null returned:
   * the write has committed, so the caller must not fail because of the cache.
   */
  async invalidate(tags: readonly string[]): Promise<number | null> {
    try {
      // On a cluster one dead shard opens the breaker while the others still serve entries, so a refused
      // invalidation would leave them servable: it is always sent (and retried through the failover).
      const sequence = await this.guard(() => this.backend.invalidate(tags), { bypassBreaker: this.clustered });
      // Dropped here at once; the published message also reaches this instance and advances its sequence.
      this.options.local?.invalidate(tags, sequence, { advance: false });
      return sequence;
    } catch (error) {
      this.undelivered += 1;
      this.epochBumpPending = true;
      this.scheduleBumpRetry();
      this.options.local?.clear();
      this.options.logger.warn({ err: error, tags: tags.length }, 'cache invalidation did not reach Redis; epoch bump scheduled');
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.bumpRetry) clearInterval(this.bumpRetry);
    this.feed?.close();
  }

  private scheduleBumpRetry(): void {
    if (this.bumpRetry) return;
    this.bumpRetry = setInterval(() => {
      if (!this.epochBumpPending) {
        clearInterval(this.bumpRetry!);
        this.bumpRetry = null;
        return;
      }
      // guard() runs the bump first; the command itself does nothing.
      this.guard(async () => undefined).catch(() => undefined);
    }, this.options.breakerCooldownMs);
    this.bumpRetry.unref();
  }

  private async guard<T>(command: () => Promise<T>, { bypassBreaker = false } = {}): Promise<T> {
    if (!bypassBreaker && !this.breaker.allow()) {
      this.options.onRefused();
      throw new RedisUnavailableError('circuit open');
    }
    try {
      if (this.epochBumpPending) {
        const covered = this.undelivered;
        await this.backend.bumpEpoch();
        // An invalidation that failed while the bump was in flight may postdate it: bump again then.
        if (this.undelivered === covered) this.epochBumpPending = false;
        this.options.logger.info('Redis is back: cache epoch bumped, entries from before the outage abandoned');
      }
      const result = await command();
      this.breaker.succeeded();
      return result;
    } catch (error) {
      this.breaker.failed();
      this.options.onError();
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError((error as Error).message);
    }
  }

  /** Subscribes to invalidations; the L1 counts as synced only between a confirmed subscription and a drop. */
  private linkLocalTier(local: LocalTier): void {
    const desync = () => {
      this.localSynced = false;
      local.clear();
    };
    let attempt = 0;
    const synchronize = async () => {
      const mine = ++attempt;
      try {
        // Every invalidation after this read arrives as a message.
        const { sequence } = await this.backend.read([]);
        if (mine !== attempt) return;
        local.reset(sequence);
        this.localSynced = true;
      } catch (error) {
        this.options.logger.debug({ err: error }, 'cache pub/sub link not established; retrying');
        desync();
        // The main connection may not be ready yet: try again while the feed stays subscribed.
        setTimeout(() => {
          if (mine === attempt) void synchronize();
        }, this.options.breakerCooldownMs).unref();
      }
    };
    this.feed = this.backend.openFeed({
      onReady: () => void synchronize(),
      onDrop: () => {
        attempt += 1;
        desync();
      },
      onMessage: (message) => {
        try {
          const { seq, tags, flush } = JSON.parse(message) as { seq: string; tags?: string[]; flush?: boolean };
          if (flush) local.clear();
          local.invalidate(tags ?? [], Number(seq), { advance: true });
        } catch (error) {
          this.options.logger.error({ err: error }, 'unreadable cache invalidation message; L1 emptied');
          desync();
        }
      },
    });
  }
}
