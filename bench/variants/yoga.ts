/**
 * Peer variant: GraphQL Yoga 5 with the Envelop response cache in Redis, over
 * the gateway's own SDL, resolvers, loaders and context. It owns only the
 * server around them, so the benchmark measures what a stock Yoga stack with
 * a whole-response cache gives for the same data-loading code.
 *
 * The gateway's own caches are off (CACHE_ENABLED is forced to 0): Yoga's
 * response cache is the only cache, and a miss runs the gateway's
 * DataLoader-batched resolvers against MySQL.
 *
 * Contract with bench/run.ts: POST /graphql `{ query, variables }`, GET
 * /bench/stats `{ "sql": n, "gcMs": g, "cpuMs": c }` (./stats.ts), `ready <url>` on stdout, exit 0 on SIGTERM/SIGINT.
 * Env: PORT, DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, JWT_SECRET, LOG_LEVEL, DB_POOL_SIZE.
 *
 * graphql comes from the root package (bench/.npmrc keeps it out of
 * bench/node_modules): the schema's types and Yoga's executor must be the
 * same graphql module instance.
 */
import http from 'node:http';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { createRedisCache } from '@envelop/response-cache-redis';
import { useResponseCache } from '@graphql-yoga/plugin-response-cache';
import { createYoga, type LogLevel, type Plugin } from 'graphql-yoga';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createCache } from '../../src/cache/cache.js';
import { loadConfig } from '../../src/config.js';
import { createContextFactory } from '../../src/context.js';
import { connectDatabase, poolOptionsOf } from '../../src/db/client.js';
import { totalStatements } from '../../src/db/sql-counter.js';
import { createLogger } from '../../src/logger.js';
import { resolvers } from '../../src/modules/resolvers.js';
import { loadTypeDefs } from '../../src/schema.js';
import { serveVariant } from './serve.js';
import { sendBenchStats } from './stats.js';

/** Whole responses live at most this long, whatever the SDL's @cacheControl maxAge says (300 s on most types). */
const RESPONSE_TTL_MS = 60_000;

// The gateway's fragment and response caches stay off whatever the caller's environment says.
const config = loadConfig({ ...process.env, CACHE_ENABLED: '0' });
const logger = createLogger(config.logLevel);
const database = await connectDatabase(config.databaseUrl, poolOptionsOf(config));
const cache = createCache({ config, redis: null, logger, metrics: new Registry() });
const createContext = createContextFactory(database, config, cache);

// keyPrefix lets several runs share one Redis without reading each other's responses.
// (Caveat, irrelevant to read-only runs: the store's entity invalidation uses KEYS,
// whose results ioredis does not strip of the prefix.)
const redis = new Redis(config.redisUrl, { keyPrefix: config.redisKeyPrefix, lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();

/** Yoga's logger takes one of four levels; pino's trace/fatal/silent map to the nearest. */
function yogaLogLevel(level: string): LogLevel | false {
  if (level === 'silent') return false;
  if (level === 'trace') return 'debug';
  if (level === 'fatal') return 'error';
  return (['debug', 'info', 'warn', 'error'] as const).find((known) => known === level) ?? 'info';
}

/**
 * Apollo Server (the gateway) ends every JSON body with a newline; Yoga does not.
 * Appending it here keeps the two byte-identical, cache hits included (the
 * response cache hands its stored result to this same hook).
 */
const useTrailingNewline: Plugin = {
  onExecutionResult({ result, setResult }) {
    if (result && !Array.isArray(result) && !(Symbol.asyncIterator in result)) {
      setResult({ ...result, stringify: (value) => `${JSON.stringify(value)}\n` });
    }
  },
};

const yoga = createYoga({
  schema: makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never }),
  graphqlEndpoint: '/graphql',
  graphiql: false,
  landingPage: false,
  logging: yogaLogLevel(config.logLevel),
  context: ({ request }) => createContext({ authorization: request.headers.get('authorization') ?? undefined }),
  plugins: [
    useTrailingNewline,
    useResponseCache({
      cache: createRedisCache({ redis }),
      // The session is the bearer token itself, so PRIVATE data (patients, records) is never shared across tokens.
      session: (request) => request.headers.get('authorization'),
      // The plugin prefers the SDL's per-type maxAge over `ttl`; onTtl caps whichever it picked.
      ttl: RESPONSE_TTL_MS,
      onTtl: ({ ttl }) => Math.min(ttl, RESPONSE_TTL_MS),
      // No extensions.responseCache: responses stay byte-identical to the gateway's `{"data":...}`.
      includeExtensionMetadata: false,
    }),
  ],
});

const server = http.createServer((req, res) => {
  if (req.url === '/bench/stats') {
    sendBenchStats(res, totalStatements());
    return;
  }
  void yoga(req, res);
});

await serveVariant(server, config.port, async () => {
  await yoga.dispose();
  await Promise.allSettled([database.close(), cache.close(), redis.quit()]);
});
