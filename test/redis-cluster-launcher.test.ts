/**
 * The Redis Cluster launcher (test/support/redis-cluster.ts) against the real
 * thing: six redis-server processes, three primaries with a replica each, all
 * 16384 slots served; an ioredis Cluster client reads and writes across the
 * shards; `primaryOf` and `keysPerPrimary` agree with what the nodes hold; a
 * SIGKILLed primary's replica takes over with the replicated data; `stop`
 * leaves no process and no temp dir behind.
 */
import { existsSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type RedisCluster } from './support/redis-cluster.js';

const SLOTS = 16_384;

/** Whether a process with this pid still exists (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** A plain connection to one node, closed after `use`: the launcher's answers are checked against it. */
async function onNode<T>(port: number, use: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    return await use(node);
  } finally {
    node.disconnect();
  }
}

type SlotRange = [number, number, [string, number, string], ...Array<[string, number, string]>];

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  /** Every key written through `client`, with its value: keysPerPrimary must count them all. */
  const written = new Map<string, string>();

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }]);
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('starts three primaries with a connected replica each, every slot served', async () => {
    const nodes = await cluster.nodes();
    expect(nodes.map((node) => node.port)).toEqual([...cluster.ports]);
    expect(cluster.nodesSetting).toBe(cluster.ports.map((port) => `127.0.0.1:${port}`).join(','));
    expect(nodes.filter((node) => node.role === 'master')).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'slave')).toHaveLength(3);
    expect(new Set(nodes.map((node) => node.pid)).size).toBe(6);
    expect(nodes.every((node) => alive(node.pid) && existsSync(node.dir))).toBe(true);

    const primaries = new Set(nodes.filter((node) => node.role === 'master').map((node) => node.port));
    for (const port of cluster.ports) {
      const { ranges, info, lines } = await onNode(port, async (node) => ({
        ranges: (await node.call('CLUSTER', 'SLOTS')) as SlotRange[],
        info: String(await node.call('CLUSTER', 'INFO')),
        lines: String(await node.call('CLUSTER', 'NODES')).trim().split('\n').map((line) => line.split(' ')),
      }));
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain(`cluster_slots_ok:${SLOTS}`);
      // Every node sees every slot served by one of the primaries...
      expect(ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0)).toBe(SLOTS);
      expect(new Set(ranges.map(([, , [, primaryPort]]) => primaryPort))).toEqual(primaries);
      // ...and each primary with one connected replica (CLUSTER NODES: id, address, flags, primary id, …, link state).
      for (const [id, address, flags] of lines.filter(([, , flags]) => flags!.includes('master'))) {
        const behind = lines.filter((line) => line[3] === id);
        expect({ address, flags: flags!.replace('myself,', ''), replicas: behind.map((line) => [line[2]!.replace('myself,', ''), line[7]]) }).toEqual({
          address,
          flags: 'master',
          replicas: [['slave', 'connected']],
        });
      }
    }
    for (const node of nodes.filter((candidate) => candidate.role === 'slave')) {
      const replication = await onNode(node.port, async (connection) => connection.info('replication'));
      expect(replication).toContain('master_link_status:up');
    }
  });

  it('serves SET and GET on keys of every shard through an ioredis Cluster client', async () => {
    const keys = Array.from({ length: 30 }, (_, index) => `launcher:key:${index}`);
    for (const key of keys) {
      await client.set(key, `value of ${key}`);
      written.set(key, `value of ${key}`);
    }
    for (const key of keys) expect(await client.get(key)).toBe(`value of ${key}`);
    const slots = await Promise.all(keys.map(async (key) => Number(await client.call('CLUSTER', 'KEYSLOT', key))));
    expect(new Set(slots).size).toBeGreaterThan(10);
    const primaries = await Promise.all(keys.map(async (key) => (await cluster.primaryOf(key)).port));
    expect(new Set(primaries).size).toBe(3);
  });

  it('primaryOf names the primary that holds the key, and no other primary has it', async () => {
    const primaries = (await cluster.nodes()).filter((node) => node.role === 'master');
    for (const key of ['launcher:key:0', 'launcher:key:1', 'launcher:key:2', 'launcher:key:3']) {
      const owner = await cluster.primaryOf(key);
      expect(owner.role).toBe('master');
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      for (const primary of primaries) {
        // The owner has it; every other primary sends the client to the owner.
        const exists = await onNode(primary.port, async (node) => node.call('EXISTS', key).catch((error: Error) => error.message));
        expect({ key, port: primary.port, exists }).toEqual({
          key,
          port: primary.port,
          exists: primary.port === owner.port ? 1 : `MOVED ${slot} 127.0.0.1:${owner.port}`,
        });
      }
    }
  });

  it('keysPerPrimary counts the keys on each primary', async () => {
    const expected: Record<string, number> = {};
    for (const node of (await cluster.nodes()).filter((candidate) => candidate.role === 'master')) expected[`127.0.0.1:${node.port}`] = 0;
    for (const key of written.keys()) expected[`127.0.0.1:${(await cluster.primaryOf(key)).port}`]! += 1;
    expect(await cluster.keysPerPrimary()).toEqual(expected);
    expect(Object.values(expected).reduce((sum, count) => sum + count, 0)).toBe(written.size);
  });

  it('after a primary is killed its replica takes over the slot, with the replicated key', async () => {
    const key = 'launcher:failover';
    const primary = await cluster.primaryOf(key);
    const replicaPort = await onNode(primary.port, async (node) => {
      // WAIT counts the replicas that acknowledged this connection's writes: SET and WAIT on one connection.
      await node.set(key, 'survives');
      expect(await node.call('WAIT', '1', '1000')).toBe(1);
      // From the primary's own replication state: CLUSTER SLOTS leaves out a replica until its offset is gossiped.
      return Number(/^slave0:.*port=(\d+)/m.exec(await node.info('replication'))?.[1]);
    });
    expect(cluster.ports).toContain(replicaPort);
    written.set(key, 'survives');

    const started = Date.now();
    await cluster.kill(primary.port);
    expect(alive(primary.pid)).toBe(false);
    await cluster.waitHealthy();
    const failoverMs = Date.now() - started;

    const promoted = await cluster.primaryOf(key);
    expect(promoted.port).toBe(replicaPort);
    const nodes = await cluster.nodes();
    expect(nodes.map((node) => node.port)).not.toContain(primary.port);
    expect(nodes.filter((node) => node.role === 'master').map((node) => node.port)).toContain(replicaPort);
    expect(nodes.filter((node) => node.role === 'master')).toHaveLength(3);
    expect(nodes.filter((node) => node.role === 'slave')).toHaveLength(2);
    expect(await onNode(replicaPort, async (node) => node.call('GET', key))).toBe('survives');
    // The client finds the new primary by itself (a refused connection makes it reload the slots).
    expect(await client.get(key)).toBe('survives');
    for (const [writtenKey, value] of written) expect(await client.get(writtenKey)).toBe(value);
    // The promoted replica now counts its primary's keys; the dead primary is no longer listed.
    const counts = await cluster.keysPerPrimary();
    expect(Object.keys(counts)).not.toContain(`127.0.0.1:${primary.port}`);
    expect(Object.values(counts).reduce((sum, count) => sum + count, 0)).toBe(written.size);
    expect(failoverMs).toBeLessThan(15_000);
  });

  it('stop ends every process and removes the temp dirs', async () => {
    const nodes = await cluster.nodes();
    expect(nodes).toHaveLength(5);
    client.disconnect();
    await cluster.stop();
    for (const node of nodes) expect({ port: node.port, alive: alive(node.pid), dir: existsSync(node.dir) }).toEqual({ port: node.port, alive: false, dir: false });
    await expect(cluster.nodes()).rejects.toThrow(/no live node/);
  });
});
