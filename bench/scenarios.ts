/**
 * The benchmark's data set and scenarios, shared by the harness (bench/run.ts)
 * and every variant (bench/variants/*), so all of them answer the same
 * documents over the same rows.
 *
 * Every variant serves POST /graphql with a JSON body `{ query, variables }`
 * (the gateway gets the same document by APQ hash, as production clients do)
 * and an admin bearer token, and `GET /bench/stats` answering
 * `{ "sql": <SQL statements sent since start, counted at its driver>,
 *    "gcMs": <time in garbage collection since start>, "cpuMs": <CPU time, user + system> }`
 * (bench/variants/stats.ts; the harness reads GC's share of CPU from gcMs and cpuMs).
 */
import type { SeedOptions } from '../src/seed/seed.js';

/** The bench scale: 100,000 patients x 10 records, 30 clinicians, 20 events of 7 days x 48 slots, 50 participants x 100 picks. */
export const BENCH_SEED: SeedOptions = {
  clinicians: 30,
  patients: 100_000,
  recordsPerPatient: 10,
  events: 20,
  slots: 7 * 48,
  participants: 50,
  picks: 100,
  reset: true,
  seed: 7,
};

/** Shared by every variant (tokens, cursors). */
export const BENCH_JWT_SECRET = 'benchmark-secret-0123456789-abcdefghijklmnop';
export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/gw_bench_suite';
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The environment every server the bench starts shares (on top of the caller's own): data, Redis, tokens, quiet logs. */
export const BENCH_SERVER_ENV = {
  HOST: '127.0.0.1',
  DATABASE_URL: BENCH_DATABASE_URL,
  REDIS_URL: BENCH_REDIS_URL,
  JWT_SECRET: BENCH_JWT_SECRET,
  LOG_LEVEL: 'warn',
  SEED_DEMO: '0',
} as const;

const PATIENT_PAGE = `nodes { id name birthDate recordCount records(first: 5) { nodes { id diagnosis status author { name } } } }`;

export const QUERIES = {
  S0: `{ __typename }`,
  /** Patient list page. */
  S1: `query S1 { patients(first: 20) { ${PATIENT_PAGE} } }`,
  /** Patient detail: 20 records and every selection with its schedule and event. */
  S2: `query S2($id: ID!) { patient(id: $id) { id name records(first: 20) { nodes { id diagnosis status createdAt author { name } } } selections { id schedule { date time event { title } } } } }`,
  /** The OneTime event page. */
  S3: `query S3($id: ID!) { event(id: $id) { schedules { date time selectionCount selections { patient { name } } } } }`,
  /** The patient list page at a cursor (position 50,000 in the full run). */
  S4: `query S4($after: String) { patients(first: 20, after: $after) { ${PATIENT_PAGE} } }`,
  /**
   * Record search: one word, the first page of 20 newest matches with their patients' names. NEWEST, and no
   * score, so the LIKE variant (which cannot rank) answers the same bytes; RELEVANCE costs the same statement
   * with another ORDER BY.
   */
  S6: `query S6($query: String!) { searchRecords(query: $query, first: 20, orderBy: NEWEST) { edges { node { id diagnosis patient { name } } } } }`,
  /** S5: the version a write must name. */
  V1: `query V1($id: ID!) { record(id: $id) { version } }`,
  W1: `mutation W1($input: UpdateRecordInput!) { updateRecord(input: $input) { id version } }`,
  W2: `mutation W2($input: SetSelectionsInput!) { setSelections(input: $input) { id } }`,
} as const;

export type QueryName = keyof typeof QUERIES;
