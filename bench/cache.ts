/**
 * Cache benchmark: requests per second and latency of the patient list and
 * the OneTime event page, served from the cache (hit) and from MySQL (the
 * same gateway with CACHE_ENABLED=0, i.e. what every miss costs at least).
 *
 * Usage: npm run bench:cache [-- --duration 10 --connections 10]
 * Needs the local MySQL/MariaDB and Redis; uses (and seeds once) the database
 * `gw_bench` (override with BENCH_DATABASE_URL). Load goes to 127.0.0.1 only.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { signToken } from '../src/auth/token.js';
import { loadConfig } from '../src/config.js';
import { connectDatabase, ensureDatabase, migrateDatabase } from '../src/db/client.js';
import { createLogger } from '../src/logger.js';
import { connectRedis } from '../src/redis/client.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { isDatabaseEmpty, seedDatabase } from '../src/seed/seed.js';
import { createGateway } from '../src/server.js';

const run = promisify(execFile);
const { values: args } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } },
});
const databaseUrl = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/gw_bench';

const DOCUMENTS = {
  'patient list': {
    query: 'query PatientList { patients(first: 20) { totalCount nodes { id name records(first: 5) { nodes { id diagnosis } } recordCount } } }',
    variables: {},
  },
  'event page': {
    query: 'query EventPage($id: ID!) { event(id: $id) { title schedules { date time selections { patient { name } } } } }',
    variables: { id: toGlobalId('Event', 1) },
  },
} as const;

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function autocannon(url: string, authorization: string, body: string): Promise<Measured> {
  const { stdout } = await run(
    'npx',
    [
      'autocannon',
      '--json',
      '-d', args.duration!,
      '-c', args.connections!,
      '-m', 'POST',
      '-H', 'content-type=application/json',
      '-H', `authorization=${authorization}`,
      '-b', body,
      url,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as {
    requests: { average: number };
    latency: { p50: number; p99: number };
    errors: number;
    non2xx: number;
  };
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

async function main(): Promise<void> {
  await ensureDatabase(databaseUrl);
  const database = await connectDatabase(databaseUrl, { poolSize: 10 });
  await migrateDatabase(database);
  if (await isDatabaseEmpty(database.pool)) {
    console.log('seeding gw_bench: 10,000 patients x 10 records, 5 events x 100 slots, 100 participants x 20 picks');
    await seedDatabase(database.pool, {
      clinicians: 30, patients: 10_000, recordsPerPatient: 10, events: 5, slots: 100, participants: 100, picks: 20, reset: false, seed: 1,
    });
  }
  const results: Record<string, Record<string, Measured>> = {};
  for (const mode of ['miss (cache off)', 'hit'] as const) {
    const config = loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: 'gw_bench:',
      CACHE_ENABLED: mode === 'hit' ? '1' : '0',
    });
    const logger = createLogger(config.logLevel);
    const redis = await connectRedis(config, logger);
    const gateway = await createGateway({ config, database: await connectDatabase(databaseUrl, { poolSize: config.dbPoolSize }), logger, redis });
    const { url } = await gateway.listen();
    const authorization = `Bearer ${await signToken({ role: 'admin', sub: 'bench' }, config.jwtSecret, 3600)}`;
    for (const [name, document] of Object.entries(DOCUMENTS)) {
      const body = JSON.stringify(document);
      // Warm-up: JIT, pools, and in hit mode the cache entries.
      await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
      (results[name] ??= {})[mode] = await autocannon(url, authorization, body);
      console.log(name, mode, results[name][mode]);
    }
    // Requests autocannon gave up on at the end may still be running: let them finish before the pool closes.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await gateway.shutdown();
  }
  await database.close();
  console.log(`\n| document | miss rps (p50 ms) | hit rps (p50 ms) | hit / miss |\n|---|---|---|---|`);
  for (const [name, modes] of Object.entries(results)) {
    const miss = modes['miss (cache off)']!;
    const hit = modes.hit!;
    console.log(`| ${name} | ${miss.rps.toFixed(0)} (${miss.p50}) | ${hit.rps.toFixed(0)} (${hit.p50}) | ${(hit.rps / miss.rps).toFixed(1)}x |`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
