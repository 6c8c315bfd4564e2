/**
 * Variant (a)/(b)/(c): the gateway itself, in production mode, as
 * `npm start` would run it. The harness picks the mode by environment:
 * CACHE_ENABLED=0 (cache off), CACHE_ENABLED=1 (warm cache), and naive mode
 * = CACHE_ENABLED=0 + DB_IN_CHUNK_SIZE=1 (every loader batch holds one key:
 * one SQL statement per parent, as an API without DataLoaders runs).
 * Its SQL counter is /metrics' gateway_sql_statements_total, also served as
 * /bench/stats by the harness' contract, with its GC and CPU time and its cache's
 * hits and misses (./stats.ts).
 */
import http from 'node:http';
import { loadConfig } from '../../src/config.js';
import { connectDatabase, poolOptionsOf } from '../../src/db/client.js';
import { totalStatements } from '../../src/db/sql-counter.js';
import { createLogger } from '../../src/logger.js';
import { connectRedis } from '../../src/redis/client.js';
import { createGateway } from '../../src/server.js';
import { sendBenchStats } from './stats.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const database = await connectDatabase(config.databaseUrl, poolOptionsOf(config));
const redis = await connectRedis(config, logger);
const gateway = await createGateway({ config, database, logger, redis });
// /bench/stats on the gateway's own server; everything else goes to its Express app.
const [app] = gateway.httpServer.listeners('request') as ((req: http.IncomingMessage, res: http.ServerResponse) => void)[];
gateway.httpServer.removeAllListeners('request');
gateway.httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
  if (req.url === '/bench/stats') void cacheLookups().then((lookups) => sendBenchStats(res, totalStatements(), lookups));
  else app!(req, res);
});
/** The cache's hits and misses since start (fragments and responses), from the gateway's own /metrics counters. */
async function cacheLookups() {
  const sum = async (name: string) =>
    ((await gateway.metrics.getSingleMetric(name)?.get())?.values ?? []).reduce((total, value) => total + value.value, 0);
  return { cacheHits: await sum('gateway_cache_hits_total'), cacheMisses: await sum('gateway_cache_misses_total') };
}
const { url } = await gateway.listen();
process.stdout.write(`ready ${url}\n`);
const stop = () => void gateway.shutdown().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
