/**
 * The cache's tag generations (src/cache/redis-tier.ts), measured on a
 * private redis-server so that Redis' own command counters belong to this
 * file alone:
 *
 * - an invalidation costs the same few commands whether 1 or 200 entries
 *   depend on the tag it touches (no membership sets, no fan-out);
 * - an outdated entry stays in Redis until it expires, and is never served,
 *   even when written back by hand with its old fence (a stale fill is
 *   harmless by construction);
 * - a warm whole-response hit is one script call (one round trip), and from
 *   the L1 it moves none of the response's bytes out of Redis;
 * - a page's entry carries its list's tags, not one per row: the same
 *   number of tags with 1 and with 20 records per patient;
 * - a response 20 connections miss at once is computed once;
 * - /metrics reports the hit ratio and the outdated entries;
 * - an instance with CACHE_ENABLED=0 in the same deployment still bumps the
 *   generations its writes touch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerOf } from '../src/cache/cache.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { insertPatients, insertRecords, manyPatients } from './support/fixtures.js';
import { PrivateRedis } from './support/redis-server.js';

const PATIENT = 'query Patient($id: ID!) { patient(id: $id) { id name version } }';
const PAGE = 'query Page($first: Int) { patients(first: $first) { nodes { id name recordCount records(first: 5) { nodes { id diagnosis } } } } }';
const RENAME = 'mutation Rename($input: UpdatePatientInput!) { updatePatient(input: $input) { id name version } }';

let redis: PrivateRedis;
/** L1 off: every hit goes to Redis. */
let shared: TestGateway;
/** L1 on (the default). */
let near: TestGateway;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  // The rate budget off: its draw is a script call of its own (counted in the README), not the cache's.
  shared = await createTestGateway({
    name: 'cache_versions',
    cache: true,
    env: { REDIS_URL: redis.url, CACHE_L1_MAX_ENTRIES: '0', RATE_LIMIT_COST_PER_MINUTE: '0' },
  });
  near = await createTestGateway({ name: 'cache_versions_l1', cache: true, env: { REDIS_URL: redis.url, RATE_LIMIT_COST_PER_MINUTE: '0' } });
});

afterAll(async () => {
  await shared?.close();
  await near?.close();
  await redis?.dispose();
});

/** Every command Redis ran (top-level and inside scripts) while `action` ran, by name. */
async function commandsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await redis.commandCalls();
  await action();
  const after = await redis.commandCalls();
  const delta: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) {
    const moved = calls - (before[name] ?? 0);
    // The probes themselves (redis-cli's INFO) are not the gateway's.
    if (moved > 0 && name !== 'info' && name !== 'command') delta[name] = moved;
  }
  return delta;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((sum, count) => sum + count, 0);

async function metric(gw: TestGateway, name: string, labels: Record<string, string>): Promise<number> {
  const values = (await gw.gateway.metrics.getSingleMetric(name)?.get())?.values ?? [];
  return values.filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted)).reduce((sum, value) => sum + value.value, 0);
}

async function rename(gw: TestGateway, patientId: number, name: string): Promise<void> {
  const current = await gw.run(PATIENT, { id: toGlobalId('Patient', patientId) });
  const result = await gw.run(RENAME, { input: { id: toGlobalId('Patient', patientId), expectedVersion: current.data?.patient.version, name } });
  expect(result.errors).toBeUndefined();
}

describe('an invalidation', () => {
  it('costs the same Redis commands whether 1 or 200 cached entries depend on its tag', async () => {
    const ids = await insertPatients(shared.database.pool, manyPatients(201, 'Fan-out'));
    const [alone, ...crowd] = ids as [number, ...number[]];
    // 1 entry under `patients` (a one-patient page) for the first rename; 200 more for the second.
    await shared.run(PAGE, { first: 1 });
    const renameCosts = async (patientId: number, name: string) => {
      const current = await shared.run(PATIENT, { id: toGlobalId('Patient', patientId) });
      return commandsDuring(() =>
        shared.run(RENAME, { input: { id: toGlobalId('Patient', patientId), expectedVersion: current.data?.patient.version, name } }),
      );
    };
    // Once first, so that every script is loaded (ioredis sends EVAL once, then EVALSHA).
    await renameCosts(crowd[1]!, 'Fan-out warm-up');
    const few = await renameCosts(alone, 'Fan-out renamed once');
    for (let first = 1; first <= 200; first += 1) await shared.run(PAGE, { first });
    const many = await renameCosts(crowd[0]!, 'Fan-out renamed again');
    expect(many).toEqual(few);
    // The invalidation itself: its script, INCR, one SET per tag (Patient:<id>, patients), PUBLISH.
    expect(few.incr).toBe(1);
    expect(few.publish).toBe(1);
    expect(few.smembers ?? 0).toBe(0);
    expect(few.del ?? 0).toBe(0);
    expect(total(few)).toBeLessThanOrEqual(20);
  });
});

describe('an outdated entry', () => {
  it('stays in Redis until it expires but is never served, even when written back by hand with its old fence', async () => {
    const [patientId] = (await insertPatients(shared.database.pool, manyPatients(1, 'Outdated'))) as [number];
    const id = toGlobalId('Patient', patientId);
    const cold = await shared.run(PATIENT, { id });
    expect(cold.sqlCount).toBeGreaterThan(0);
    const warm = await shared.run(PATIENT, { id });
    expect(warm.sqlCount).toBe(0);
    const [entryKey] = await redis.keys(`${shared.name}:c:*:v:Patient:${patientId}`);
    expect(entryKey).toBeDefined();
    const oldEntry = await redis.cli('GET', entryKey!);
    expect(oldEntry).toContain('Outdated 1');
    const outdatedBefore = await metric(shared, 'gateway_cache_outdated_total', { kind: 'fragment' });

    await rename(shared, patientId, 'Outdated renamed');
    // No fan-out: the entry is still there, but the next read misses it and reads MySQL.
    expect(await redis.cli('GET', entryKey!)).toBe(oldEntry);
    const next = await shared.run(PATIENT, { id });
    expect(next.data?.patient.name).toBe('Outdated renamed');
    expect(next.sqlCount).toBeGreaterThan(0);
    expect(await metric(shared, 'gateway_cache_outdated_total', { kind: 'fragment' })).toBeGreaterThan(outdatedBefore);

    // A fill that slipped past the write-back check (its fence predates the rename) cannot come back to life.
    expect(headerOf(oldEntry).f).toBeLessThan(Number(await redis.cli('GET', `${shared.name}:c:g:Patient:${patientId}`)));
    await redis.cli('SET', entryKey!, oldEntry);
    // Another document, so no cached response answers for the fragment.
    const afterHandWrite = await shared.run('query Again($id: ID!) { patient(id: $id) { name } }', { id });
    expect(afterHandWrite.data?.patient.name).toBe('Outdated renamed');
    expect(afterHandWrite.sqlCount).toBeGreaterThan(0);
  });
});

describe('an instance that does not cache', () => {
  it('still invalidates: a write through it is never answered from another instance’s cache (Redis or L1)', async () => {
    const uncached = await createTestGateway({ shareWith: near, cache: false, env: { REDIS_URL: redis.url, RATE_LIMIT_COST_PER_MINUTE: '0' } });
    try {
      const [patientId] = (await insertPatients(near.database.pool, manyPatients(1, 'Shared'))) as [number];
      const id = toGlobalId('Patient', patientId);
      expect((await near.run(PATIENT, { id })).sqlCount).toBeGreaterThan(0);
      const warm = await near.run(PATIENT, { id });
      expect(warm.sqlCount).toBe(0);
      expect(warm.data?.patient.name).toBe('Shared 1');

      await rename(uncached, patientId, 'Shared renamed');
      const after = await near.run(PATIENT, { id });
      expect(after.data?.patient.name).toBe('Shared renamed');
      expect(after.sqlCount).toBeGreaterThan(0);
      // It neither reads nor fills: its own repeat goes to MySQL.
      expect((await uncached.run(PATIENT, { id })).sqlCount).toBeGreaterThan(0);
    } finally {
      await uncached.close();
    }
  });
});

describe('a warm whole-response hit', () => {
  it('is one script call and writes nothing (L1 off)', async () => {
    const [patientId] = (await insertPatients(shared.database.pool, manyPatients(1, 'Hit'))) as [number];
    const id = toGlobalId('Patient', patientId);
    await shared.run(PATIENT, { id });
    let hit: { sqlCount: number; data?: { patient: { name: string } } | null } | undefined;
    const calls = await commandsDuring(async () => (hit = await shared.run(PATIENT, { id })));
    expect(hit!.sqlCount).toBe(0);
    expect(hit!.data?.patient.name).toBe('Hit 1');
    // One EVALSHA (the read script); inside it only reads: the sequence, the state, the entries, the generations.
    expect(calls.evalsha).toBe(1);
    expect(Object.keys(calls).sort()).toEqual(['evalsha', 'get', 'mget']);
    expect(total(calls)).toBeLessThanOrEqual(5);
  });

  it('from the L1 moves none of the response out of Redis', async () => {
    const ids = await insertPatients(near.database.pool, manyPatients(100, 'Near patient with a longish name'));
    await near.run(PAGE, { first: 100 });
    const responseBytes = JSON.stringify((await near.run(PAGE, { first: 100 })).data).length;
    expect(responseBytes).toBeGreaterThan(10_000);
    const outputBytes = async () => Number(/total_net_output_bytes:(\d+)/.exec(await redis.cli('info', 'stats'))?.[1]);
    // What reading the counter itself sends (its own INFO reply), to leave it out.
    const probe = -(await outputBytes()) + (await outputBytes());
    const before = await outputBytes();
    const again = await near.run(PAGE, { first: 100 });
    const moved = (await outputBytes()) - before - probe;
    expect(again.sqlCount).toBe(0);
    expect(again.data?.patients.nodes).toHaveLength(ids.length);
    // The fence's reply (a few bytes) left Redis, not the page.
    expect(moved).toBeLessThan(200);
    const calls = await commandsDuring(() => near.run(PAGE, { first: 100 }));
    expect(calls.evalsha).toBe(1);
  });
});

describe('a response many connections miss at once', () => {
  it('is computed once: the others wait for it and answer with its bytes', async () => {
    await insertPatients(shared.database.pool, manyPatients(3, 'Flight'));
    const document = 'query Flight($first: Int) { patients(first: $first) { nodes { id name } } }';
    const coalescedBefore = await metric(shared, 'gateway_cache_coalesced_total', { kind: 'response' });
    const answers = await Promise.all(Array.from({ length: 20 }, () => shared.run(document, { first: 3 })));
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(answers[0]!.data);
    }
    // One leader; the others arrive while it computes (their cache reads come back before its MySQL reads do).
    const coalesced = (await metric(shared, 'gateway_cache_coalesced_total', { kind: 'response' })) - coalescedBefore;
    expect(coalesced).toBeGreaterThanOrEqual(10);
    expect(answers.filter((answer) => answer.sqlCount > 0).length).toBeLessThanOrEqual(20 - coalesced);
  });
});

describe('tags per entry', () => {
  it('a page carries its lists’ tags, not one per row: the same count with 1 and with 20 records per patient', async () => {
    const tagsOfPageResponse = async (recordsPerPatient: number) => {
      const gw = await createTestGateway({ name: `cache_versions_tags_${recordsPerPatient}`, cache: true, env: { REDIS_URL: redis.url, CACHE_L1_MAX_ENTRIES: '0' } });
      try {
        const patientIds = await insertPatients(gw.database.pool, manyPatients(5, 'Tagged'));
        await insertRecords(
          gw.database.pool,
          patientIds.flatMap((patientId) => Array.from({ length: recordsPerPatient }, (_, index) => ({ patientId, diagnosis: `D${index}` }))),
        );
        await gw.run(PAGE, { first: 5 });
        const keys = await redis.keys(`${gw.name}:c:*:v:response:*`);
        expect(keys).toHaveLength(1);
        return headerOf(await redis.cli('GET', keys[0]!)).t;
      } finally {
        await gw.close();
      }
    };
    const one = await tagsOfPageResponse(1);
    const twenty = await tagsOfPageResponse(20);
    // `patients`, and per patient its records' membership and contents tags.
    expect(one).toHaveLength(1 + 5 * 2);
    expect(twenty).toHaveLength(one.length);
    expect(one).toContain('patients');
    expect(one.some((tag) => tag.startsWith('Record:'))).toBe(false);
  });
});

describe('/metrics', () => {
  it('reports the hit ratio per kind and overall', async () => {
    const [patientId] = (await insertPatients(shared.database.pool, manyPatients(1, 'Ratio'))) as [number];
    const id = toGlobalId('Patient', patientId);
    await shared.run(PATIENT, { id });
    for (let round = 0; round < 5; round += 1) await shared.run(PATIENT, { id });
    const hits = await metric(shared, 'gateway_cache_hits_total', { kind: 'response' });
    const misses = await metric(shared, 'gateway_cache_misses_total', { kind: 'response' });
    expect(hits).toBeGreaterThanOrEqual(5);
    expect(await metric(shared, 'gateway_cache_hit_ratio', { kind: 'response' })).toBeCloseTo(hits / (hits + misses), 10);
    const all = await metric(shared, 'gateway_cache_hit_ratio', { kind: 'all' });
    expect(all).toBeGreaterThan(0);
    expect(all).toBeLessThanOrEqual(1);
  });
});
