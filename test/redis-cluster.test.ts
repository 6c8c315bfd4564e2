/**
 * Every Redis-backed feature on a real Redis Cluster (REDIS_CLUSTER_NODES): three primaries and three
 * replicas of redis-server started by the test (test/support/redis-cluster.ts), two gateway instances on one
 * database, as a deployment runs them.
 *
 * - The cache: a repeated read sends no SQL on either instance; a mutation on one is seen by the next read
 *   on the other; its keys spread over the primaries (no primary holds half), under narrow hash tags.
 * - APQ, idempotency keys, rate budgets and read-your-writes windows are shared by the instances.
 * - A failover: the primary that holds the cache's sequence, or the one that holds the read patient's tag
 *   generation, is killed (SIGKILL) while 20 reader loops and one writer run. No read fails, no read returns a version older than one acknowledged before it
 *   started, and reads go back to the cache once the replica is promoted; the test reports how long reads
 *   went to MySQL.
 *
 * - Slots move under reads and writes (`redis-cli --cluster reshard`: ASK while a slot migrates, MOVED
 *   after): every read is answered and current, and the moved entries are served from their new primary.
 * - The slot of the L1's invalidation channel moves: the feed follows it and the L1 answers again.
 *
 * SQL is counted at the driver (`sqlCount`), and a cached read is 0 statements whatever the rows.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { insertPatients, manyPatients, waitFor } from './support/index.js';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';

const exec = promisify(execFile);
const PATIENT = 'query ($id: ID!) { patient(id: $id) { name version } }';
const PAGE = 'query ($first: Int) { patients(first: $first) { nodes { id name version } } }';
const UPDATE = 'mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { name version } }';

let cluster: RedisCluster;
let a: TestGateway;
let b: TestGateway;

/** The keys matching `pattern` on each primary (SCAN on every live primary, roles as CLUSTER NODES has them now). */
async function keysByPrimary(pattern: string): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const node of (await cluster.nodes()).filter((candidate) => candidate.role === 'master')) {
    const connection = new Redis({ host: '127.0.0.1', port: node.port });
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await connection.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== '0');
      found[`127.0.0.1:${node.port}`] = keys;
    } finally {
      connection.disconnect();
    }
  }
  return found;
}

async function post(gateway: TestGateway, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const { url } = listening.get(gateway) ?? (await listen(gateway));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: (await gateway.authorizationFor('admin'))!, ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] } };
}
const listening = new Map<TestGateway, { url: string }>();
async function listen(gateway: TestGateway) {
  const address = await gateway.gateway.listen();
  listening.set(gateway, address);
  return address;
}

beforeAll(async () => {
  cluster = await startRedisCluster();
  const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting, RATE_LIMIT_COST_PER_MINUTE: '0' };
  a = await createTestGateway({ name: 'cluster', cache: true, env });
  b = await createTestGateway({ shareWith: a, cache: true, env });
});

afterAll(async () => {
  await b?.close();
  await a?.close();
  await cluster?.stop();
});

describe('the cache on a Redis Cluster', () => {
  it('serves a repeated read from the cluster on both instances, and a mutation on one is seen on the other', async () => {
    const [id] = await insertPatients(a.database.pool, [{ name: 'Cora Cluster' }]);
    const variables = { id: toGlobalId('Patient', id!) };
    expect((await a.run(PATIENT, variables)).sqlCount).toBe(1);
    const again = await a.run(PATIENT, variables);
    expect(again.sqlCount).toBe(0);
    const elsewhere = await b.run(PATIENT, variables);
    expect(elsewhere.sqlCount).toBe(0);
    expect(elsewhere.data).toEqual({ patient: { name: 'Cora Cluster', version: 1 } });

    const updated = await a.run(UPDATE, { input: { id: variables.id, expectedVersion: 1, name: 'Cora Clustered' } });
    expect(updated.errors).toBeUndefined();
    const after = await b.run(PATIENT, variables);
    expect(after.data).toEqual({ patient: { name: 'Cora Clustered', version: 2 } });
    expect(after.sqlCount).toBe(1);
    expect((await b.run(PATIENT, variables)).sqlCount).toBe(0);
  });

  // An invalidation draws its sequence, then raises its tags' generations: between the two, a read sees the new
  // sequence and the old generations. A response composed then, from a cached fragment, must not be stored as
  // current at the new sequence, or it outlives the write (found under resharding; here made deterministic by
  // pausing writes on the primary of the patient's generation with CLIENT PAUSE WRITE).
  it('never keeps a response composed while an invalidation is between its two steps: the next read sees the write', async () => {
    const controlPort = (await cluster.primaryOf(`{${a.name}:c}:seq`)).port;
    const ids = await insertPatients(a.database.pool, manyPatients(12, 'Pending'));
    let chosen: { id: number; name: string; port: number } | undefined;
    for (const [index, id] of ids.entries()) {
      const { port } = await cluster.primaryOf(`${a.name}:c:g:{Patient:${id}}`);
      if (port !== controlPort) {
        chosen = { id, name: `Pending ${index + 1}`, port };
        break;
      }
    }
    expect(chosen).toBeDefined();
    const variables = { id: toGlobalId('Patient', chosen!.id) };
    await b.run(PATIENT, variables);
    const responseFills = async (gateway: TestGateway) =>
      ((await gateway.gateway.metrics.getSingleMetric('gateway_cache_fills_total')?.get())?.values ?? []).find(({ labels }) => labels.kind === 'response')
        ?.value ?? 0;
    const generationPrimary = new Redis({ host: '127.0.0.1', port: chosen!.port });
    const controlPrimary = new Redis({ host: '127.0.0.1', port: controlPort });
    // Readers of their own: a fill whose key lands on the paused primary blocks every later command on that
    // connection, so each attempt starts clean (and they close after the pause, when their commands drain).
    const readers: TestGateway[] = [];
    let composed: { document: string; alias: string; reader: TestGateway } | undefined;
    let writing: ReturnType<TestGateway['run']> | undefined;
    try {
      await generationPrimary.call('CLIENT', 'PAUSE', '20000', 'WRITE');
      writing = a.run(UPDATE, { input: { id: variables.id, expectedVersion: 1, name: 'Pending v2' } });
      await waitFor(async () => (await controlPrimary.zcard(`{${a.name}:c}:pending`)) > 0, { what: 'the invalidation drawn, its generation not raised' });
      // A new document (its response is not cached) composed from the cached fragment; the mutation has not
      // returned, so version 1 is still a correct answer. Its response entry may land on the paused primary
      // (the fill then times out): another alias, another key.
      for (let variant = 0; variant < 8 && !composed; variant += 1) {
        const reader = await createTestGateway({ shareWith: a, cache: true, env: { REDIS_CLUSTER_NODES: cluster.nodesSetting, RATE_LIMIT_COST_PER_MINUTE: '0' } });
        readers.push(reader);
        const alias = `v${variant}`;
        const document = `query ($id: ID!) { ${alias}: patient(id: $id) { name version } }`;
        const read = await reader.run(document, variables);
        expect(read.data).toEqual({ [alias]: { name: chosen!.name, version: 1 } });
        expect(read.sqlCount).toBe(0);
        if ((await responseFills(reader)) > 0) composed = { document, alias, reader };
      }
      expect(composed).toBeDefined();
    } finally {
      await generationPrimary.call('CLIENT', 'UNPAUSE');
      generationPrimary.disconnect();
      controlPrimary.disconnect();
    }
    try {
      expect((await writing!).errors).toBeUndefined();
      const { document, alias, reader } = composed!;
      for (const gateway of [reader, b, a]) expect((await gateway.run(document, variables)).data).toEqual({ [alias]: { name: 'Pending v2', version: 2 } });
    } finally {
      await Promise.all(readers.map((reader) => reader.close()));
    }
  }, 60_000);

  it('sends the same statements for a page of 1 patient and of 100 (cold), and none when warm', async () => {
    const counts: number[] = [];
    for (const size of [1, 100]) {
      const gateway = await createTestGateway({ name: `cluster_n${size}`, cache: true, env: { REDIS_CLUSTER_NODES: cluster.nodesSetting } });
      try {
        await insertPatients(gateway.database.pool, manyPatients(size, 'Spread'));
        const cold = await gateway.run(PAGE, { first: 100 });
        expect(cold.errors).toBeUndefined();
        expect(cold.data!.patients.nodes).toHaveLength(size);
        counts.push(cold.sqlCount);
        expect((await gateway.run(PAGE, { first: 100 })).sqlCount).toBe(0);
      } finally {
        await gateway.close();
      }
    }
    expect(counts).toEqual([1, 1]);
  });

  it('spreads its keys over the primaries: none holds half, the sequence and floor share one narrow hash tag', async () => {
    const gateway = await createTestGateway({ name: 'cluster_keys', cache: true, env: { REDIS_CLUSTER_NODES: cluster.nodesSetting } });
    try {
      const ids = await insertPatients(gateway.database.pool, manyPatients(60, 'Keyed'));
      for (const id of ids) {
        const result = await gateway.run(PATIENT, { id: toGlobalId('Patient', id) });
        expect(result.errors).toBeUndefined();
      }
      await gateway.run(UPDATE, { input: { id: toGlobalId('Patient', ids[0]!), expectedVersion: 1, name: 'Keyed again' } });
      const keys = await keysByPrimary(`*${gateway.name}:*`);
      const perPrimary = Object.fromEntries(Object.entries(keys).map(([node, list]) => [node, list.length]));
      console.info(`keys per primary: ${JSON.stringify(perPrimary)}`);
      const total = Object.values(perPrimary).reduce((sum, count) => sum + count, 0);
      expect(Object.keys(perPrimary)).toHaveLength(3);
      expect(total).toBeGreaterThanOrEqual(120); // 60 rows + 60 responses, a generation or two, the sequence
      for (const count of Object.values(perPrimary)) expect(count).toBeLessThan(total / 2);
      // The only keys under one hash tag: the invalidation sequence and (after a bump) the floor.
      const control = Object.values(await keysByPrimary(`{${gateway.name}:c}:*`)).flat();
      expect(control).toEqual([`{${gateway.name}:c}:seq`]);
    } finally {
      await gateway.close();
    }
  });
});

describe('slots moving under load', () => {
  // Writes run during the migration too. Before the completed watermark (src/cache/cluster-backend.ts), a few
  // reads per full reshard returned the row as it was before the last acknowledged write: a response composed
  // from an entry read between an invalidation's two steps was stored at the new sequence.
  it('answers every read, current, while every slot of one primary moves to another (ASK, then MOVED) under writes', async () => {
    const ids = await insertPatients(a.database.pool, manyPatients(30, 'Moving'));
    const documents = ids.map((id) => ({ id: toGlobalId('Patient', id) }));
    for (const variables of documents) await a.run(PATIENT, variables);
    const target = documents[0]!;
    let acknowledged = 1;
    let running = true;
    const failures: string[] = [];
    const stale: string[] = [];
    let reads = 0;
    let writes = 0;
    const writer = (async () => {
      let version = 1;
      while (running) {
        const result = await a.run(UPDATE, { input: { id: target.id, expectedVersion: version, name: `Moving v${version + 1}` } });
        if (result.errors) failures.push(`write: ${JSON.stringify(result.errors)}`);
        else acknowledged = version = result.data!.updatePatient.version as number;
        writes += 1;
      }
    })();
    const readers = Array.from({ length: 8 }, (_, index) =>
      (async () => {
        const gateway = index % 2 === 0 ? a : b;
        while (running) {
          const variables = index < 4 ? target : documents[(reads + index) % documents.length]!;
          const floor = acknowledged;
          const result = await gateway.run(PATIENT, variables);
          reads += 1;
          if (result.errors || !result.data?.patient) failures.push(`read: ${JSON.stringify(result.errors ?? result.data)}`);
          else if (variables === target && (result.data.patient.version as number) < floor) {
            stale.push(`instance ${index % 2 === 0 ? 'a' : 'b'}: version ${result.data.patient.version} after ${floor} (${result.sqlCount} statements)`);
          }
        }
      })(),
    );

    // Move the slots of the primary that holds the target's entries to another primary, keys and all.
    await waitFor(() => writes > 20, { what: '20 writes before the slots move' });
    const writesBefore = writes;
    const source = await cluster.primaryOf(`${a.name}:c:g:{Patient:${ids[0]}}`);
    const destination = (await cluster.nodes()).find((node) => node.role === 'master' && node.port !== source.port)!;
    const id = async (port: number) => (await exec('redis-cli', ['-p', String(port), 'cluster', 'myid'])).stdout.trim();
    // Every slot the source serves (`a-b` ranges on its own CLUSTER NODES line), so the target's keys move too.
    const own = (await exec('redis-cli', ['-p', String(source.port), 'cluster', 'nodes'])).stdout.split('\n').find((line) => line.includes('myself'))!;
    const slots = own
      .split(' ')
      .slice(8)
      .map((range) => range.split('-').map(Number))
      .reduce((sum, [from, to]) => sum + ((to ?? from!) - from! + 1), 0);
    expect(slots).toBeGreaterThan(3000);
    await exec('redis-cli', [
      '--cluster', 'reshard', `127.0.0.1:${source.port}`,
      '--cluster-from', await id(source.port), '--cluster-to', await id(destination.port),
      '--cluster-slots', String(slots), '--cluster-yes',
    ], { maxBuffer: 64 * 1024 * 1024 });
    await cluster.waitHealthy();
    expect((await cluster.primaryOf(`${a.name}:c:g:{Patient:${ids[0]}}`)).port).toBe(destination.port);
    const writesDuring = writes - writesBefore;
    expect(writesDuring).toBeGreaterThan(20);
    const [readsAfterMove, writesAfterMove] = [reads, writes];
    await waitFor(() => reads > readsAfterMove + 200 && writes > writesAfterMove + 20, { what: '200 reads and 20 writes after the slots moved' });
    running = false;
    await Promise.all([writer, ...readers]);
    console.info(`resharding: ${reads} reads, ${writes} writes (${writesDuring} while the slots moved), ${failures.length} failed, ${stale.length} stale`);
    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    // The moved entries are read from their new primary: a repeated read of an unchanged patient sends no SQL.
    const unchanged = documents[documents.length - 1]!;
    await a.run(PATIENT, unchanged);
    expect((await b.run(PATIENT, unchanged)).sqlCount).toBe(0);
  }, 120_000);
});

describe('the invalidation feed when its slot moves', () => {
  /** Hits the instance's in-process tier (L1) answered without Redis, all kinds. */
  const localHits = async (gateway: TestGateway) =>
    ((await gateway.gateway.metrics.getSingleMetric('gateway_cache_l1_hits_total')?.get())?.values ?? []).reduce((sum, { value }) => sum + value, 0);

  // The old owner of a moved slot unsubscribes its shard-channel subscribers by itself and keeps the
  // connection open: unnoticed, the L1 heard no invalidation again and never answered another read.
  it('follows the channel to its new primary: the L1 answers again, and never with a row older than the last write', async () => {
    const [id] = await insertPatients(a.database.pool, [{ name: 'Felix Feed' }]);
    const variables = { id: toGlobalId('Patient', id!) };
    await a.run(PATIENT, variables);
    const before = await localHits(b);
    await waitFor(async () => (await b.run(PATIENT, variables)).sqlCount === 0 && (await localHits(b)) > before, {
      what: "instance b's L1 to answer a repeated read",
    });

    const control = `{${a.name}:c}:seq`;
    const owner = await cluster.primaryOf(control);
    const destination = (await cluster.nodes()).find((node) => node.role === 'master' && node.port !== owner.port)!;
    await cluster.moveSlotOf(control, destination.port);
    expect((await cluster.primaryOf(control)).port).toBe(destination.port);

    const updated = await a.run(UPDATE, { input: { id: variables.id, expectedVersion: 1, name: 'Felix Followed' } });
    expect(updated.errors).toBeUndefined();
    const afterWrite = await localHits(b);
    await waitFor(
      async () => {
        const read = await b.run(PATIENT, variables);
        expect(read.data).toEqual({ patient: { name: 'Felix Followed', version: 2 } });
        return read.sqlCount === 0 && (await localHits(b)) > afterWrite;
      },
      { what: "instance b's L1 to answer again after the channel's slot moved" },
    );
    // And it hears the next invalidation: a write on a is seen at once on b.
    await a.run(UPDATE, { input: { id: variables.id, expectedVersion: 2, name: 'Felix Final' } });
    expect((await b.run(PATIENT, variables)).data).toEqual({ patient: { name: 'Felix Final', version: 3 } });
  }, 60_000);
});

describe('the other shared features on a Redis Cluster', () => {
  it('APQ: a document registered on one instance runs by its hash on the other', async () => {
    const query = '{ patients(first: 1) { nodes { id } } }';
    const sha256Hash = createHash('sha256').update(query).digest('hex');
    const extensions = { persistedQuery: { version: 1, sha256Hash } };
    expect((await post(b, { extensions })).body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(a, { query, extensions })).body.errors).toBeUndefined();
    const byHash = await post(b, { extensions });
    expect(byHash.status).toBe(200);
    expect(byHash.body.errors).toBeUndefined();
  });

  it('idempotency keys: a retry on the other instance replays the first response without running it', async () => {
    const create = 'mutation { createPatient(input: { name: "Ida Idem", birthDate: "1990-01-01" }) { id } }';
    const first = await a.run(create, {}, { headers: { 'idempotency-key': 'cluster-k1' } });
    expect(first.errors).toBeUndefined();
    const retry = await b.run(create, {}, { headers: { 'idempotency-key': 'cluster-k1' } });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.sqlCount).toBe(0);
    expect(retry.data).toEqual(first.data);
  });

  it('rate budgets: what one instance drew, the other cannot draw again', async () => {
    const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting, RATE_LIMIT_COST_PER_MINUTE: '10' };
    const c = await createTestGateway({ name: 'cluster_rate', env });
    const d = await createTestGateway({ shareWith: c, env });
    try {
      const query = '{ patients(first: 5) { nodes { id } } }'; // cost 6: one draw fits in 10, two do not
      expect((await c.run(query, {}, { as: 'clinician' })).errors).toBeUndefined();
      const refused = await d.run(query, {}, { as: 'clinician' });
      expect(refused.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(refused.sqlCount).toBe(0);
    } finally {
      await d.close();
      await c.close();
    }
  });

  it('read-your-writes windows: a write on one instance keeps that principal on the primary on the other', async () => {
    const replica = await createTestGateway({ name: 'cluster_ryw_replica' });
    const env = { REDIS_CLUSTER_NODES: cluster.nodesSetting };
    const c = await createTestGateway({ name: 'cluster_ryw', env, replicaUrls: [replica.databaseUrl] });
    const d = await createTestGateway({ shareWith: c, env });
    try {
      // The "replica" is a database of its own: a read it answers does not see rows written to the primary.
      const written = await c.run('mutation { createPatient(input: { name: "Rya Ryw", birthDate: "1990-01-01" }) { id } }');
      expect(written.errors).toBeUndefined();
      const read = await d.run('{ patients(first: 5) { nodes { name } } }');
      expect(read.data!.patients.nodes).toEqual([{ name: 'Rya Ryw' }]);
      const windows = Object.values(await keysByPrimary(`${c.name}:ryw:*`)).flat();
      expect(windows, JSON.stringify(windows)).toHaveLength(1);
    } finally {
      await d.close();
      await c.close();
      await replica.close();
    }
  });
});

const VICTIMS = [
  ['the invalidation sequence', (name: string) => `{${name}:c}:seq`],
  ['the patient\'s tag generation', (name: string, patientId: number) => `${name}:c:g:{Patient:${patientId}}`],
] as const;

describe.each(VICTIMS)('a failover under load: the primary of %s is killed', (_victim, victimKeyOf) => {
  // A cluster of its own: a failover leaves a primary without a replica, which the next kill could not survive.
  let own: RedisCluster;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    own = await startRedisCluster();
    const env = { REDIS_CLUSTER_NODES: own.nodesSetting, RATE_LIMIT_COST_PER_MINUTE: '0' };
    a = await createTestGateway({ name: 'cluster_failover', cache: true, env });
    b = await createTestGateway({ shareWith: a, cache: true, env });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await own?.stop();
  });

  it('during 20 reader loops on two instances and one writer: no failed read, no stale read', async () => {
    const [id] = await insertPatients(a.database.pool, [{ name: 'Fay Failover' }]);
    const variables = { id: toGlobalId('Patient', id!) };
    await a.run(PATIENT, variables);
    let acknowledged = 1; // the newest version whose mutation has returned
    let running = true;
    const failures: string[] = [];
    const stale: string[] = [];
    let reads = 0;
    let writes = 0;
    const timeline: [number, number][] = [];
    const mysqlReads: number[] = [];
    const startedAt = performance.now();

    const writer = (async () => {
      let version = 1;
      while (running) {
        const result = await a.run(UPDATE, { input: { id: variables.id, expectedVersion: version, name: `Fay v${version + 1}` } });
        if (result.errors) {
          failures.push(`write: ${JSON.stringify(result.errors)}`);
          continue;
        }
        version = result.data!.updatePatient.version as number;
        acknowledged = version;
        writes += 1;
      }
    })();
    const readers = Array.from({ length: 20 }, (_, index) =>
      (async () => {
        const gateway = index % 2 === 0 ? a : b;
        while (running) {
          const floor = acknowledged;
          const result = await gateway.run(PATIENT, variables);
          reads += 1;
          timeline.push([Math.floor((performance.now() - startedAt) / 250), result.sqlCount]);
          if (result.errors || !result.data?.patient) {
            failures.push(`read: ${JSON.stringify(result.errors ?? result.data)}`);
            continue;
          }
          const seen = result.data.patient.version as number;
          if (seen < floor) stale.push(`read version ${seen} after version ${floor} was acknowledged`);
          if (result.sqlCount > 0) mysqlReads.push(performance.now() - startedAt);
        }
      })(),
    );

    // Load first, then the kill, then load through the failover until reads are served by the cluster again.
    await waitFor(() => reads > 200 && writes > 5, { what: '200 reads and 5 writes before the kill' });
    const victim = await own.primaryOf(victimKeyOf(a.name, id!));
    const killedAt = performance.now() - startedAt;
    await own.kill(victim.port);
    await own.waitHealthy(30_000);
    const healthyAt = performance.now() - startedAt;
    const [readsAtHealthy, writesAtHealthy] = [reads, writes];
    await waitFor(() => reads > readsAtHealthy + 400 && writes > writesAtHealthy + 5, { what: '400 reads and 5 writes after the failover', timeoutMs: 30_000 });
    running = false;
    await Promise.all([writer, ...readers]);

    const duringFailover = mysqlReads.filter((at) => at >= killedAt);
    const lastMysqlRead = duringFailover.length > 0 ? Math.max(...duringFailover) : killedAt;
    console.info(
      `failover (${_victim}): ${reads} reads, ${failures.length} failed, ${stale.length} stale; primary killed at ${Math.round(killedAt)} ms, ` +
        `cluster healthy ${Math.round(healthyAt - killedAt)} ms later; reads went to MySQL for ${Math.round(lastMysqlRead - killedAt)} ms ` +
        `(${duringFailover.length} reads with SQL after the kill, writes included in the invalidations they caused); final version ${acknowledged}`,
    );
    // Reads completed per 250 ms, and how many of them went to MySQL: `ms:reads/with SQL`.
    const buckets = new Map<number, { reads: number; withSql: number }>();
    for (const [bucket, sql] of timeline) {
      const entry = buckets.get(bucket) ?? { reads: 0, withSql: 0 };
      entry.reads += 1;
      if (sql > 0) entry.withSql += 1;
      buckets.set(bucket, entry);
    }
    console.info(`failover timeline: ${[...buckets].map(([bucket, { reads: n, withSql }]) => `${bucket * 250}:${n}/${withSql}`).join(' ')}`);
    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    expect(acknowledged).toBeGreaterThan(11);
    // After the failover, the cache serves again: a read of an unchanged page sends no SQL.
    await waitFor(async () => (await b.run(PAGE, { first: 1 })).sqlCount === 0 && (await b.run(PAGE, { first: 1 })).sqlCount === 0, {
      what: 'reads served from the cluster again',
      timeoutMs: 15_000,
    });
  }, 120_000);
});
