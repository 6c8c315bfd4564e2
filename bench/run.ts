/**
 * `npm run bench [-- --quick]`: the gateway side by side with the naive
 * baseline, the raw SQL floor and peer systems, on the same data and the same
 * documents, from one script that starts and stops everything it uses.
 *
 * 1. Seeds `gw_bench_suite` with `npm run db:seed` at bench scale (skipped
 *    when it already holds exactly that data set).
 * 2. Bundles each variant script (bench/variants/<name>.ts) with esbuild as
 *    the production build does (src/cli/build.mjs) into
 *    bench/.build/<name>.js, and starts every variant as its own `node`
 *    process on its bundle: the gateway with caches off, with a warm cache,
 *    and in naive mode; the raw node:http + mysql2 floor; stock Apollo
 *    Server 5 standalone (S0 only); GraphQL Yoga + response cache on Redis
 *    over the gateway's resolvers; Join Monster.
 * 3. Checks that every variant answers every scenario with the same bytes as
 *    the gateway, and leaves out (and reports) any that does not.
 * 4. Drives load with autocannon's API: per round, the variants of a
 *    scenario one after another (A B A B), each with a warm-up and a measured
 *    run, and the seed-002 replay (a fixed burst of event pages on the
 *    caches-off gateway); SQL statements per request and GC's share of CPU
 *    from each server's own /bench/stats, Redis commands per request from
 *    Redis' INFO.
 * 5. Writes bench/results/latest.{md,json,svg} (bench/report.ts).
 *
 * `npm run bench -- --soak 10m` (30s, 10m, 1h...) is the soak mode: the S5
 * mix against the warm-cache gateway at 20 connections, through the same
 * steps (seeding, start, answer checks, warm-up, measured run) for that long,
 * with the gateway's heap and RSS (its own /metrics) sampled every 30 s.
 * Writes bench/results/soak.{md,json} (or --out's name) and exits non-zero
 * when any request failed.
 *
 * Load goes to 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { build, type Plugin } from 'esbuild';
import { BUNDLE_OPTIONS } from '../src/cli/bundle-options.mjs';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { signToken } from '../src/auth/token.js';
import { createCursorCodec } from '../src/relay/cursor.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { buildSoakReport, soakSummary, writeReport, writeSoakReport, type BenchReport, type Measurement, type Ratio, type SoakSample } from './report.js';
import { BENCH_DATABASE_URL, BENCH_JWT_SECRET, BENCH_REDIS_URL, BENCH_SEED, BENCH_SERVER_ENV, QUERIES, type QueryName } from './scenarios.js';
// Issue 19: the cluster variant runs on a real Redis Cluster of redis-server processes, the one the tests start.
import { startRedisCluster, type RedisCluster } from '../test/support/redis-cluster.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A mistake on the command line: reported in one line, before anything starts. */
function usageError(message: string): never {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        /** Only the groups that run this scenario (e.g. S3). */
        only: { type: 'string' },
        /** Only these variants, comma-separated (the gateway always runs: it is the reference). */
        variants: { type: 'string' },
        /** The report's name in bench/results (default latest, quick with --quick, soak with --soak). */
        out: { type: 'string' },
        /** Soak mode: S5 on the warm-cache gateway for this long (30s, 10m, 1h). */
        soak: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
}

/** `30s`, `10m`, `1h` in seconds; anything else is a usage error. */
function parseDuration(text: string): number {
  const match = /^(\d+)([smh])$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * { s: 1, m: 60, h: 3600 }[match[2] as 's' | 'm' | 'h'] : Number.NaN;
  if (!match || !Number.isSafeInteger(seconds) || seconds <= 0) {
    return usageError(`--soak takes a duration: a whole number followed by s, m or h (30s, 10m, 1h), not "${text}"`);
  }
  return seconds;
}

const args = parseCommandLine();
const SOAK_SECONDS = args.soak === undefined ? null : parseDuration(args.soak);
if (SOAK_SECONDS !== null && (args.quick || args.only || args.variants)) {
  usageError('--soak runs S5 on the warm-cache gateway only; it does not combine with --quick, --only or --variants');
}

/**
 * How long each run warms up and measures, and how many interleaved rounds the ratio groups get. The full
 * run measures 10 s, not 15 s: its 42 ratio-group runs (3 rounds) and 9 single-round runs would take about
 * 17 minutes of load alone at 5 + 15 s, before S6 (issue 17) added its own; the whole run takes about 18.
 */
const METHOD = args.quick
  ? { warmupSeconds: 1, measuredSeconds: 2, rounds: 1, quick: true, note: 'Quick mode: one round, no naive S3, no 1-connection runs.' }
  : {
      warmupSeconds: 5,
      measuredSeconds: 10,
      rounds: 3,
      quick: false,
      note: 'Measured runs last 10 s rather than 15 s, so that the full run stays under 20 minutes on 2 cores.',
    };
const CONNECTIONS = 20;
/** The InnoDB buffer pool the bench's data set fits in (the bench warns below it). */
const BUFFER_POOL_WANTED = 2 * 2 ** 30;
const S4_POSITION = 50_000;
/**
 * S6's word. The bench data's vocabulary is small: `asthma` is one of 32 diagnoses and in no treatment or
 * note, so about 1 record in 32 holds it (about 31,000 of 1,000,000), and LIKE '%asthma%' finds exactly the
 * records FULLTEXT does (no longer word contains it), so both variants answer the same bytes.
 */
const S6_WORD = 'asthma';

type VariantName = 'gateway' | 'gateway-warm' | 'gateway-warm-cluster' | 'gateway-naive' | 'raw' | 'search-like' | 'apollo' | 'yoga' | 'join-monster';

interface VariantSpec {
  readonly name: VariantName;
  readonly label: string;
  readonly script: string;
  readonly env: Record<string, string>;
  /** The gateway runs in production mode: documents go by APQ hash, as production clients send them. */
  readonly persisted: boolean;
  /**
   * Restart the process after each run instead of waiting for it to drain: the naive variant keeps
   * executing its queued requests (thousands of statements each) long after autocannon has stopped.
   */
  readonly restartAfterRun?: boolean;
  /** Runs on the bench's own Redis Cluster (three primaries, three replicas) instead of the standalone Redis. */
  readonly cluster?: boolean;
}

const GATEWAY_ENV = {
  NODE_ENV: 'production',
  ALLOW_APQ_REGISTRATION: '1',
  RATE_LIMIT_COST_PER_MINUTE: '0',
  // One deployment: every gateway variant shares the key space, so writes through one invalidate the others' entries.
  REDIS_KEY_PREFIX: 'bench:gateway:',
};

const VARIANTS: readonly VariantSpec[] = [
  { name: 'gateway', label: 'gateway, caches off', script: 'bench/variants/gateway.ts', env: { ...GATEWAY_ENV, CACHE_ENABLED: '0' }, persisted: true },
  { name: 'gateway-warm', label: 'gateway, warm cache', script: 'bench/variants/gateway.ts', env: { ...GATEWAY_ENV, CACHE_ENABLED: '1' }, persisted: true },
  // Issue 19: the same, on a Redis Cluster (REDIS_CLUSTER_NODES is added when the cluster has started).
  {
    name: 'gateway-warm-cluster',
    label: 'gateway, warm cache, Redis Cluster',
    script: 'bench/variants/gateway.ts',
    env: { ...GATEWAY_ENV, CACHE_ENABLED: '1' },
    persisted: true,
    cluster: true,
  },
  {
    name: 'gateway-naive',
    label: 'gateway, naive (no DataLoader batching)',
    script: 'bench/variants/gateway.ts',
    // An API without DataLoaders has no bounds either: without these, the gateway's pool gate and request
    // deadline shed its statement floods (S3: about 1,000 per request) as SERVICE_UNAVAILABLE, which measures
    // the shedding instead of the N+1 cost.
    env: {
      ...GATEWAY_ENV,
      CACHE_ENABLED: '0',
      DB_IN_CHUNK_SIZE: '1',
      DB_POOL_QUEUE_LIMIT: '1000000',
      DB_ACQUIRE_TIMEOUT_MS: '600000',
      REQUEST_TIMEOUT_MS: '600000',
    },
    persisted: true,
    restartAfterRun: true,
  },
  { name: 'raw', label: 'raw floor (node:http + mysql2)', script: 'bench/variants/raw.ts', env: {}, persisted: false },
  // Issue 17: S6 as an API without a FULLTEXT index answers it, LIKE '%word%' over the three columns.
  { name: 'search-like', label: "naive search (LIKE '%word%', node:http + mysql2)", script: 'bench/variants/raw.ts', env: { RAW_SEARCH: 'like' }, persisted: false },
  // Production mode, as the gateway runs: Apollo's defaults (introspection among them) are its production ones.
  { name: 'apollo', label: 'stock Apollo Server 5 standalone', script: 'bench/variants/apollo.ts', env: { NODE_ENV: 'production' }, persisted: false },
  { name: 'yoga', label: 'Yoga + response cache (Redis), hit path', script: 'bench/variants/yoga.ts', env: { REDIS_KEY_PREFIX: 'bench:yoga:' }, persisted: false },
  { name: 'join-monster', label: 'Join Monster (mariadb)', script: 'bench/variants/join-monster.ts', env: {}, persisted: false },
];

/** What a run's requests send: one document (S0..S4), or the S5 mix. */
type Mix = QueryName | 'S5';
/** What a measurement is of: a mix, or a replay (a fixed burst of one document). */
type Scenario = Mix | 'seed-002';

interface RunSpec {
  readonly scenario: Scenario;
  readonly variant: VariantName;
  readonly connections: number;
  /** What the requests send, when the scenario is not itself a mix (a replay). */
  readonly mix?: Mix;
  /** A fixed number of requests in all, sent without a warm-up, instead of a timed warm-up and run. */
  readonly amount?: number;
  /** How long the measured run lasts, when not the method's (the 1,000-connection run). */
  readonly seconds?: number;
}

/**
 * Issue 17: the LIKE search at 2 connections. Before migration 0003 each request scanned all 1,000,000
 * records (about 1.4 s of one core), and at 20 connections every request would have queued behind 19 scans
 * and outlasted autocannon's 10 s timeout. Since then the newest-first LIKE walks `(created_at, id)` and, on
 * S6's common word, stops after about 650 rows (2–3 ms); it stays at 2 connections so that the figure stays
 * comparable with the runs before, and because a rarer word would bring the scans back.
 */
const S6_LIKE: RunSpec = { scenario: 'S6', variant: 'search-like', connections: 2 };

/** Issue 16: the warm cache holds 1,000 concurrent connections for 30 s. */
const S1_THOUSAND: RunSpec = { scenario: 'S1', variant: 'gateway-warm', connections: 1000, seconds: 30 };

/**
 * The seed-002 replay: 20 connections send 50 requests of the event page (S3, the fixture's event) in all,
 * to the gateway with caches off, so every request runs against a cold cache, as the incident's did.
 */
const SEED_002: RunSpec = { scenario: 'seed-002', mix: 'S3', variant: 'gateway', connections: CONNECTIONS, amount: 50 };

interface Group {
  readonly title: string;
  readonly runs: readonly RunSpec[];
  /** Ratio groups are interleaved over every round; the others run in the first round only. */
  readonly rounds: number;
}

const run20 = (scenario: Scenario, ...variants: VariantName[]): RunSpec[] =>
  variants.map((variant) => ({ scenario, variant, connections: CONNECTIONS }));

/** What a run's requests send: its mix, or its scenario when that is one. */
function mixOf(spec: RunSpec): Mix {
  if (spec.mix) return spec.mix;
  if (spec.scenario === 'seed-002') throw new Error(`a ${spec.scenario} run must say what it sends (mix)`);
  return spec.scenario;
}

/**
 * What runs: the ratio groups and the seed-002 replay interleaved over every round, the rest once (the
 * full run must stay under 20 minutes on 2 cores; estimateSeconds says what a plan takes).
 */
function plan(): Group[] {
  const all = METHOD.rounds;
  if (METHOD.quick) {
    // A rough picture in 2 to 3 minutes: one round, no naive S3 (one request outlasts the run), no 1-connection runs.
    return [
      { title: 'S0', rounds: 1, runs: run20('S0', 'gateway', 'apollo', 'raw') },
      { title: 'S1 (and S4)', rounds: 1, runs: [...run20('S1', 'gateway', 'gateway-warm', 'gateway-warm-cluster', 'gateway-naive', 'raw', 'yoga', 'join-monster'), ...run20('S4', 'gateway')] },
      { title: 'S3', rounds: 1, runs: run20('S3', 'gateway', 'gateway-warm', 'raw', 'yoga', 'join-monster') },
      { title: 'seed-002 replay', rounds: 1, runs: [SEED_002] },
      { title: 'S2, S5', rounds: 1, runs: [...run20('S2', 'gateway', 'raw'), ...run20('S5', 'gateway', 'gateway-warm', 'gateway-warm-cluster')] },
      { title: 'S6', rounds: 1, runs: [...run20('S6', 'gateway', 'gateway-warm', 'raw'), S6_LIKE] },
      { title: 'S1 warm cache at 1,000 connections', rounds: 1, runs: [{ ...S1_THOUSAND, seconds: 5 }] },
    ];
  }
  return [
    { title: 'S0 { __typename }', rounds: all, runs: run20('S0', 'gateway', 'apollo', 'raw') },
    { title: 'S1 patient list (and S4 deep page)', rounds: all, runs: [...run20('S1', 'gateway', 'gateway-warm', 'gateway-warm-cluster', 'gateway-naive', 'raw', 'yoga', 'join-monster'), ...run20('S4', 'gateway')] },
    { title: 'S3 OneTime event page (ratios)', rounds: all, runs: run20('S3', 'gateway', 'gateway-naive', 'raw', 'join-monster') },
    { title: 'seed-002 replay (S3 burst, cold cache)', rounds: all, runs: [SEED_002] },
    { title: 'S3 OneTime event page (others)', rounds: 1, runs: run20('S3', 'gateway-warm', 'gateway-warm-cluster', 'yoga') },
    { title: 'S2 patient detail', rounds: 1, runs: run20('S2', 'gateway', 'gateway-warm', 'gateway-warm-cluster', 'raw') },
    { title: 'S5 90% reads / 10% writes', rounds: all, runs: run20('S5', 'gateway', 'gateway-warm', 'gateway-warm-cluster') },
    { title: 'S6 record search (ratios)', rounds: all, runs: [...run20('S6', 'gateway', 'gateway-warm'), S6_LIKE] },
    { title: 'S6 record search (raw FULLTEXT floor)', rounds: 1, runs: run20('S6', 'raw') },
    { title: 'S1 at 1 connection', rounds: 1, runs: [{ scenario: 'S1', variant: 'gateway', connections: 1 }, { scenario: 'S1', variant: 'raw', connections: 1 }] },
    { title: 'S1 warm cache at 1,000 connections', rounds: 1, runs: [S1_THOUSAND] },
  ];
}

/**
 * Roughly how long a plan's load takes: each timed run its warm-up and measured run plus about a second
 * of draining, each replay a few seconds, each restarting variant two restarts per run.
 */
function estimateSeconds(groups: readonly Group[]): number {
  return groups
    .flatMap((group) => Array.from({ length: group.rounds }, () => group.runs))
    .flat()
    .reduce((sum, run) => {
      const restarts = VARIANTS.find((variant) => variant.name === run.variant)?.restartAfterRun ? 2 * 2 : 0;
      return sum + restarts + (run.amount === undefined ? METHOD.warmupSeconds + (run.seconds ?? METHOD.measuredSeconds) + 1 : 3);
    }, 0);
}

// ---------------------------------------------------------------------------------------------- processes

const children: ChildProcess[] = [];
const variants = new Map<VariantName, Started>();

function progress(line: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function sh(command: string, commandArgs: string[], env: Record<string, string> = {}): void {
  const result = spawnSync(command, commandArgs, { cwd: ROOT, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${command} ${commandArgs.join(' ')} failed with exit code ${result.status}`);
}

interface Started {
  readonly spec: VariantSpec;
  readonly url: string;
  readonly origin: string;
  readonly process: ChildProcess;
  readonly port: number;
}

/** Where the variants' bundles go (git-ignored). */
const BUILD_FOLDER = 'bench/.build';

/** A variant's bundle: bench/.build/<name>.js for bench/variants/<name>.ts. */
const bundleOf = (spec: VariantSpec): string => `${BUILD_FOLDER}/${path.basename(spec.script, '.ts')}.js`;

/**
 * `packages: 'external'` as src/cli/build.mjs has it (every package import stays an import), except that
 * each import keeps the package its own file resolves. The bundles live under bench/.build/, from where a
 * bare import finds bench/node_modules' copies first (the peers' ioredis, lru-cache, and
 * @graphql-tools/schema on an older @graphql-tools/utils), while the gateway's code finds the root's, from
 * src/ as from dist/main.js: such an import is written as the path of the file it resolves to from its
 * importer. Every other import stays bare, as in the production bundle.
 */
function packagesAsImported(outdir: string): Plugin {
  const resolving = Symbol('resolving');
  return {
    name: 'packages-as-imported',
    setup(esbuild) {
      esbuild.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === resolving) return undefined;
        if (isBuiltin(args.path)) return { path: args.path, external: true };
        const [fromImporter, fromBundle] = await Promise.all(
          [args.resolveDir, outdir].map((resolveDir) => esbuild.resolve(args.path, { kind: args.kind, resolveDir, pluginData: resolving })),
        );
        // Unresolvable from its importer: left to fail (or not, if it is a lazy import) at run time, as it would in production.
        const same = fromImporter!.errors.length > 0 || (fromBundle!.errors.length === 0 && fromBundle!.path === fromImporter!.path);
        return { path: same ? args.path : fromImporter!.path, external: true };
      });
    },
  };
}

/** Bundles these variants' scripts as the production build bundles the server (src/cli/build.mjs). */
async function bundleVariants(specs: readonly VariantSpec[]): Promise<void> {
  const scripts = [...new Set(specs.map((spec) => spec.script))];
  // packagesAsImported resolves from the folder: on a fresh clone it must exist before the first build,
  // or every package resolves as unreachable from it and is written as a path (ESM builds Node cannot load).
  mkdirSync(path.join(ROOT, BUILD_FOLDER), { recursive: true });
  progress(`bundling ${scripts.map((script) => path.basename(script)).join(', ')} into ${BUILD_FOLDER}/ (esbuild, as npm run build)`);
  await build({
    absWorkingDir: ROOT,
    entryPoints: scripts,
    outdir: BUILD_FOLDER,
    ...BUNDLE_OPTIONS,
    // The variants' packages resolve from bench/ (the peers) or the root: the plugin rewrites each import for bench/.build/.
    packages: undefined,
    plugins: [packagesAsImported(path.join(ROOT, BUILD_FOLDER))],
  });
}

async function startVariant(spec: VariantSpec, port: number): Promise<Started> {
  // BENCH_CPU_PROF=<dir>: every variant writes a V8 CPU profile there when it stops (node rejects --cpu-prof in NODE_OPTIONS).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // The gateway's serving flags (src/cli/bootstrap.mjs) on its compiled bundle, so the bench measures what `npm start` runs.
  const child = spawn(process.execPath, [...profile, '--max-semi-space-size=64', bundleOf(spec)], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...BENCH_SERVER_ENV,
      PORT: String(port),
      ...spec.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${spec.name} did not print "ready" within 60 s`)), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const match = /ready (\S+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.name} exited with code ${code} before it was ready`));
    });
  });
  child.stdout!.resume();
  return { spec, url, origin: new URL(url).origin, process: child, port };
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

async function stopAll(): Promise<void> {
  await Promise.all(children.map((child) => stop(child)));
  const cluster = benchCluster;
  benchCluster = null;
  await cluster?.stop();
}

// ---------------------------------------------------------------------------------------------- data

interface Fixture {
  readonly variables: Record<QueryName, Record<string, unknown>>;
  /** S5's per-connection targets: a patient, one of their records (with its version) and an event with its slots. */
  readonly writers: { patientId: string; recordId: string; version: number; eventId: string; scheduleIds: string[] }[];
}

async function ensureSeeded(): Promise<void> {
  const pool = mysql.createPool({ uri: BENCH_DATABASE_URL.replace(/\/[^/]*$/, '/'), connectionLimit: 1 });
  const name = new URL(BENCH_DATABASE_URL).pathname.slice(1);
  try {
    const [[server]] = (await pool.query('SELECT @@innodb_buffer_pool_size AS bytes')) as unknown as [[{ bytes: number }]];
    if (Number(server!.bytes) < BUFFER_POOL_WANTED) {
      // The records table and its FULLTEXT index (about 300 MB) do not fit MariaDB's default 128 MiB pool: S6
      // then measures page reads from the OS cache rather than the search. Not changed here: the server is the user's.
      progress(
        `WARNING: innodb_buffer_pool_size is ${Math.round(Number(server!.bytes) / 2 ** 20)} MiB; the figures in the README were taken at ` +
          `${BUFFER_POOL_WANTED / 2 ** 30} GiB (SET GLOBAL innodb_buffer_pool_size = ${BUFFER_POOL_WANTED})`,
      );
    }
    const [[exists]] = (await pool.query('SELECT COUNT(*) AS n FROM information_schema.schemata WHERE schema_name = ?', [name])) as unknown as [[{ n: number }]];
    if (exists!.n > 0) {
      const [[counts]] = (await pool.query(
        `SELECT (SELECT COUNT(*) FROM \`${name}\`.patients) AS patients, (SELECT COUNT(*) FROM \`${name}\`.medical_records) AS records,
                (SELECT COUNT(*) FROM \`${name}\`.events) AS events, (SELECT COUNT(*) FROM \`${name}\`.selections) AS selections`,
      ).catch(() => [[{ patients: -1, records: -1, events: -1, selections: -1 }]])) as unknown as [[Record<string, number>]];
      const expected = {
        patients: BENCH_SEED.patients,
        records: BENCH_SEED.patients * BENCH_SEED.recordsPerPatient,
        events: BENCH_SEED.events,
        selections: BENCH_SEED.events * BENCH_SEED.participants * BENCH_SEED.picks,
      };
      if (Object.entries(expected).every(([key, value]) => Number(counts![key]) === value)) {
        progress(`database ${name} already holds the bench data set; not reseeding (migrating it to the current schema)`);
        // A data set seeded before a new migration (0002's FULLTEXT index, say) gets it here.
        sh('npm', ['run', '--silent', 'db:migrate'], { DATABASE_URL: BENCH_DATABASE_URL });
        return;
      }
    }
  } finally {
    await pool.end();
  }
  progress(`seeding ${name} at bench scale with npm run db:seed`);
  sh(
    'npm',
    [
      'run', '--silent', 'db:seed', '--',
      '--patients', String(BENCH_SEED.patients),
      '--records-per-patient', String(BENCH_SEED.recordsPerPatient),
      '--clinicians', String(BENCH_SEED.clinicians),
      '--events', String(BENCH_SEED.events),
      '--slots', String(BENCH_SEED.slots),
      '--participants', String(BENCH_SEED.participants),
      '--picks', String(BENCH_SEED.picks),
      '--seed', String(BENCH_SEED.seed),
      '--reset',
    ],
    { DATABASE_URL: BENCH_DATABASE_URL },
  );
}

async function loadFixture(): Promise<Fixture> {
  const pool = mysql.createPool({ uri: BENCH_DATABASE_URL, connectionLimit: 1, timezone: 'Z', dateStrings: false });
  try {
    // The patient list is ordered createdAt DESC, id DESC; the cursor of the row just before position S4_POSITION.
    const [[before]] = (await pool.query('SELECT id, created_at AS createdAt FROM patients ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?', [
      S4_POSITION - 1,
    ])) as unknown as [[{ id: number; createdAt: Date }]];
    const listName = `patients|${JSON.stringify({ isActive: null, nameContains: null, bornAfter: null, bornBefore: null })}`;
    const after = createCursorCodec(`cursor:${BENCH_JWT_SECRET}`).encode(listName, [before!.createdAt.getTime(), before!.id]);
    const writers: Fixture['writers'] = [];
    for (let index = 0; index < CONNECTIONS; index += 1) {
      // Participants 21..40 and events 2..20: the readers of S1..S4 (patient 1, event 1, the newest patients) never see these writes.
      const patient = 21 + index;
      const event = 2 + (index % (BENCH_SEED.events - 1));
      const [[record]] = (await pool.query('SELECT id, version FROM medical_records WHERE patient_id = ? ORDER BY id LIMIT 1', [patient])) as unknown as [
        [{ id: number; version: number }],
      ];
      const [schedules] = (await pool.query('SELECT id FROM schedules WHERE event_id = ? ORDER BY id LIMIT 4', [event])) as unknown as [{ id: number }[]];
      writers.push({
        patientId: toGlobalId('Patient', patient),
        recordId: toGlobalId('MedicalRecord', record!.id),
        version: record!.version,
        eventId: toGlobalId('Event', event),
        scheduleIds: schedules.map((row) => toGlobalId('Schedule', row.id)),
      });
    }
    return {
      variables: {
        S0: {},
        S1: {},
        S2: { id: toGlobalId('Patient', 1) },
        S3: { id: toGlobalId('Event', 1) },
        S4: { after },
        S6: { query: S6_WORD },
        V1: {},
        W1: {},
        W2: {},
      },
      writers,
    };
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------- requests

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The request body a variant gets for a document: by APQ hash for the gateway, the text for the others. */
function bodyFor(variant: Started, name: QueryName, variables: Record<string, unknown>): string {
  const text = QUERIES[name];
  return variant.spec.persisted
    ? JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } })
    : JSON.stringify({ query: text, variables });
}

async function post(url: string, authorization: string, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
  return { status: response.status, text: await response.text() };
}

/** A variant's GET /bench/stats (bench/variants/stats.ts); gcMs and cpuMs are missing from a variant that does not report them. */
interface Stats {
  readonly sql: number;
  readonly gcMs?: number;
  readonly cpuMs?: number;
  readonly cacheHits?: number;
  readonly cacheMisses?: number;
}

/** The cache's hits over its lookups between two readings, when the variant reports them (and looked any up). */
function hitRateBetween(before: Stats, after: Stats): number | undefined {
  if (before.cacheHits === undefined || after.cacheHits === undefined || before.cacheMisses === undefined || after.cacheMisses === undefined) return undefined;
  const hits = after.cacheHits - before.cacheHits;
  const lookups = hits + after.cacheMisses - before.cacheMisses;
  return lookups > 0 ? hits / lookups : undefined;
}

async function benchStats(variant: Started): Promise<Stats> {
  const response = await fetch(`${variant.origin}/bench/stats`);
  return (await response.json()) as Stats;
}

async function sqlCounter(variant: Started): Promise<number> {
  return (await benchStats(variant)).sql;
}

/** GC's share of the CPU the process used between two readings, when it reports both (and used any). */
function gcShareBetween(before: Stats, after: Stats): number | undefined {
  if (before.gcMs === undefined || after.gcMs === undefined || before.cpuMs === undefined || after.cpuMs === undefined) return undefined;
  const cpu = after.cpuMs - before.cpuMs;
  return cpu > 0 ? (after.gcMs - before.gcMs) / cpu : undefined;
}

/**
 * Waits until the variant has sent no SQL for a while: autocannon stops at its deadline, but the
 * server may still be working through requests whose connections were closed, and that work
 * must not land in the next variant's measurement.
 */
async function settle(variant: Started): Promise<void> {
  let last = await sqlCounter(variant);
  const step = 100;
  for (let quiet = 0, waited = 0; quiet < 3 && waited < 60_000; waited += step) {
    await new Promise((resolve) => setTimeout(resolve, step));
    const now = await sqlCounter(variant);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/** Settles the variant, or restarts it (restartAfterRun), and returns the process now serving. */
async function drain(variant: Started): Promise<Started> {
  if (!variant.spec.restartAfterRun) {
    await settle(variant);
    return variant;
  }
  await stop(variant.process, 'SIGKILL');
  const restarted = await startVariant(variant.spec, variant.port);
  variants.set(variant.spec.name, restarted);
  return restarted;
}

/** Commands the harness itself sent to Redis (INFO), so a run's count can leave them out. */
let ownRedisCommands = 0;

async function redisCommands(redis: Redis): Promise<number> {
  ownRedisCommands += 1;
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

/** Commands processed by the bench cluster's primaries (replicas replay writes; those are not requests). */
async function clusterCommands(): Promise<number> {
  let total = 0;
  for (const node of (await benchCluster!.nodes()).filter((candidate) => candidate.role === 'master')) {
    const connection = new Redis({ host: '127.0.0.1', port: node.port });
    try {
      total += Number(/total_commands_processed:(\d+)/.exec(await connection.info('stats'))?.[1] ?? 0);
    } finally {
      connection.disconnect();
    }
  }
  return total;
}

/** Redis commands so far on the Redis a variant uses. */
const commandsOf = (variant: Started, redis: Redis) => (variant.spec.cluster ? clusterCommands() : redisCommands(redis));

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A request of a run, with the document it sends (S1, W1, ...) so its failures say which one failed. */
type LabeledRequest = autocannon.Request & { label: string };

/** Counts a run keeps up to date while it runs (the soak's samples read them). */
interface LiveCounts {
  responses: number;
  errors: number;
}

interface LoadResult {
  requests: number;
  rps: number;
  latencies: number[];
  /** The latencies of each kind of request (S1, S3, W1/W2, ...), sorted: what makes up a mix's tail. */
  latenciesByLabel: Record<string, number[]>;
  /** Non-2xx responses, 2xx answers with GraphQL errors, timeouts and connection errors. */
  errors: number;
  /** The errors by kind (`HTTP 503 SERVICE_UNAVAILABLE (S3)`, `GraphQL CONFLICT (W1)`, `timeout`, `connection ECONNRESET`), each with its first example. */
  errorKinds: Record<string, { count: number; example: string }>;
  /** The first failed answer, so the report says what went wrong. */
  firstError?: string;
  /** Set when the run was cut short (its server exited). */
  abortedAfterSeconds?: number;
}

/** The GraphQL error codes of a failed answer, `+`-joined (`CONFLICT`), or null when it carries none. */
function errorCodes(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { errors?: { extensions?: { code?: unknown } }[] };
    const codes = [...new Set((parsed.errors ?? []).map((error) => String(error.extensions?.code ?? 'no code')))];
    return codes.length > 0 ? codes.join('+') : null;
  } catch {
    return null;
  }
}

/** How long a run lasts: so many seconds, or so many requests in all. */
type Extent = { readonly seconds: number } | { readonly amount: number };

/**
 * One autocannon run; counts a response as an error unless it is a 2xx without GraphQL errors, and
 * every timeout and connection error. `live` is kept current while it runs; `signal` stops it early.
 */
function load(
  url: string,
  authorization: string,
  extent: Extent,
  connections: number,
  requests: readonly LabeledRequest[],
  options: { live?: LiveCounts; signal?: AbortSignal } = {},
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const latenciesByLabel: Record<string, number[]> = {};
    // autocannon calls a request's onResponse and then, synchronously, emits 'response' with its latency.
    let answeredLabel = '';
    const live = options.live ?? { responses: 0, errors: 0 };
    const errorKinds: LoadResult['errorKinds'] = {};
    let firstError: string | undefined;
    const failed = (kind: string, example: string) => {
      const entry = (errorKinds[kind] ??= { count: 0, example: example.slice(0, 300) });
      entry.count += 1;
      live.errors += 1;
      firstError ??= example.slice(0, 300);
    };
    type OnResponse = (status: number, body: string, context: object, headers: IncomingHttpHeaders | undefined) => void;
    const checked = requests.map(({ label, ...request }): autocannon.Request => {
      const inner = typeof request.onResponse === 'function' ? (request.onResponse as OnResponse) : null;
      return {
        ...request,
        onResponse: (status, body, context, headers) => {
          answeredLabel = label;
          if (status >= 300 || body.startsWith('{"errors"') || body.includes('"errors":[')) {
            const codes = errorCodes(body);
            const kind = status >= 300 ? `HTTP ${status}${codes ? ` ${codes}` : ''}` : `GraphQL ${codes ?? 'no code'}`;
            failed(`${kind} (${label})`, `${status} ${body}`);
          }
          inner?.(status, body, context, headers);
        },
      };
    });
    const startedAt = Date.now();
    const length = 'amount' in extent ? { amount: extent.amount } : { duration: extent.seconds };
    const instance = autocannon(
      { url, connections, ...length, method: 'POST', headers: { 'content-type': 'application/json', authorization }, requests: checked },
      (error, result) => {
        options.signal?.removeEventListener('abort', abort);
        if (error) return reject(error);
        // autocannon's own counts: result.errors includes the timeouts; non2xx every status outside 2xx. Whatever
        // the hooks above did not see (an answer cut off with its connection) still counts, as "unclassified".
        const graphqlErrors = Object.entries(errorKinds)
          .filter(([kind]) => kind.startsWith('GraphQL '))
          .reduce((sum, [, entry]) => sum + entry.count, 0);
        const errors = result.errors + result.non2xx + graphqlErrors;
        const classified = Object.values(errorKinds).reduce((sum, entry) => sum + entry.count, 0);
        if (errors > classified) errorKinds.unclassified = { count: errors - classified, example: 'counted by autocannon, not seen by the answer checks' };
        const aborted = options.signal?.aborted ? (Date.now() - startedAt) / 1000 : undefined;
        // A run of a fixed amount lasts as long as autocannon says (it notices the last answer within a second).
        resolve({
          requests: result.requests.total,
          rps: result.requests.total / (aborted ?? ('amount' in extent ? result.duration : extent.seconds)),
          latencies: latencies.sort((a, b) => a - b),
          latenciesByLabel: Object.fromEntries(Object.entries(latenciesByLabel).map(([label, list]) => [label, list.sort((a, b) => a - b)])),
          errors: Math.max(errors, classified),
          errorKinds,
          ...(firstError ? { firstError } : {}),
          ...(aborted !== undefined ? { abortedAfterSeconds: aborted } : {}),
        });
      },
    );
    const abort = () => instance.stop();
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
    instance.on('response', (_client, _status, _bytes, responseTime: number) => {
      latencies.push(responseTime);
      (latenciesByLabel[answeredLabel] ??= []).push(responseTime);
      live.responses += 1;
    });
    instance.on('reqError', (error: { code?: string; message?: string }) => {
      if (error.message === 'request timed out') failed('timeout', 'request timed out (autocannon, 10 s)');
      else failed(`connection ${error.code ?? error.message ?? 'error'}`, String(error.message ?? error));
    });
  });
}

function requestsFor(variant: Started, scenario: Mix, fixture: Fixture): LabeledRequest[] {
  if (scenario !== 'S5') return [{ label: scenario, method: 'POST', body: bodyFor(variant, scenario, fixture.variables[scenario]) }];
  // Per cycle of 10 requests: S1 S2 S3 S1 S2 S3 S1 S3, then the version of the writer's record, then one write
  // (updateRecord and setSelections in turn): 10% writes. autocannon clears a connection's context at the end of
  // each cycle, so a cycle takes a writer from the free list and gives it back after its write: no two cycles
  // ever write the same rows at once, and the version read just before the write is the one the write names.
  interface MixContext {
    writer?: number;
    version?: number;
  }
  const free = fixture.writers.map((_writer, index) => index);
  const turns = fixture.writers.map(() => 0);
  const writerOf = (context: MixContext) => {
    context.writer ??= free.pop() ?? 0;
    return fixture.writers[context.writer]!;
  };
  const read = (name: QueryName, variables: (context: MixContext) => Record<string, unknown>): LabeledRequest => ({
    label: name,
    method: 'POST',
    setupRequest: (request, context) => ({ ...request, body: bodyFor(variant, name, variables(context as MixContext)) }),
  });
  const s1 = read('S1', (context) => (writerOf(context), {}));
  const s2 = read('S2', (context) => ({ id: writerOf(context).patientId }));
  const s3 = read('S3', (context) => ({ id: writerOf(context).eventId }));
  const version: LabeledRequest = {
    ...read('V1', (context) => ({ id: writerOf(context).recordId })),
    onResponse: (_status, body, context) => {
      const found = /"version":(\d+)/.exec(body);
      if (found) (context as MixContext).version = Number(found[1]);
    },
  };
  const write: LabeledRequest = {
    label: 'W1/W2',
    method: 'POST',
    setupRequest: (request, rawContext) => {
      const context = rawContext as MixContext;
      const writer = writerOf(context);
      const turn = (turns[context.writer!] = turns[context.writer!]! + 1);
      const body =
        turn % 2 === 1
          ? bodyFor(variant, 'W1', { input: { id: writer.recordId, expectedVersion: context.version, diagnosis: `Checked ${turn}` } })
          : bodyFor(variant, 'W2', {
              input: { eventId: writer.eventId, patientId: writer.patientId, scheduleIds: writer.scheduleIds.slice(turn % 3, 2 + (turn % 3)) },
            });
      return { ...request, body };
    },
    onResponse: (_status, _body, context) => {
      const { writer } = context as MixContext;
      if (writer !== undefined && !free.includes(writer)) free.push(writer);
    },
  };
  return [s1, s2, s3, s1, s2, s3, s1, s3, version, write];
}

// ---------------------------------------------------------------------------------------------- harness

/** What every run needs: the fixture, an admin token, and a Redis client for the command counter. */
interface Harness {
  readonly fixture: Fixture;
  readonly authorization: string;
  readonly redis: Redis;
}

/** Installs the peers if they are missing, seeds, loads the fixture and empties the caches of earlier runs. */
async function prepare(): Promise<Harness> {
  if (!existsSync(`${ROOT}/bench/node_modules`)) {
    progress('installing the peers (npm ci in bench/)');
    sh('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund']);
  }
  await ensureSeeded();
  const fixture = await loadFixture();
  const authorization = `Bearer ${await signToken({ role: 'admin', sub: 'bench' }, BENCH_JWT_SECRET, 3600)}`;
  const redis = new Redis(BENCH_REDIS_URL);
  // Empty caches of earlier runs: the warm variants warm up in this one.
  for (const pattern of ['bench:gateway:*', 'bench:yoga:*']) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return { fixture, authorization, redis };
}

/** Bundles these variants, then starts them side by side, each as its own process. */
/** The bench's Redis Cluster, started when a cluster variant runs; stopped with the variants. */
let benchCluster: RedisCluster | null = null;

async function startVariants(names: ReadonlySet<VariantName>): Promise<void> {
  const wanted = VARIANTS.filter((variant) => names.has(variant.name));
  if (wanted.some((spec) => spec.cluster) && !benchCluster) {
    progress('starting a Redis Cluster (3 primaries, 3 replicas) for the cluster variant');
    benchCluster = await startRedisCluster();
  }
  const specs = wanted.map((spec) => (spec.cluster ? { ...spec, env: { ...spec.env, REDIS_CLUSTER_NODES: benchCluster!.nodesSetting } } : spec));
  await bundleVariants(specs);
  progress(`starting ${specs.map((spec) => spec.label).join('; ')}`);
  const startedVariants = await Promise.all(specs.map((spec, index) => startVariant(spec, 4301 + index)));
  for (const variant of startedVariants) variants.set(variant.spec.name, variant);
}

/** Registers every document with the gateways (APQ). */
async function registerDocuments(h: Harness): Promise<void> {
  for (const variant of variants.values()) {
    if (!variant.spec.persisted) continue;
    for (const name of Object.keys(QUERIES) as QueryName[]) {
      // Registration happens before execution; W1/W2 then fail on their missing variables and write nothing.
      const registration = { query: QUERIES[name], variables: h.fixture.variables[name], extensions: { persistedQuery: { version: 1, sha256Hash: sha256(QUERIES[name]) } } };
      await post(variant.url, h.authorization, JSON.stringify(registration));
    }
  }
}

/** The documents the S5 mix reads: a variant that runs S5 is checked on these. */
const S5_READS: readonly QueryName[] = ['S1', 'S2', 'S3'];

/**
 * Compares every variant's answers with the gateway's bytes, on each of S0..S4 it runs (S5 counts
 * as S1, S2 and S3), and returns the runs to leave out with why. Throws when the gateway itself fails one.
 */
async function checkAnswers(h: Harness, runs: readonly RunSpec[]): Promise<Map<string, string>> {
  const excluded = new Map<string, string>();
  const reference = variants.get('gateway')!;
  const runsS5 = (variant: VariantName) => runs.some((run) => run.variant === variant && mixOf(run) === 'S5');
  const planned = (variant: VariantName, name: QueryName) =>
    runs.some((run) => run.variant === variant && mixOf(run) === name) || (runsS5(variant) && S5_READS.includes(name));
  for (const name of ['S0', 'S1', 'S2', 'S3', 'S4', 'S6'] as const) {
    const expected = await post(reference.url, h.authorization, bodyFor(reference, name, h.fixture.variables[name]));
    if (expected.status !== 200 || expected.text.includes('"errors"')) throw new Error(`the gateway failed ${name}: ${expected.text.slice(0, 300)}`);
    for (const variant of variants.values()) {
      if (variant === reference || !planned(variant.spec.name, name)) continue;
      // Twice: a cache variant's first answer is a miss, the second a hit; both must match.
      for (const attempt of [1, 2]) {
        const actual = await post(variant.url, h.authorization, bodyFor(variant, name, h.fixture.variables[name]));
        if (!Buffer.from(actual.text).equals(Buffer.from(expected.text))) {
          const at = [...actual.text].findIndex((character, index) => character !== expected.text[index]);
          const why = `answer ${attempt} differs from the gateway's at byte ${at}: …${actual.text.slice(Math.max(0, at - 40), at + 60)}…`;
          excluded.set(`${name}/${variant.spec.name}`, why);
          progress(`EXCLUDED ${variant.spec.label} from ${name}: its answer differs from the gateway's at byte ${at}`);
          if (runsS5(variant.spec.name) && S5_READS.includes(name) && !excluded.has(`S5/${variant.spec.name}`)) {
            excluded.set(`S5/${variant.spec.name}`, `its ${name} ${why}`);
            progress(`EXCLUDED ${variant.spec.label} from S5: the mix reads ${name}`);
          }
          break;
        }
      }
    }
  }
  progress(`responses checked byte-identical (${excluded.size} exclusions)`);
  return excluded;
}

/** What the soak watches around its measured run. */
interface Monitor {
  /** The warm-up has drained; the measured run starts next. */
  beforeRun(variant: Started): Promise<void>;
  /** The measured run has started; the function returned ends the watch once it is over. */
  duringRun(variant: Started, live: LiveCounts): () => Promise<void>;
  /** The measured run is over and drained; null when the process exited during it. */
  afterRun(variant: Started | null): Promise<void>;
}

/** Aborts when the variant's process exits, and says how it did. */
function exitWatch(variant: Started): { signal: AbortSignal; reason: () => string | undefined; dispose: () => void } {
  const controller = new AbortController();
  let reason: string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    reason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    controller.abort();
  };
  if (variant.process.exitCode !== null || variant.process.signalCode !== null) onExit(variant.process.exitCode, variant.process.signalCode);
  else variant.process.once('exit', onExit);
  return { signal: controller.signal, reason: () => reason, dispose: () => variant.process.off('exit', onExit) };
}

/**
 * One run, as the suite and the soak both run it: a warm-up, the server drained, then the measured
 * run between readings of the server's /bench/stats (SQL counter, GC and CPU time) and Redis' command
 * counter, then drained again. A run of a fixed amount (a replay) has no warm-up: it is drained first,
 * then sent whole.
 */
/**
 * The gateway variants are two deployments on one database: those on the standalone Redis, and the one on
 * the Redis Cluster. A write through one invalidates only its own Redis, so after S5 wrote through one, the
 * other's cache holds rows from before those writes (S5's version reads then meet CONFLICT, as two
 * deployments sharing a database without sharing invalidations would). A run on a deployment another one
 * wrote through since starts with that deployment's cache emptied; its warm-up fills it again.
 */
const staleDeployments = new Set<'standalone' | 'cluster'>();
const deploymentOf = (spec: VariantSpec) => (spec.cluster ? 'cluster' : 'standalone');

async function emptyCacheOf(deployment: 'standalone' | 'cluster', redis: Redis): Promise<void> {
  if (deployment === 'cluster') {
    for (const node of (await benchCluster!.nodes()).filter((candidate) => candidate.role === 'master')) {
      const connection = new Redis({ host: '127.0.0.1', port: node.port });
      await connection.flushall().finally(() => connection.disconnect());
    }
    return;
  }
  // The cache tier's keys only (`<prefix>c:`, src/cache/redis-tier.ts): the APQ registrations beside them
  // must stay, or a variant restarted after each run (the naive one) meets PERSISTED_QUERY_NOT_FOUND.
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', 'bench:gateway:c:*', 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function measure(spec: RunSpec, h: Harness, tag: string, timing: { warmupSeconds: number; measuredSeconds: number }, monitor?: Monitor): Promise<Measurement> {
  let variant = variants.get(spec.variant)!;
  const what = `${tag}  ${spec.scenario}  ${variant.spec.label}  c=${spec.connections}`;
  const deployment = deploymentOf(variant.spec);
  if (benchCluster && staleDeployments.has(deployment)) {
    progress(`${what}  emptying the ${deployment} cache (the other deployment wrote since)`);
    await emptyCacheOf(deployment, h.redis);
    // A cluster is flushed whole, its APQ registrations with it.
    if (deployment === 'cluster') await registerDocuments(h);
    staleDeployments.delete(deployment);
  }
  if (benchCluster && mixOf(spec) === 'S5') staleDeployments.add(deployment === 'cluster' ? 'standalone' : 'cluster');
  const extent: Extent = spec.amount === undefined ? { seconds: spec.seconds ?? timing.measuredSeconds } : { amount: spec.amount };
  if (spec.amount === undefined) {
    progress(`${what}  warm-up ${timing.warmupSeconds}s`);
    // Fresh request state for each run: S5 cycles cut off by the warm-up's deadline must not keep their writers.
    await load(variant.url, h.authorization, { seconds: timing.warmupSeconds }, spec.connections, requestsFor(variant, mixOf(spec), h.fixture));
  }
  variant = await drain(variant);
  await monitor?.beforeRun(variant);
  const statsBefore = await benchStats(variant);
  const redisBefore = await commandsOf(variant, h.redis);
  const ownBefore = ownRedisCommands;
  progress(`${what}  measuring ${'amount' in extent ? `${extent.amount} requests` : `${extent.seconds}s`}`);
  const exit = exitWatch(variant);
  const live: LiveCounts = { responses: 0, errors: 0 };
  const endWatch = monitor?.duringRun(variant, live);
  let result: LoadResult;
  try {
    result = await load(variant.url, h.authorization, extent, spec.connections, requestsFor(variant, mixOf(spec), h.fixture), { live, signal: exit.signal });
  } finally {
    await endWatch?.();
    exit.dispose();
  }
  const exited = exit.reason();
  const statsAfter = exited ? null : await benchStats(variant);
  const sql = statsAfter ? statsAfter.sql - statsBefore.sql : Number.NaN;
  const gcShare = statsAfter ? gcShareBetween(statsBefore, statsAfter) : undefined;
  const hitRate = statsAfter ? hitRateBetween(statsBefore, statsAfter) : undefined;
  // Less the harness' own commands since the first reading: that reading itself, and the monitor's.
  // (A cluster's count has the harness' INFO per primary in it: one command each, negligible over a run.)
  const own = variant.spec.cluster ? 0 : ownRedisCommands - ownBefore + 1;
  const redisDelta = (await commandsOf(variant, h.redis)) - redisBefore - own;
  if (!exited) variant = await drain(variant);
  await monitor?.afterRun(exited ? null : variant);
  const errorKinds = Object.entries(result.errorKinds);
  return {
    round: 0,
    scenario: spec.scenario,
    variant: spec.variant,
    label: variant.spec.label,
    connections: spec.connections,
    ...(spec.amount !== undefined ? { amount: spec.amount } : {}),
    requests: result.requests,
    rps: result.rps,
    mean: result.latencies.length > 0 ? result.latencies.reduce((sum, latency) => sum + latency, 0) / result.latencies.length : 0,
    p50: percentile(result.latencies, 50),
    p95: percentile(result.latencies, 95),
    p99: percentile(result.latencies, 99),
    ...(Object.keys(result.latenciesByLabel).length > 1
      ? {
          byKind: Object.fromEntries(
            Object.entries(result.latenciesByLabel).map(([kind, list]) => [kind, { requests: list.length, p50: percentile(list, 50), p95: percentile(list, 95) }]),
          ),
        }
      : {}),
    errors: result.errors,
    ...(result.firstError ? { firstError: result.firstError } : {}),
    ...(errorKinds.length > 0
      ? {
          errorsByKind: Object.fromEntries(errorKinds.map(([kind, entry]) => [kind, entry.count])),
          errorExamples: Object.fromEntries(errorKinds.map(([kind, entry]) => [kind, entry.example])),
        }
      : {}),
    sqlPerRequest: result.requests > 0 ? sql / result.requests : 0,
    redisPerRequest: result.requests > 0 ? Math.max(0, redisDelta) / result.requests : 0,
    ...(gcShare !== undefined ? { gcShare } : {}),
    ...(hitRate !== undefined ? { hitRate } : {}),
    ...(exited ? { exited: `the process ${exited} after ${Math.round(result.abortedAfterSeconds ?? 0)} s of the measured run` } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- suite

async function suite(): Promise<void> {
  const started = Date.now();
  const h = await prepare();
  const chosen = args.variants ? new Set(['gateway', ...args.variants.split(',')]) : null;
  const groups = plan()
    .filter((group) => !args.only || group.runs.some((run) => run.scenario === args.only))
    .map((group) => ({ ...group, runs: group.runs.filter((run) => !chosen || chosen.has(run.variant)) }))
    .filter((group) => group.runs.length > 0);
  const runCount = groups.reduce((sum, group) => sum + group.rounds * group.runs.length, 0);
  progress(`plan: ${runCount} runs in ${groups.length} groups, about ${Math.ceil(estimateSeconds(groups) / 60)} min of load`);
  await startVariants(new Set(groups.flatMap((group) => group.runs.map((run) => run.variant))));

  // Register the documents with the gateways (APQ), then compare every variant's bytes with the gateway's.
  await registerDocuments(h);
  const excluded = await checkAnswers(
    h,
    groups.flatMap((group) => group.runs),
  );

  const measurements: Measurement[] = [];
  const rounds = Math.max(...groups.map((group) => group.rounds));
  for (let round = 1; round <= rounds; round += 1) {
    for (const group of groups) {
      if (round > group.rounds) continue;
      for (const spec of group.runs) {
        if (excluded.has(`${spec.scenario}/${spec.variant}`)) continue;
        const timing = { warmupSeconds: METHOD.warmupSeconds, measuredSeconds: METHOD.measuredSeconds };
        const measurement = await measure(spec, h, `round ${round}/${group.rounds}`, timing);
        if (measurement.exited) throw new Error(`${measurement.label}: ${measurement.exited} (${spec.scenario}, round ${round})`);
        measurements.push({ ...measurement, round });
      }
    }
  }

  h.redis.disconnect();
  // Issue 19: where the cluster variant's keys ended up, after every run of S1 to S5 on it.
  const clusterKeys = benchCluster ? await benchCluster.keysPerPrimary() : undefined;
  await stopAll();
  const report: BenchReport = {
    ...(clusterKeys ? { clusterKeys } : {}),
    date: new Date().toISOString(),
    machine: machineDescription(),
    method: {
      ...METHOD,
      connections: CONNECTIONS,
      s4Position: S4_POSITION,
      seed: BENCH_SEED,
      replay: { name: SEED_002.scenario, document: mixOf(SEED_002), connections: SEED_002.connections, amount: SEED_002.amount!, label: 'gateway, caches off (cold cache)' },
    },
    measurements,
    ratios: ratios(measurements),
    excluded: Object.fromEntries(excluded),
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
  const written = writeReport(report, `${ROOT}/bench/results`, args.out ?? (METHOD.quick ? 'quick' : 'latest'));
  progress(`done in ${report.durationSeconds} s: ${written.join(', ')}`);
}

// ---------------------------------------------------------------------------------------------- soak

/** Every 30 s; more often on soaks under 5 minutes, so that their second half still has samples for a slope. */
const sampleEverySeconds = (seconds: number) => Math.min(30, Math.max(1, Math.floor(seconds / 10)));

/** The gateway's heap used and RSS, from its own GET /metrics (prom-client's default metrics). */
async function gatewayMemory(variant: Started): Promise<{ heapUsedBytes: number; rssBytes: number }> {
  const response = await fetch(`${variant.origin}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}: ${text.slice(0, 200)}`);
  const value = (name: string) => {
    const found = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    const number = found ? Number(found[1]) : Number.NaN;
    if (!Number.isFinite(number)) throw new Error(`GET /metrics has no ${name}`);
    return number;
  };
  return { heapUsedBytes: value('nodejs_heap_size_used_bytes'), rssBytes: value('process_resident_memory_bytes') };
}

/** Samples the gateway's memory (and Redis') before, during and after the measured run. */
function soakMonitor(h: Harness, everySeconds: number): { monitor: Monitor; samples: SoakSample[] } {
  const samples: SoakSample[] = [];
  let startedAt = 0;
  let live: LiveCounts = { responses: 0, errors: 0 };
  const mib = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MiB`);
  const take = async (phase: SoakSample['phase'], variant: Started): Promise<SoakSample> => {
    const seconds = phase === 'start' ? 0 : Math.round((Date.now() - startedAt) / 100) / 10;
    const sample: SoakSample = { phase, seconds, heapUsedBytes: null, rssBytes: null, redisUsedMemoryBytes: null, requests: live.responses, errors: live.errors };
    try {
      Object.assign(sample, await gatewayMemory(variant));
    } catch (error) {
      sample.failure = (error as Error).message;
    }
    try {
      ownRedisCommands += 1;
      sample.redisUsedMemoryBytes = Number(/used_memory:(\d+)/.exec(await h.redis.info('memory'))?.[1] ?? Number.NaN);
      if (!Number.isFinite(sample.redisUsedMemoryBytes)) sample.redisUsedMemoryBytes = null;
    } catch {
      sample.redisUsedMemoryBytes = null;
    }
    samples.push(sample);
    progress(
      `soak ${phase.padEnd(5)} t=${String(Math.round(seconds)).padStart(5)} s  heap used ${mib(sample.heapUsedBytes)}  RSS ${mib(sample.rssBytes)}  ` +
        `requests ${sample.requests}  errors ${sample.errors}${sample.failure ? `  (sample failed: ${sample.failure})` : ''}`,
    );
    return sample;
  };
  const monitor: Monitor = {
    async beforeRun(variant) {
      const first = await take('start', variant);
      if (first.failure) throw new Error(`cannot read the gateway's memory from its /metrics: ${first.failure}`);
    },
    duringRun(variant, counts) {
      startedAt = Date.now();
      live = counts;
      let pending: Promise<unknown> | null = null;
      const timer = setInterval(() => {
        // A slow /metrics (the loop is busy) skips a tick rather than stacking samples.
        pending ??= take('load', variant).finally(() => (pending = null));
      }, everySeconds * 1000);
      return async () => {
        clearInterval(timer);
        await pending;
      };
    },
    async afterRun(variant) {
      if (variant) await take('end', variant);
    },
  };
  return { monitor, samples };
}

async function soak(seconds: number): Promise<void> {
  const started = Date.now();
  const h = await prepare();
  const run: RunSpec = { scenario: 'S5', variant: 'gateway-warm', connections: CONNECTIONS };
  // The caches-off gateway is the reference of the answer checks; it stops before the soak starts.
  await startVariants(new Set<VariantName>(['gateway', run.variant]));
  await registerDocuments(h);
  const excluded = await checkAnswers(h, [run]);
  if (excluded.size > 0) throw new Error(`the warm-cache gateway does not answer like the gateway, so there is nothing to soak: ${[...excluded.entries()].map(([key, why]) => `${key}: ${why}`).join('; ')}`);
  await stop(variants.get('gateway')!.process);
  variants.delete('gateway');

  const everySeconds = sampleEverySeconds(seconds);
  progress(`soak: S5 on the gateway with a warm cache for ${args.soak} (${seconds} s), memory sampled every ${everySeconds} s`);
  const { monitor, samples } = soakMonitor(h, everySeconds);
  const timing = { warmupSeconds: METHOD.warmupSeconds, measuredSeconds: seconds };
  const measurement = await measure(run, h, 'soak', timing, monitor);
  h.redis.disconnect();
  await stopAll();

  const report = buildSoakReport({
    date: new Date().toISOString(),
    machine: machineDescription(),
    method: {
      scenario: run.scenario,
      variant: run.variant,
      label: measurement.label,
      connections: run.connections,
      warmupSeconds: timing.warmupSeconds,
      soak: args.soak!,
      soakSeconds: seconds,
      sampleEverySeconds: everySeconds,
      seed: BENCH_SEED,
    },
    measurement,
    samples,
    durationSeconds: Math.round((Date.now() - started) / 1000),
  });
  const written = writeSoakReport(report, `${ROOT}/bench/results`, args.out ?? 'soak');
  process.stdout.write(`\n${soakSummary(report)}\n`);
  progress(`done in ${report.durationSeconds} s: ${written.join(', ')}`);
  if (report.errors > 0) process.exitCode = 1;
}

const main = () => (SOAK_SECONDS === null ? suite() : soak(SOAK_SECONDS));

/** The ratios the issue aims for (and the figures it bounds), per round, then their median over the rounds. */
function ratios(measurements: readonly Measurement[]): Ratio[] {
  const find = (round: number, scenario: Scenario, variant: VariantName) =>
    measurements.find((m) => m.round === round && m.scenario === scenario && m.variant === variant && m.connections === CONNECTIONS);
  const rps = (round: number, scenario: Scenario, over: VariantName, under: VariantName) => divide(find(round, scenario, over)?.rps, find(round, scenario, under)?.rps);
  // A latency of a run that got no answer is no figure (its percentiles read 0).
  const answered = (measurement: Measurement | undefined) => (measurement && measurement.requests > 0 ? measurement : undefined);
  const likeSearch = (round: number) =>
    measurements.find((m) => m.round === round && m.scenario === 'S6' && m.variant === S6_LIKE.variant && m.connections === S6_LIKE.connections);
  const thousand = (round: number) =>
    measurements.find((m) => m.round === round && m.scenario === S1_THOUSAND.scenario && m.variant === S1_THOUSAND.variant && m.connections === S1_THOUSAND.connections);
  const definitions: { name: string; target: string; unit?: Ratio['unit']; meets: (value: number) => boolean; of: (round: number) => number | null }[] = [
    { name: 'S0 gateway / stock Apollo Server 5 standalone (req/s)', target: '>= 1.0', meets: (v) => v >= 1, of: (r) => rps(r, 'S0', 'gateway', 'apollo') },
    { name: 'S1 gateway / raw floor (req/s, caches off)', target: '>= 0.5', meets: (v) => v >= 0.5, of: (r) => rps(r, 'S1', 'gateway', 'raw') },
    { name: 'S1 warm cache / caches off (req/s)', target: '>= 5', meets: (v) => v >= 5, of: (r) => rps(r, 'S1', 'gateway-warm', 'gateway') },
    { name: 'S1 gateway / naive (req/s)', target: '>= 5', meets: (v) => v >= 5, of: (r) => rps(r, 'S1', 'gateway', 'gateway-naive') },
    { name: 'S1 warm cache / Yoga + response cache, hit path (req/s)', target: '>= 1.2', meets: (v) => v >= 1.2, of: (r) => rps(r, 'S1', 'gateway-warm', 'yoga') },
    { name: 'S1 gateway / Join Monster (req/s, no caches)', target: '>= 1.5', meets: (v) => v >= 1.5, of: (r) => rps(r, 'S1', 'gateway', 'join-monster') },
    { name: 'S3 gateway / raw floor (req/s, caches off)', target: '>= 0.5', meets: (v) => v >= 0.5, of: (r) => rps(r, 'S3', 'gateway', 'raw') },
    { name: 'S3 gateway / Join Monster (req/s, no caches)', target: '>= 3', meets: (v) => v >= 3, of: (r) => rps(r, 'S3', 'gateway', 'join-monster') },
    { name: 'S3 gateway / naive (req/s)', target: '>= 30', meets: (v) => v >= 30, of: (r) => rps(r, 'S3', 'gateway', 'gateway-naive') },
    { name: 'S4 at 50,000 / S1 at 0 (p50 latency)', target: '<= 1.2', meets: (v) => v <= 1.2, of: (r) => divide(find(r, 'S4', 'gateway')?.p50, find(r, 'S1', 'gateway')?.p50) },
    {
      name: `${SEED_002.scenario} replay: S3, ${SEED_002.amount} requests over ${SEED_002.connections} connections, caches off (mean latency)`,
      target: 'mean <= 350 ms',
      unit: 'ms',
      meets: (v) => v <= 350,
      of: (r) => find(r, SEED_002.scenario, SEED_002.variant)?.mean ?? null,
    },
    { name: 'GC share of CPU, S3 gateway (caches off)', target: '<= 25%', unit: '%', meets: (v) => v <= 0.25, of: (r) => find(r, 'S3', 'gateway')?.gcShare ?? null },
    { name: 'S5 warm cache / caches off (req/s)', target: '>= 10', meets: (v) => v >= 10, of: (r) => rps(r, 'S5', 'gateway-warm', 'gateway') },
    { name: 'S5 warm cache, p95 latency', target: '<= 200 ms', unit: 'ms', meets: (v) => v <= 200, of: (r) => find(r, 'S5', 'gateway-warm')?.p95 ?? null },
    { name: 'S5 warm cache, Redis commands per request', target: '<= 20', meets: (v) => v <= 20, of: (r) => find(r, 'S5', 'gateway-warm')?.redisPerRequest ?? null },
    { name: 'S5 warm cache, fragment + response hit rate', target: '>= 80%', unit: '%', meets: (v) => v >= 0.8, of: (r) => find(r, 'S5', 'gateway-warm')?.hitRate ?? null },
    // Issue 19 asks for these figures, not a target: what a cluster costs the warm paths, interleaved in one run.
    { name: 'S1 warm cache on a Redis Cluster / on one Redis (req/s)', target: 'reported', meets: () => true, of: (r) => rps(r, 'S1', 'gateway-warm-cluster', 'gateway-warm') },
    { name: 'S5 warm cache on a Redis Cluster / on one Redis (req/s)', target: 'reported', meets: () => true, of: (r) => rps(r, 'S5', 'gateway-warm-cluster', 'gateway-warm') },
    { name: 'S5 warm cache on a Redis Cluster, p95 latency', target: 'reported', unit: 'ms', meets: () => true, of: (r) => find(r, 'S5', 'gateway-warm-cluster')?.p95 ?? null },
    { name: 'S5 warm cache on a Redis Cluster, Redis commands per request', target: 'reported', meets: () => true, of: (r) => find(r, 'S5', 'gateway-warm-cluster')?.redisPerRequest ?? null },
    { name: 'S6 gateway (caches off) / naive LIKE search at 2 connections (req/s)', target: '>= 20', meets: (v) => v >= 20, of: (r) => divide(find(r, 'S6', 'gateway')?.rps, likeSearch(r)?.rps) },
    { name: 'S6 gateway, warm cache / naive LIKE search at 2 connections (req/s)', target: '>= 20', meets: (v) => v >= 20, of: (r) => divide(find(r, 'S6', 'gateway-warm')?.rps, likeSearch(r)?.rps) },
    { name: 'S6 gateway, warm cache, p95 latency', target: '<= 100 ms', unit: 'ms', meets: (v) => v <= 100, of: (r) => answered(find(r, 'S6', 'gateway-warm'))?.p95 ?? null },
    { name: 'S6 gateway (caches off), p95 latency', target: '<= 100 ms', unit: 'ms', meets: (v) => v <= 100, of: (r) => answered(find(r, 'S6', 'gateway'))?.p95 ?? null },
    {
      name: `S1 warm cache at ${S1_THOUSAND.connections.toLocaleString('en-US')} connections for ${S1_THOUSAND.seconds} s: errors`,
      target: '= 0',
      meets: (v) => v === 0,
      of: (r) => thousand(r)?.errors ?? null,
    },
    {
      name: `S1 warm cache at ${S1_THOUSAND.connections.toLocaleString('en-US')} connections for ${S1_THOUSAND.seconds} s: p99 latency`,
      target: '<= 2,000 ms',
      unit: 'ms',
      meets: (v) => v <= 2000,
      of: (r) => thousand(r)?.p99 ?? null,
    },
  ];
  const rounds = [...new Set(measurements.map((m) => m.round))];
  return definitions.map((definition) => {
    const perRound = rounds.map((round) => definition.of(round)).filter((value): value is number => value !== null);
    const median = perRound.length > 0 ? [...perRound].sort((a, b) => a - b)[Math.floor(perRound.length / 2)]! : null;
    return {
      name: definition.name,
      target: definition.target,
      ...(definition.unit ? { unit: definition.unit } : {}),
      perRound,
      median,
      met: median !== null && definition.meets(median),
    };
  });
}

function divide(a: number | undefined, b: number | undefined): number | null {
  return a === undefined || b === undefined || b === 0 ? null : a / b;
}

function machineDescription(): string {
  const cpus = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const memory = spawnSync('sh', ['-c', "awk '/MemTotal/ {printf \"%.0f GiB\", $2/1048576}' /proc/meminfo"], { encoding: 'utf8' }).stdout.trim();
  const mariadb = spawnSync('mysql', ['--protocol=tcp', '-h127.0.0.1', '-uroot', '-N', '-e', 'SELECT VERSION()'], { encoding: 'utf8' }).stdout.trim();
  return `${cpus} cores, ${memory}, Node ${process.versions.node}, MariaDB ${mariadb}, Redis 7; gateway, databases and load generator share the machine`;
}

process.on('SIGINT', () => void stopAll().then(() => process.exit(130)));
main().catch(async (error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
  await stopAll();
  process.exit(1);
});
