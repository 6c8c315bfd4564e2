/**
 * The shared tier's backend on a Redis Cluster (REDIS_CLUSTER_NODES): the
 * same entries, tag generations and fence as on one Redis (redis-tier.ts),
 * with the keys spread over the shards instead of read and written by one
 * script.
 *
 * Keys (P = REDIS_KEY_PREFIX), and where they live:
 *   {Pc}:seq, {Pc}:floor   the invalidation sequence and the floor: one hash
 *                          tag, so the scripts that advance them are atomic;
 *                          the only keys every operation touches
 *   {Pc}:pending           the invalidations drawn whose generations are not
 *                          all raised yet (member: sequence, score: Redis'
 *                          clock when drawn); empty, so absent, at rest
 *   {Pc}:invalidations     the sharded pub/sub channel (SPUBLISH), same slot
 *   Pc:g:{<tag>}           a tag's generation: one slot per tag
 *   Pc:v:{<key>}           an entry: one slot per cache key
 * So generations and entries spread over every primary; no operation needs
 * two of them atomically.
 *
 * Why the guarantee of redis-tier.ts still holds, step by step:
 * - Read: round trip 1 reads the sequence, the floor, the oldest pending
 *   invalidation and the entries; round trip 2 the generations of the tags
 *   those entries carry. An entry is served only if every generation is <= its
 *   fence and its fence >= floor: the check the read script does, on values
 *   read after the entries.
 * - The read's fence (what the request's fills and composed responses are
 *   fenced at) is not the sequence but the completed watermark W: the sequence,
 *   or just below the oldest invalidation still pending, whichever is lower.
 *   An invalidation is drawn first and raises its generations after, so while
 *   it is pending a read can see its sequence and the old generations: an
 *   entry served then is current at its own fence, not at the sequence. (A
 *   response composed of such an entry and fenced at the sequence was stored,
 *   checked against the raised generation, and served the old row after the
 *   mutation returned: test/redis-cluster.test.ts, slots moving under writes.)
 *   Every invalidation at or below W had raised its generations before round
 *   trip 1, so round trip 2 sees them, and an entry it serves is current at W.
 * - Invalidate (after commit, before the mutation returns): one script on the
 *   sequence's slot draws S and publishes (S, tags) atomically (so the feed
 *   carries invalidations in sequence order, which the L1 needs); then each
 *   tag's generation is raised to S, never lowered (a script per key: two
 *   writers finishing out of order must not put an older sequence back).
 *   The mutation returns after every generation is set and S left the
 *   pending set. A read that starts after that sees g >= S for every tag, so
 *   an entry fenced before the commit (F < S) is refused wherever it is
 *   stored. A pending sequence whose writer died is ignored once it is older
 *   than the longest an invalidation may retry (`abandonAfterUs`).
 * - Failover: a primary's writes reach its replica asynchronously, so a
 *   promoted replica could miss the last generation or sequence and an old
 *   entry would become servable again. An invalidation therefore counts as
 *   done only when WAIT confirms REDIS_WAIT_REPLICAS replicas hold the
 *   sequence and each generation (or every replica attached to that primary,
 *   when fewer are: one attached later syncs first, so it cannot be promoted
 *   without them); otherwise it is retried (slots move, the
 *   cluster answers CLUSTERDOWN for a moment) for up to
 *   CACHE_INVALIDATION_RETRY_MS, and past that it fails open as on one Redis
 *   (the tier bumps the floor before using Redis again). The sequence is
 *   drawn as max(previous + 1, Redis' clock in µs), so even a sequence lost
 *   with a primary is never handed out twice.
 * - Fill: checks the generations and the floor first (an entry already
 *   outdated is not stored; one outdated after the check is refused on read).
 *
 * Written here rather than with a library: the guarantee is this module's
 * ordering of reads and writes, which no general cluster cache provides.
 *
 * Example:
 *   const backend = createClusterBackend({ cluster, keyPrefix: 'gw:', generationTtlSeconds: 86400,
 *     waitReplicas: 1, waitTimeoutMs: 500, retryMs: 5000, logger });
 *   const { sequence, values } = await backend.read(['Patient:1']);
 */
// Redis Cluster's CRC16 key slot with hash tags: the helper ioredis itself uses.
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import type { Logger } from '../logger.js';
import type { TierBackend } from './redis-tier.js';
import { headerOf } from './serialize.js';

export interface ClusterBackendOptions {
  readonly cluster: Cluster;
  readonly keyPrefix: string;
  readonly generationTtlSeconds: number;
  /** REDIS_WAIT_REPLICAS: replicas that must acknowledge an invalidation (0: do not wait). */
  readonly waitReplicas: number;
  /** REDIS_WAIT_TIMEOUT_MS: how long one WAIT may take. */
  readonly waitTimeoutMs: number;
  /** CACHE_INVALIDATION_RETRY_MS: how long an invalidation is retried before it fails. */
  readonly retryMs: number;
  /** REDIS_COMMAND_TIMEOUT_MS: the longest a read or fill may take, retries through a failover included. */
  readonly commandTimeoutMs: number;
  readonly logger: Logger;
}

/** An entry's fence and tags (serialize.ts' header), or null for a value that is not an entry. */
function entryHeader(value: string): { fence: number; tags: readonly string[] } | null {
  try {
    const { f, t } = headerOf(value);
    return typeof f === 'number' && Array.isArray(t) ? { fence: f, tags: t } : null;
  } catch {
    return null;
  }
}

/**
 * KEYS: seq, floor, pending; ARGV: abandon after (µs) → { seq, floor, watermark }: the watermark is the
 * sequence, or one below the oldest pending invalidation not yet abandoned. The sequence starts at Redis'
 * clock in µs.
 */
const CONTROL_READ = `
local now = redis.call('TIME')
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
local seq = redis.call('GET', KEYS[1])
if not seq then
  redis.call('SET', KEYS[1], string.format('%.0f', clock), 'NX')
  seq = redis.call('GET', KEYS[1])
end
local watermark = tonumber(seq)
for _, drawn in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], string.format('%.0f', clock - tonumber(ARGV[1])), '+inf')) do
  watermark = math.min(watermark, tonumber(drawn) - 1)
end
return { seq, redis.call('GET', KEYS[2]) or '0', string.format('%.0f', watermark) }`;

/**
 * KEYS: seq, floor, pending; ARGV: channel, message template kind ('tags' | 'flush'), tags JSON, abandon
 * after (µs) → the new sequence, pending until its generations are raised (a flush sets the floor here,
 * so it is never pending). The sequence never repeats, even after a failover lost the last increments:
 * max(previous + 1, now in µs).
 */
const CONTROL_ADVANCE = `
local now = redis.call('TIME')
local clock = tonumber(now[1]) * 1000000 + tonumber(now[2])
local seq = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, clock)
local text = string.format('%.0f', seq)
redis.call('SET', KEYS[1], text)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.0f', clock - tonumber(ARGV[4])))
if ARGV[2] == 'flush' then
  redis.call('SET', KEYS[2], text)
  redis.call('SPUBLISH', ARGV[1], '{"seq":"' .. text .. '","flush":true}')
else
  redis.call('ZADD', KEYS[3], clock, text)
  redis.call('SPUBLISH', ARGV[1], '{"seq":"' .. text .. '","tags":' .. ARGV[3] .. '}')
end
return text`;

/** KEYS: a generation; ARGV: sequence, ttl → raises it, never lowers it. */
const RAISE_GENERATION = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1`;

interface ScriptedCluster extends Cluster {
  clusterCacheControl(seqKey: string, floorKey: string, pendingKey: string, abandonAfterUs: number): Promise<[string, string, string]>;
  clusterCacheAdvance(seqKey: string, floorKey: string, pendingKey: string, channel: string, kind: string, tags: string, abandonAfterUs: number): Promise<string>;
  clusterCacheRaise(generationKey: string, sequence: string, ttl: number): Promise<number>;
}

/** `{name}`: the name as its own hash tag (braces inside would cut it short, so they are left out of the tag). */
function slotted(name: string): string {
  const tag = name.replace(/[{}]/g, '');
  return tag === name ? `{${name}}` : `{${tag}}${name}`;
}

export function createClusterBackend(options: ClusterBackendOptions): TierBackend {
  const cluster = options.cluster as ScriptedCluster;
  const prefix = options.keyPrefix;
  const control = `{${prefix}c}`;
  const seqKey = `${control}:seq`;
  const floorKey = `${control}:floor`;
  const pendingKey = `${control}:pending`;
  // The longest an invalidation may stay pending: every retry, each with a WAIT and a command timeout.
  const abandonAfterUs = (options.retryMs + 2 * (options.waitTimeoutMs + options.commandTimeoutMs) + 1000) * 1000;
  const channel = `${control}:invalidations`;
  const entryKey = (key: string) => `${prefix}c:v:${slotted(key)}`;
  const generationKey = (tag: string) => `${prefix}c:g:${slotted(tag)}`;
  for (const [name, lua] of [
    ['clusterCacheControl', CONTROL_READ],
    ['clusterCacheAdvance', CONTROL_ADVANCE],
    ['clusterCacheRaise', RAISE_GENERATION],
  ] as const) {
    if (!(name in cluster)) cluster.defineCommand(name, { numberOfKeys: name === 'clusterCacheRaise' ? 1 : 3, lua });
  }

  /**
   * GET of each key, one pipeline per primary on that primary's own connection (not the cluster's pipeline:
   * when one of its commands meets ASK, ioredis re-sends the whole pipeline to the importing node, where the
   * other keys of the migrating slot read as missing; see src/redis/client.ts). A key whose command fails
   * there (MOVED, ASK, TRYAGAIN, a node not known yet) is read again alone through the cluster, which
   * follows the redirection for that key only.
   */
  async function getMany(keys: readonly string[]): Promise<(string | null)[]> {
    const values = new Array<string | null>(keys.length).fill(null);
    const primaries = new Map(cluster.nodes('master').map((node) => [`${node.options.host}:${node.options.port}`, node]));
    const groups = new Map<Redis, number[]>();
    const alone: number[] = [];
    keys.forEach((key, index) => {
      const owner = cluster.slots[calculateSlot(key)]?.[0];
      const node = owner === undefined ? undefined : primaries.get(owner);
      if (!node) return alone.push(index);
      let group = groups.get(node);
      if (!group) groups.set(node, (group = []));
      group.push(index);
    });
    await Promise.all(
      [...groups].map(async ([node, indices]) => {
        const results = await node
          .pipeline(indices.map((index) => ['get', keys[index]!]))
          .exec()
          .catch(() => null);
        indices.forEach((index, position) => {
          const [error, value] = results?.[position] ?? [new Error('pipeline failed')];
          if (error) alone.push(index);
          else values[index] = (value as string | null) ?? null;
        });
      }),
    );
    await Promise.all(alone.map(async (index) => (values[index] = await cluster.get(keys[index]!))));
    return values;
  }

  /** The generation of each tag (0 when Redis has none). */
  async function generations(tags: readonly string[]): Promise<Map<string, number>> {
    const values = await getMany(tags.map(generationKey));
    return new Map(tags.map((tag, index) => [tag, Number(values[index] ?? 0)]));
  }

  const current = (header: { fence: number; tags: readonly string[] } | null, floor: number, generation: Map<string, number>) =>
    header !== null && header.fence >= floor && header.tags.every((tag) => (generation.get(tag) ?? 0) <= header.fence);

  /** Replicas attached to each primary ("host:port") at its last ROLE: how many a WAIT there can reach. */
  const attachedReplicas = new Map<string, number>();

  /**
   * Runs `write` on the node of `key`'s slot with a WAIT and a ROLE after it, in one pipeline; throws unless
   * min(REDIS_WAIT_REPLICAS, replicas attached to that primary) acknowledged. A replica not attached cannot be
   * promoted with older data: it first syncs from the primary. So a primary a failover left without replicas
   * confirms on its own, instead of every invalidation on its slots waiting out its retries and failing open.
   */
  async function durable(key: string, write: (pipeline: ReturnType<Cluster['pipeline']>) => void): Promise<unknown> {
    const pipeline = cluster.pipeline();
    write(pipeline);
    if (options.waitReplicas === 0) {
      const results = (await pipeline.exec()) ?? [];
      for (const [error] of results) if (error) throw error;
      return results[0]?.[1];
    }
    const node = cluster.slots[calculateSlot(key)]?.[0] ?? '';
    const expected = Math.min(options.waitReplicas, attachedReplicas.get(node) ?? options.waitReplicas);
    if (expected > 0) pipeline.wait(expected, options.waitTimeoutMs);
    pipeline.role();
    const results = (await pipeline.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
    // ROLE of a primary: ['master', offset, [[host, port, offset], …one per attached replica]].
    const role = results.at(-1)?.[1] as [string, number, unknown[]] | undefined;
    const attached = role?.[0] === 'master' ? role[2].length : 0;
    attachedReplicas.set(node, attached);
    const acknowledged = expected > 0 ? Number(results.at(-2)?.[1] ?? 0) : 0;
    const required = Math.min(options.waitReplicas, attached);
    if (acknowledged < required) {
      throw new Error(`only ${acknowledged} of ${required} replicas acknowledged the write of ${key} within ${options.waitTimeoutMs} ms`);
    }
    return results[0]?.[1];
  }

  /**
   * `work`, or an error once `commandTimeoutMs` has passed: while slots move, ioredis retries a command
   * (CLUSTERDOWN, a closed connection) past its own per-send timeout, and a read must go to MySQL instead.
   */
  function bounded<T>(what: string, work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${options.commandTimeoutMs} ms on the cluster`)), options.commandTimeoutMs);
    });
    work.catch(() => undefined); // a late failure after the deadline is not unhandled
    return Promise.race([work, expired]).finally(() => clearTimeout(timer));
  }

  /** Retries `attempt` while the cluster fails over (errors), up to CACHE_INVALIDATION_RETRY_MS. */
  async function retried<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + options.retryMs;
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        options.logger.debug({ err: error, tries }, `${what} failed on the cluster; retrying`);
        // A failover shows as errors from the dead primary, not as MOVED: re-read the slot map now.
        cluster.refreshSlotsCache();
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * tries, 500)));
      }
    }
  }

  async function advance(kind: 'tags' | 'flush', tags: readonly string[], drawn: string[]): Promise<number> {
    const sequence = String(
      await durable(seqKey, (pipeline) =>
        (pipeline as unknown as ScriptedCluster).clusterCacheAdvance(seqKey, floorKey, pendingKey, channel, kind, JSON.stringify(tags), abandonAfterUs),
      ),
    );
    drawn.push(sequence);
    // Every generation raised (and replicated) before the mutation may return; grouped per tag, in parallel.
    await Promise.all(
      tags.map((tag) =>
        durable(generationKey(tag), (pipeline) =>
          (pipeline as unknown as ScriptedCluster).clusterCacheRaise(generationKey(tag), sequence, options.generationTtlSeconds),
        ),
      ),
    );
    return Number(sequence);
  }

  /**
   * An invalidation through its retries: each attempt draws a new sequence; once one has raised every
   * generation, it covers the earlier ones too, and all leave the pending set. (Left there, they would
   * only hold the watermark down until abandoned: safe, and not worth failing the mutation for.)
   */
  async function invalidation(kind: 'tags' | 'flush', tags: readonly string[]): Promise<number> {
    const drawn: string[] = [];
    const sequence = await retried(`cache ${kind === 'flush' ? 'epoch bump' : 'invalidation'}`, () => advance(kind, tags, drawn));
    if (kind === 'tags') {
      await cluster.zrem(pendingKey, ...drawn).catch((error: unknown) => options.logger.debug({ err: error }, 'pending invalidation not cleared; it is abandoned later'));
    }
    return sequence;
  }

  async function readNow(keys: readonly string[]): Promise<{ sequence: number; fence: number; outdated: number; values: (string | null)[] }> {
    const [[sequence, floor, watermark], values] = await Promise.all([
      cluster.clusterCacheControl(seqKey, floorKey, pendingKey, abandonAfterUs),
      getMany(keys.map(entryKey)),
    ]);
    const headers = values.map((value) => (value ? entryHeader(value) : null));
    const generation = await generations([...new Set(headers.flatMap((header) => header?.tags ?? []))]);
    let outdated = 0;
    const served = values.map((value, index) => {
      if (!value) return null;
      if (current(headers[index]!, Number(floor), generation)) return value;
      outdated += 1;
      return null;
    });
    return { sequence: Number(sequence), fence: Number(watermark), outdated, values: served };
  }

  async function fillNow(fence: number, entries: readonly { key: string; ttlSeconds: number; value: string }[]): Promise<boolean[]> {
    const headers = entries.map((entry) => entryHeader(entry.value));
    const [[sequence, floor], generation] = await Promise.all([
      cluster.clusterCacheControl(seqKey, floorKey, pendingKey, abandonAfterUs),
      generations([...new Set(headers.flatMap((header) => header?.tags ?? []))]),
    ]);
    // A fence from the future means the sequence was reset under it (an emptied cluster): store nothing.
    if (Number(sequence) < fence) return entries.map(() => false);
    const storable = entries.map((_entry, index) => headers[index]?.fence === fence && current(headers[index]!, Number(floor), generation));
    await Promise.all(
      entries.map((entry, index) => (storable[index] ? cluster.set(entryKey(entry.key), entry.value, 'EX', entry.ttlSeconds) : null)),
    );
    return storable;
  }

  return {
    atomicReads: false,
    read(keys) {
      return bounded('a cache read', readNow(keys));
    },

    fill(fence, entries) {
      return bounded('a cache fill', fillNow(fence, entries));
    },

    invalidate(tags) {
      return invalidation('tags', tags);
    },

    bumpEpoch() {
      return invalidation('flush', []);
    },

    openFeed({ onMessage, onReady, onDrop }) {
      // One plain connection to the node that serves the channel's slot, re-resolved after every drop: a
      // failover moves the slot, and a drop must be seen (the L1 is emptied until the link is back).
      let subscriber: Redis | null = null;
      let closed = false;
      let retry: NodeJS.Timeout | null = null;
      const reconnectLater = () => {
        if (closed || retry) return;
        retry = setTimeout(() => {
          retry = null;
          connect();
        }, 250);
        retry.unref();
      };
      const connect = () => {
        if (closed) return;
        const slot = cluster.slots[calculateSlot(channel)];
        const owner = slot?.[0];
        if (!owner) {
          // The slot map is being refreshed (a failover): ask again shortly.
          cluster.refreshSlotsCache();
          reconnectLater();
          return;
        }
        const [host, port] = [owner.slice(0, owner.lastIndexOf(':')), Number(owner.slice(owner.lastIndexOf(':') + 1))];
        const nodeOptions = cluster.options.redisOptions ?? {};
        const connection = new Redis({ ...nodeOptions, host, port, lazyConnect: true, enableOfflineQueue: true, commandTimeout: undefined, retryStrategy: () => null, autoResubscribe: false });
        subscriber = connection;
        let dropped = false;
        const drop = () => {
          if (dropped) return;
          dropped = true;
          onDrop();
          connection.disconnect();
          // The channel's slot may have moved (failover, resharding): ask the cluster where it is now.
          if (!closed) cluster.refreshSlotsCache();
          reconnectLater();
        };
        // Every error counts as a drop. One is not a broken connection: when the channel's slot moves
        // (resharding), the old owner unsubscribes us by itself (a `sunsubscribe` push that ioredis reports
        // as an error) and the connection stays open; taken as nothing, the L1 would stop hearing
        // invalidations while it believed itself in step.
        connection.on('error', drop);
        connection.on('close', drop);
        connection.on('end', drop);
        connection.on('smessage', (_channel: string, message: string) => onMessage(message));
        connection
          .connect()
          .then(() => connection.ssubscribe(channel))
          .then(() => onReady(), drop);
      };
      connect();
      return {
        close: () => {
          closed = true;
          if (retry) clearTimeout(retry);
          subscriber?.disconnect();
        },
      };
    },
  };
}
