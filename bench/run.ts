/**
 * `npm run bench [-- --quick]`: the gateway side by side with the naive
 * baseline, the raw SQL floor and peer systems, on the same data and the same
 * documents, from one script that starts and stops everything it uses.
 *
 * 1. Seeds `gw_bench_suite` with `npm run db:seed` at bench scale (skipped
 *    when it already holds exactly that data set).
 * 2. Starts every variant as its own process (bench/variants/*): the gateway
 *    with caches off, with a warm cache, and in naive mode; the raw
 *    node:http + mysql2 floor; GraphQL Yoga + response cache on Redis over
 *    the gateway's resolvers; Join Monster.
 * 3. Checks that every variant answers every scenario with the same bytes as
 *    the gateway, and leaves out (and reports) any that does not.
 * 4. Drives load with autocannon's API: per round, the variants of a
 *    scenario one after another (A B A B), each with a warm-up and a measured
 *    run; SQL statements per request from each server's own counter
 *    (/bench/stats) and Redis commands per request from Redis' INFO.
 * 5. Writes bench/results/latest.{md,json,svg} (bench/report.ts).
 *
 * Load goes to 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { signToken } from '../src/auth/token.js';
import { createCursorCodec } from '../src/relay/cursor.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { writeReport, type BenchReport, type Measurement, type Ratio } from './report.js';
import { BENCH_DATABASE_URL, BENCH_JWT_SECRET, BENCH_REDIS_URL, BENCH_SEED, QUERIES, type QueryName } from './scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    /** Only the groups that run this scenario (e.g. S3). */
    only: { type: 'string' },
    /** Only these variants, comma-separated (the gateway always runs: it is the reference). */
    variants: { type: 'string' },
    /** The report's name in bench/results (default latest, or quick with --quick). */
    out: { type: 'string' },
  },
  strict: true,
});

/** How long each run warms up and measures, and how many interleaved rounds the ratio groups get. */
const METHOD = args.quick
  ? { warmupSeconds: 1, measuredSeconds: 2, rounds: 1, quick: true }
  : { warmupSeconds: 5, measuredSeconds: 15, rounds: 3, quick: false };
const CONNECTIONS = 20;
const S4_POSITION = 50_000;

type VariantName = 'gateway' | 'gateway-warm' | 'gateway-naive' | 'raw' | 'yoga' | 'join-monster';

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
  {
    name: 'gateway-naive',
    label: 'gateway, naive (no DataLoader batching)',
    script: 'bench/variants/gateway.ts',
    env: { ...GATEWAY_ENV, CACHE_ENABLED: '0', DB_IN_CHUNK_SIZE: '1' },
    persisted: true,
    restartAfterRun: true,
  },
  { name: 'raw', label: 'raw floor (node:http + mysql2)', script: 'bench/variants/raw.ts', env: {}, persisted: false },
  { name: 'yoga', label: 'Yoga + response cache (Redis), hit path', script: 'bench/variants/yoga.ts', env: { REDIS_KEY_PREFIX: 'bench:yoga:' }, persisted: false },
  { name: 'join-monster', label: 'Join Monster (mariadb)', script: 'bench/variants/join-monster.ts', env: {}, persisted: false },
];

type Scenario = QueryName | 'S5';

interface RunSpec {
  readonly scenario: Scenario;
  readonly variant: VariantName;
  readonly connections: number;
}

interface Group {
  readonly title: string;
  readonly runs: readonly RunSpec[];
  /** Ratio groups are interleaved over every round; the others run in the first round only. */
  readonly rounds: number;
}

const run20 = (scenario: Scenario, ...variants: VariantName[]): RunSpec[] =>
  variants.map((variant) => ({ scenario, variant, connections: CONNECTIONS }));

/** What runs: the ratio groups over every round, the rest once (the full run must stay under 15 minutes on 2 cores). */
function plan(): Group[] {
  const all = METHOD.rounds;
  if (METHOD.quick) {
    // A rough picture in under 2 minutes: one round, no naive S3 (one request outlasts the run), no 1-connection runs.
    return [
      { title: 'S1 (and S4)', rounds: 1, runs: [...run20('S1', 'gateway', 'gateway-warm', 'gateway-naive', 'raw', 'yoga', 'join-monster'), ...run20('S4', 'gateway')] },
      { title: 'S3', rounds: 1, runs: run20('S3', 'gateway', 'gateway-warm', 'raw', 'yoga', 'join-monster') },
      { title: 'S0, S2, S5', rounds: 1, runs: [...run20('S0', 'gateway', 'raw'), ...run20('S2', 'gateway', 'raw'), ...run20('S5', 'gateway', 'gateway-warm')] },
    ];
  }
  return [
    { title: 'S1 patient list (and S4 deep page)', rounds: all, runs: [...run20('S1', 'gateway', 'gateway-warm', 'gateway-naive', 'raw', 'yoga', 'join-monster'), ...run20('S4', 'gateway')] },
    { title: 'S3 OneTime event page (ratios)', rounds: all, runs: run20('S3', 'gateway', 'gateway-naive') },
    { title: 'S3 OneTime event page (others)', rounds: 1, runs: run20('S3', 'gateway-warm', 'raw', 'yoga', 'join-monster') },
    { title: 'S0 { __typename }', rounds: 1, runs: run20('S0', 'gateway', 'raw') },
    { title: 'S2 patient detail', rounds: 1, runs: run20('S2', 'gateway', 'gateway-warm', 'raw') },
    { title: 'S5 90% reads / 10% writes', rounds: 1, runs: run20('S5', 'gateway', 'gateway-warm') },
    { title: 'S1 at 1 connection', rounds: 1, runs: [{ scenario: 'S1', variant: 'gateway', connections: 1 }, { scenario: 'S1', variant: 'raw', connections: 1 }] },
  ];
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

async function startVariant(spec: VariantSpec, port: number): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: BENCH_DATABASE_URL,
      REDIS_URL: BENCH_REDIS_URL,
      JWT_SECRET: BENCH_JWT_SECRET,
      LOG_LEVEL: 'warn',
      SEED_DEMO: '0',
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

function stopAll(): Promise<void> {
  return Promise.all(children.map((child) => stop(child))).then(() => undefined);
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
        progress(`database ${name} already holds the bench data set; not reseeding`);
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

async function sqlCounter(variant: Started): Promise<number> {
  const response = await fetch(`${variant.origin}/bench/stats`);
  return ((await response.json()) as { sql: number }).sql;
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

async function redisCommands(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface LoadResult {
  requests: number;
  rps: number;
  latencies: number[];
  errors: number;
  /** The first failed answer, so the report says what went wrong. */
  firstError?: string;
}

/** One autocannon run; counts a response as an error unless it is a 2xx without GraphQL errors. */
function load(url: string, authorization: string, seconds: number, connections: number, requests: autocannon.Request[]): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let graphqlErrors = 0;
    let firstError: string | undefined;
    type OnResponse = (status: number, body: string, context: object, headers: IncomingHttpHeaders | undefined) => void;
    const checked = requests.map((request): autocannon.Request => {
      const inner = typeof request.onResponse === 'function' ? (request.onResponse as OnResponse) : null;
      return {
        ...request,
        onResponse: (status, body, context, headers) => {
          if (status >= 300 || body.startsWith('{"errors"') || body.includes('"errors":[')) {
            graphqlErrors += status >= 300 ? 0 : 1;
            firstError ??= `${status} ${body.slice(0, 300)}`;
          }
          inner?.(status, body, context, headers);
        },
      };
    });
    const instance = autocannon(
      { url, connections, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json', authorization }, requests: checked },
      (error, result) => {
        if (error) return reject(error);
        const errors = result.errors + result.timeouts + result.non2xx + graphqlErrors;
        resolve({
          requests: result.requests.total,
          rps: result.requests.total / seconds,
          latencies: latencies.sort((a, b) => a - b),
          errors,
          ...(firstError ? { firstError } : {}),
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime: number) => latencies.push(responseTime));
  });
}

function requestsFor(variant: Started, scenario: Scenario, fixture: Fixture): autocannon.Request[] {
  if (scenario !== 'S5') return [{ method: 'POST', body: bodyFor(variant, scenario, fixture.variables[scenario]) }];
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
  const read = (name: QueryName, variables: (context: MixContext) => Record<string, unknown>): autocannon.Request => ({
    method: 'POST',
    setupRequest: (request, context) => ({ ...request, body: bodyFor(variant, name, variables(context as MixContext)) }),
  });
  const s1 = read('S1', (context) => (writerOf(context), {}));
  const s2 = read('S2', (context) => ({ id: writerOf(context).patientId }));
  const s3 = read('S3', (context) => ({ id: writerOf(context).eventId }));
  const version: autocannon.Request = {
    ...read('V1', (context) => ({ id: writerOf(context).recordId })),
    onResponse: (_status, body, context) => {
      const found = /"version":(\d+)/.exec(body);
      if (found) (context as MixContext).version = Number(found[1]);
    },
  };
  const write: autocannon.Request = {
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

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
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

  const chosen = args.variants ? new Set(['gateway', ...args.variants.split(',')]) : null;
  const groups = plan()
    .filter((group) => !args.only || group.runs.some((run) => run.scenario === args.only))
    .map((group) => ({ ...group, runs: group.runs.filter((run) => !chosen || chosen.has(run.variant)) }))
    .filter((group) => group.runs.length > 0);
  const needed = new Set(groups.flatMap((group) => group.runs.map((run) => run.variant)));
  const specs = VARIANTS.filter((variant) => needed.has(variant.name));
  progress(`starting ${specs.map((spec) => spec.label).join('; ')}`);
  const startedVariants = await Promise.all(specs.map((spec, index) => startVariant(spec, 4301 + index)));
  for (const variant of startedVariants) variants.set(variant.spec.name, variant);

  // Register the documents with the gateways (APQ), then compare every variant's bytes with the gateway's.
  for (const variant of variants.values()) {
    if (!variant.spec.persisted) continue;
    for (const name of Object.keys(QUERIES) as QueryName[]) {
      // Registration happens before execution; W1/W2 then fail on their missing variables and write nothing.
      const registration = { query: QUERIES[name], variables: fixture.variables[name], extensions: { persistedQuery: { version: 1, sha256Hash: sha256(QUERIES[name]) } } };
      await post(variant.url, authorization, JSON.stringify(registration));
    }
  }
  const excluded = new Map<string, string>();
  const reference = variants.get('gateway')!;
  for (const name of ['S0', 'S1', 'S2', 'S3', 'S4'] as const) {
    const expected = await post(reference.url, authorization, bodyFor(reference, name, fixture.variables[name]));
    if (expected.status !== 200 || expected.text.includes('"errors"')) throw new Error(`the gateway failed ${name}: ${expected.text.slice(0, 300)}`);
    for (const variant of variants.values()) {
      if (variant === reference) continue;
      const planned = groups.some((group) => group.runs.some((run) => run.scenario === name && run.variant === variant.spec.name));
      if (!planned) continue;
      // Twice: a cache variant's first answer is a miss, the second a hit; both must match.
      for (const attempt of [1, 2]) {
        const actual = await post(variant.url, authorization, bodyFor(variant, name, fixture.variables[name]));
        if (!Buffer.from(actual.text).equals(Buffer.from(expected.text))) {
          const at = [...actual.text].findIndex((character, index) => character !== expected.text[index]);
          excluded.set(`${name}/${variant.spec.name}`, `answer ${attempt} differs from the gateway's at byte ${at}: …${actual.text.slice(Math.max(0, at - 40), at + 60)}…`);
          progress(`EXCLUDED ${variant.spec.label} from ${name}: its answer differs from the gateway's at byte ${at}`);
          break;
        }
      }
    }
  }
  progress(`responses checked byte-identical (${excluded.size} exclusions)`);

  const measurements: Measurement[] = [];
  const rounds = Math.max(...groups.map((group) => group.rounds));
  for (let round = 1; round <= rounds; round += 1) {
    for (const group of groups) {
      if (round > group.rounds) continue;
      for (const spec of group.runs) {
        if (excluded.has(`${spec.scenario}/${spec.variant}`)) continue;
        let variant = variants.get(spec.variant)!;
        progress(`round ${round}/${group.rounds}  ${spec.scenario}  ${variant.spec.label}  c=${spec.connections}  warm-up ${METHOD.warmupSeconds}s`);
        // Fresh request state for each run: S5 cycles cut off by the warm-up's deadline must not keep their writers.
        await load(variant.url, authorization, METHOD.warmupSeconds, spec.connections, requestsFor(variant, spec.scenario, fixture));
        variant = await drain(variant);
        const sqlBefore = await sqlCounter(variant);
        const redisBefore = await redisCommands(redis);
        progress(`round ${round}/${group.rounds}  ${spec.scenario}  ${variant.spec.label}  c=${spec.connections}  measuring ${METHOD.measuredSeconds}s`);
        const result = await load(variant.url, authorization, METHOD.measuredSeconds, spec.connections, requestsFor(variant, spec.scenario, fixture));
        const sql = (await sqlCounter(variant)) - sqlBefore;
        const redisDelta = (await redisCommands(redis)) - redisBefore - 1;
        variant = await drain(variant);
        measurements.push({
          round,
          scenario: spec.scenario,
          variant: spec.variant,
          label: variant.spec.label,
          connections: spec.connections,
          requests: result.requests,
          rps: result.rps,
          p50: percentile(result.latencies, 50),
          p95: percentile(result.latencies, 95),
          p99: percentile(result.latencies, 99),
          errors: result.errors,
          ...(result.firstError ? { firstError: result.firstError } : {}),
          sqlPerRequest: result.requests > 0 ? sql / result.requests : 0,
          redisPerRequest: result.requests > 0 ? Math.max(0, redisDelta) / result.requests : 0,
        });
      }
    }
  }

  redis.disconnect();
  await stopAll();
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: machineDescription(),
    method: { ...METHOD, connections: CONNECTIONS, s4Position: S4_POSITION, seed: BENCH_SEED },
    measurements,
    ratios: ratios(measurements),
    excluded: Object.fromEntries(excluded),
    durationSeconds: Math.round((Date.now() - started) / 1000),
  };
  const written = writeReport(report, `${ROOT}/bench/results`, args.out ?? (METHOD.quick ? 'quick' : 'latest'));
  progress(`done in ${report.durationSeconds} s: ${written.join(', ')}`);
}

/** The ratios the issue aims for, per round, then their median over the rounds. */
function ratios(measurements: readonly Measurement[]): Ratio[] {
  const find = (round: number, scenario: Scenario, variant: VariantName) =>
    measurements.find((m) => m.round === round && m.scenario === scenario && m.variant === variant && m.connections === CONNECTIONS);
  const definitions: { name: string; target: string; meets: (value: number) => boolean; of: (round: number) => number | null }[] = [
    { name: 'S1 gateway / raw floor (req/s, caches off)', target: '>= 0.6', meets: (v) => v >= 0.6, of: (r) => divide(find(r, 'S1', 'gateway')?.rps, find(r, 'S1', 'raw')?.rps) },
    { name: 'S1 warm cache / caches off (req/s)', target: '>= 5', meets: (v) => v >= 5, of: (r) => divide(find(r, 'S1', 'gateway-warm')?.rps, find(r, 'S1', 'gateway')?.rps) },
    { name: 'S1 gateway / naive (req/s)', target: '>= 5', meets: (v) => v >= 5, of: (r) => divide(find(r, 'S1', 'gateway')?.rps, find(r, 'S1', 'gateway-naive')?.rps) },
    { name: 'S3 gateway / naive (req/s)', target: '>= 50', meets: (v) => v >= 50, of: (r) => divide(find(r, 'S3', 'gateway')?.rps, find(r, 'S3', 'gateway-naive')?.rps) },
    { name: 'S1 warm cache / Yoga + response cache, hit path (req/s)', target: '>= 1.0', meets: (v) => v >= 1, of: (r) => divide(find(r, 'S1', 'gateway-warm')?.rps, find(r, 'S1', 'yoga')?.rps) },
    { name: 'S1 gateway / Join Monster (req/s, no caches)', target: '>= 1.0', meets: (v) => v >= 1, of: (r) => divide(find(r, 'S1', 'gateway')?.rps, find(r, 'S1', 'join-monster')?.rps) },
    { name: 'S3 gateway / Join Monster (req/s, no caches)', target: '>= 1.0', meets: (v) => v >= 1, of: (r) => divide(find(r, 'S3', 'gateway')?.rps, find(r, 'S3', 'join-monster')?.rps) },
    { name: 'S4 at 50,000 / S1 at 0 (p50 latency)', target: '<= 1.2', meets: (v) => v <= 1.2, of: (r) => divide(find(r, 'S4', 'gateway')?.p50, find(r, 'S1', 'gateway')?.p50) },
  ];
  const rounds = [...new Set(measurements.map((m) => m.round))];
  return definitions.map((definition) => {
    const perRound = rounds.map((round) => definition.of(round)).filter((value): value is number => value !== null);
    const median = perRound.length > 0 ? [...perRound].sort((a, b) => a - b)[Math.floor(perRound.length / 2)]! : null;
    return { name: definition.name, target: definition.target, perRound, median, met: median !== null && definition.meets(median) };
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
