/**
 * The rate budget: the estimated cost of every accepted operation is drawn
 * from a token bucket per payer (the context's `payer`: the principal of a
 * valid token, or the client's address for requests without one), holding
 * RATE_LIMIT_COST_PER_MINUTE units and refilling continuously at that rate
 * (0 turns the budget off). An operation the bucket cannot pay is
 * RATE_LIMITED (HTTP 429) with `extensions.retryAfterSeconds` and a
 * `Retry-After` header; nothing is drawn for it.
 *
 * Buckets live in Redis (one Lua script: refill, draw, expire, atomically,
 * on Redis' clock) so every instance shares them; in process when Redis is
 * off, and for the moment Redis fails (the budget fails open to the local
 * bucket rather than refusing traffic). Calls without a token pay from their
 * address's bucket: their fields fail UNAUTHENTICATED, but the work to
 * parse, validate and cost them is spent all the same.
 *
 * Example:
 *   const budget = createRateBudget({ redis, keyPrefix: 'gw:', costPerMinute: 500_000 });
 *   useOperationLimits({ ..., onAccepted: (context, cost) => budget.charge(context.payer, cost) });
 */
import type { Redis } from '../redis/client.js';
import { LRUCache } from 'lru-cache';
import { gatewayError } from '../errors.js';

const WINDOW_MS = 60_000;

/** ARGV: capacity, cost → { 1, 0 } when drawn, { 0, retryAfterSeconds } when not. */
const DRAW_SCRIPT = `
local now = redis.call('TIME')
local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local capacity = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local rate = capacity / ${WINDOW_MS}
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or nowMs
tokens = math.min(capacity, tokens + math.max(0, nowMs - at) * rate)
local drawn = 0
if tokens >= cost then
  tokens = tokens - cost
  drawn = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(nowMs))
redis.call('PEXPIRE', KEYS[1], ${WINDOW_MS})
if drawn == 1 then return { 1, 0 } end
return { 0, math.ceil((cost - tokens) / rate / 1000) }`;

type ScriptedRedis = Redis & {
  rateBudgetDraw(key: string, capacity: number, cost: number): Promise<[number, number]>;
};

export interface RateBudgetOptions {
  readonly redis: Redis | null;
  readonly keyPrefix: string;
  /** RATE_LIMIT_COST_PER_MINUTE; 0 turns the budget off. */
  readonly costPerMinute: number;
}

export interface RateBudget {
  /** Draws `cost` from the payer's bucket, or throws RATE_LIMITED. */
  charge(payer: string, cost: number): Promise<void>;
}

export function createRateBudget({ redis, keyPrefix, costPerMinute }: RateBudgetOptions): RateBudget {
  const local = new LRUCache<string, { tokens: number; at: number }>({ max: 100_000 });
  const scripted = redis as ScriptedRedis | null;
  if (redis && !('rateBudgetDraw' in redis)) redis.defineCommand('rateBudgetDraw', { numberOfKeys: 1, lua: DRAW_SCRIPT });

  const drawLocally = (key: string, cost: number): [number, number] => {
    const now = Date.now();
    const rate = costPerMinute / WINDOW_MS;
    const state = local.get(key) ?? { tokens: costPerMinute, at: now };
    const tokens = Math.min(costPerMinute, state.tokens + Math.max(0, now - state.at) * rate);
    const drawn = tokens >= cost;
    local.set(key, { tokens: drawn ? tokens - cost : tokens, at: now });
    return drawn ? [1, 0] : [0, Math.ceil((cost - tokens) / rate / 1000)];
  };

  return {
    async charge(payer, cost) {
      if (costPerMinute === 0 || cost <= 0) return;
      const key = `${keyPrefix}rate:${payer}`;
      let outcome: [number, number];
      try {
        outcome = scripted?.status === 'ready' ? await scripted.rateBudgetDraw(key, costPerMinute, cost) : drawLocally(key, cost);
      } catch {
        outcome = drawLocally(key, cost);
      }
      const [drawn, retryAfterSeconds] = outcome;
      if (drawn === 1) return;
      const wait = Math.max(1, retryAfterSeconds);
      throw gatewayError(
        'RATE_LIMITED',
        `The cost budget of ${costPerMinute} units per minute is spent; this operation costs ${cost}. Retry in ${wait} s.`,
        { retryAfterSeconds: wait, limit: costPerMinute, value: cost },
        { 'retry-after': String(wait) },
      );
    },
  };
}
