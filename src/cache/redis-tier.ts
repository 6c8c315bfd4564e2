/**
 * The shared tier: cache entries in Redis, fenced fills and tag invalidation
 * as Lua scripts (each one atomic), a circuit breaker, and the pub/sub link
 * that keeps every instance's L1 in step.
 *
 * Keys under `<prefix>c:` (one Redis, not Redis Cluster: the scripts build
 * key names from the epoch they read):
 *   seq          invalidation sequence; starts at Redis' clock in µs, so a
 *                restarted, empty Redis never hands out a number seen before
 *   floor        fills fenced below this are refused (set by an epoch bump)
 *   epoch        namespace of entries and tag sets
 *   g:<tag>      sequence of the tag's last invalidation (its generation)
 *   <epoch>:v:<key>  entry;  <epoch>:t:<tag>  set of entry keys with that tag
 *
 * Why no stale entry survives (the generation fence):
 *   1. A request reads `seq` (F) before any MySQL read, in the same script as
 *      its first cache read.
 *   2. A mutation commits, then the invalidate script, atomically: increments
 *      seq to S, sets g:<tag> = S for every tag it touched, deletes the
 *      entries in those tag sets and publishes (S, tags). The mutation returns
 *      only after this script has run.
 *   3. The fill script stores an entry only if g:<tag> <= F for all its tags.
 *   If the reader's MySQL read saw the state before the commit, the commit's
 *   invalidation either ran before the fill (g:<tag> = S > F, refused) or
 *   after it (and deleted it). If the invalidation ran before F was read, F >=
 *   S and the MySQL read, which started after F was read, saw the commit.
 *   Generations live far longer (CACHE_GENERATION_TTL_SECONDS) than any
 *   request, so an expired generation cannot let an old fence in.
 *
 * Redis away: commands fail after REDIS_COMMAND_TIMEOUT_MS and the breaker
 * opens; reads go to MySQL. An invalidation that could not be delivered
 * leaves the epoch "to be bumped": before this instance uses Redis again it
 * runs the bump script (new epoch, floor = seq), so nothing cached before or
 * during the outage is ever served, and fills fenced before it are refused.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { LocalTier, TierEntry } from './local-tier.js';

const INIT_SEQUENCE = `
local seq = redis.call('GET', p .. 'seq')
if not seq then
  local now = redis.call('TIME')
  redis.call('SET', p .. 'seq', string.format('%.0f', tonumber(now[1]) * 1000000 + tonumber(now[2])), 'NX')
  seq = redis.call('GET', p .. 'seq')
end`;

/** ARGV: prefix, key... → { seq, value-or-nil... } */
const READ_SCRIPT = `
local p = ARGV[1]
${INIT_SEQUENCE}
local epoch = redis.call('GET', p .. 'epoch') or '0'
local out = { seq }
if #ARGV > 1 then
  local names = {}
  for i = 2, #ARGV do names[#names + 1] = p .. epoch .. ':v:' .. ARGV[i] end
  local values = redis.call('MGET', unpack(names))
  for i = 1, #values do out[#out + 1] = values[i] end
end
return out`;

/** ARGV: prefix, fence, tagSetTtl, JSON [{k, v, ttl, tags}] → { 1|0 per entry } */
const FILL_SCRIPT = `
local p = ARGV[1]
local fence = tonumber(ARGV[2])
local tagTtl = tonumber(ARGV[3])
local entries = cjson.decode(ARGV[4])
local seq = redis.call('GET', p .. 'seq')
local floor = tonumber(redis.call('GET', p .. 'floor') or '0')
local out = {}
if (not seq) or fence < floor or tonumber(seq) < fence then
  for i = 1, #entries do out[i] = 0 end
  return out
end
local ns = p .. (redis.call('GET', p .. 'epoch') or '0') .. ':'
local generations = {}
for i, entry in ipairs(entries) do
  local admitted = 1
  for _, tag in ipairs(entry.tags) do
    local generation = generations[tag]
    if generation == nil then
      generation = tonumber(redis.call('GET', p .. 'g:' .. tag) or '0')
      generations[tag] = generation
    end
    if generation > fence then admitted = 0 break end
  end
  if admitted == 1 then
    local key = ns .. 'v:' .. entry.k
    redis.call('SET', key, entry.v, 'EX', entry.ttl)
    for _, tag in ipairs(entry.tags) do
      redis.call('SADD', ns .. 't:' .. tag, key)
      redis.call('EXPIRE', ns .. 't:' .. tag, tagTtl)
    end
  end
  out[i] = admitted
end
return out`;

/** ARGV: prefix, generationTtl, tag... → new seq (as a string) */
const INVALIDATE_SCRIPT = `
local p = ARGV[1]
${INIT_SEQUENCE}
seq = string.format('%.0f', redis.call('INCR', p .. 'seq'))
local ns = p .. (redis.call('GET', p .. 'epoch') or '0') .. ':'
local tags = {}
for i = 3, #ARGV do
  local tag = ARGV[i]
  tags[#tags + 1] = tag
  redis.call('SET', p .. 'g:' .. tag, seq, 'EX', ARGV[2])
  local members = redis.call('SMEMBERS', ns .. 't:' .. tag)
  for j = 1, #members, 500 do
    redis.call('DEL', unpack(members, j, math.min(j + 499, #members)))
  end
  redis.call('DEL', ns .. 't:' .. tag)
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
  cacheRead(prefix: string, ...keys: string[]): Promise<(string | null)[]>;
  cacheFill(prefix: string, fence: string, tagTtl: number, entries: string): Promise<number[]>;
  cacheInvalidate(prefix: string, generationTtl: number, ...tags: string[]): Promise<string>;
  cacheBumpEpoch(prefix: string): Promise<string>;
}

export interface RedisTierOptions {
  readonly redis: Redis;
  /** REDIS_KEY_PREFIX; the tier's keys live under `<prefix>c:`. */
  readonly keyPrefix: string;
  /** The L1 this tier keeps in step through pub/sub (null: no L1). */
  readonly local: LocalTier | null;
  /** REDIS_BREAKER_FAILURES: consecutive failures that open the breaker. */
  readonly breakerFailures: number;
  /** REDIS_BREAKER_COOLDOWN_MS: how long the breaker stays open before one probe may pass. */
  readonly breakerCooldownMs: number;
  /** CACHE_GENERATION_TTL_SECONDS: how long a tag's generation is remembered. */
  readonly generationTtlSeconds: number;
  /** Lifetime of tag sets; longer than any entry's. */
  readonly tagSetTtlSeconds: number;
  readonly logger: Logger;
  /** Counts every failed Redis command. */
  readonly onError: () => void;
  /** Counts every command the open breaker refused without sending it. */
  readonly onRefused: () => void;
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
class CircuitBreaker {
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
  private readonly redis: ScriptedRedis;
  private readonly subscriber: Redis;
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

  constructor(private readonly options: RedisTierOptions) {
    this.prefix = `${options.keyPrefix}c:`;
    this.redis = options.redis as ScriptedRedis;
    for (const [name, lua] of [
      ['cacheRead', READ_SCRIPT],
      ['cacheFill', FILL_SCRIPT],
      ['cacheInvalidate', INVALIDATE_SCRIPT],
      ['cacheBumpEpoch', BUMP_EPOCH_SCRIPT],
    ] as const) {
      if (!(name in this.redis)) this.redis.defineCommand(name, { numberOfKeys: 0, lua });
    }
    this.breaker = new CircuitBreaker(options.breakerFailures, options.breakerCooldownMs);
    this.subscriber = options.redis.duplicate({ autoResubscribe: false, enableOfflineQueue: true, commandTimeout: undefined });
    if (options.local) this.linkLocalTier(options.local);
  }

  /** True while the circuit breaker is open (Redis skipped, or one probe in flight): for /metrics. */
  get breakerOpen(): boolean {
    return !this.breaker.closed;
  }

  /** Whether the L1 may answer a request whose first cache read saw `sequence`. */
  localCurrent(sequence: number): boolean {
    return (
      this.localSynced &&
      this.breaker.closed &&
      !this.epochBumpPending &&
      this.options.local !== null &&
      this.options.local.sequence >= sequence
    );
  }

  /** The invalidation sequence and the stored values of `keys` (null when absent), in one round trip. */
  async read(keys: readonly string[]): Promise<{ sequence: number; values: (string | null)[] }> {
    const [sequence, ...values] = await this.guard(() => this.redis.cacheRead(this.prefix, ...keys));
    return { sequence: Number(sequence), values };
  }

  /** Stores entries whose tags were not invalidated after `fence`; returns which were stored. */
  async store(entries: readonly TierEntry[], fence: number, ttlSeconds: number): Promise<boolean[]> {
    const payload = JSON.stringify(
      entries.map((entry) => ({ k: entry.key, v: entry.value, ttl: entry.ttlSeconds ?? ttlSeconds, tags: entry.tags })),
    );
    const stored = await this.guard(() =>
      this.redis.cacheFill(this.prefix, String(fence), this.options.tagSetTtlSeconds, payload),
    );
    return stored.map((flag) => flag === 1);
  }

  /**
   * Invalidates `tags` and returns the new sequence. When Redis cannot be
   * reached the L1 is emptied, the epoch bump is scheduled and null returned:
   * the write has committed, so the caller must not fail because of the cache.
   */
  async invalidate(tags: readonly string[]): Promise<number | null> {
    try {
      const sequence = Number(
        await this.guard(() => this.redis.cacheInvalidate(this.prefix, this.options.generationTtlSeconds, ...tags)),
      );
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
    this.subscriber.disconnect();
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

  private async guard<T>(command: () => Promise<T>): Promise<T> {
    if (!this.breaker.allow()) {
      this.options.onRefused();
      throw new RedisUnavailableError('circuit open');
    }
    try {
      if (this.epochBumpPending) {
        const covered = this.undelivered;
        await this.redis.cacheBumpEpoch(this.prefix);
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
    const channel = `${this.prefix}invalidations`;
    const desync = () => {
      this.localSynced = false;
      local.clear();
    };
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('close', desync);
    this.subscriber.on('end', desync);
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const { seq, tags, flush } = JSON.parse(message) as { seq: string; tags?: string[]; flush?: boolean };
        if (flush) local.clear();
        local.invalidate(tags ?? [], Number(seq), { advance: true });
      } catch (error) {
        this.options.logger.error({ err: error }, 'unreadable cache invalidation message; L1 emptied');
        desync();
      }
    });
    const synchronize = () => {
      void (async () => {
        try {
          await this.subscriber.subscribe(channel);
          // Every invalidation after this read arrives as a message.
          const [sequence] = await this.redis.cacheRead(this.prefix);
          local.reset(Number(sequence));
          this.localSynced = true;
        } catch (error) {
          this.options.logger.debug({ err: error }, 'cache pub/sub link not established; retrying');
          desync();
          // The main connection may not be ready yet: try again while the subscriber stays up.
          setTimeout(() => {
            if (this.subscriber.status === 'ready') synchronize();
          }, this.options.breakerCooldownMs).unref();
        }
      })();
    };
    this.subscriber.on('ready', synchronize);
    this.subscriber.connect().catch(() => undefined);
  }
}
