/**
 * A real Redis Cluster for the tests: redis-server child processes (three
 * primaries and a replica each by default) on free ports of 127.0.0.1, joined
 * by `redis-cli --cluster create`, each with its own temp dir. The tests own
 * every pid, so they can SIGKILL a primary, watch its replica take over and
 * check that nothing outlives them; every process is killed (and its dir
 * removed) when the test process exits, even after a failed test or an
 * uncaught error (not when the worker itself is killed by a signal).
 *
 * Health is read from CLUSTER INFO, CLUSTER NODES and INFO replication, never
 * CLUSTER SLOTS alone: Redis 7 leaves a replica out of CLUSTER SLOTS until its
 * replication offset is non-zero and gossiped, so on a fresh cluster with no
 * writes the replicas are there, in sync, and missing from it.
 *
 * `cluster-require-full-coverage no`: with a primary gone, only its slots fail
 * (CLUSTERDOWN) until its replica is promoted; every other slot keeps
 * answering, as the gateway expects of a production cluster (it falls back to
 * MySQL for the failing keys only, instead of for all of them).
 *
 * Example:
 *   const cluster = await startRedisCluster();
 *   const gw = await createTestGateway({ env: { REDIS_CLUSTER_NODES: cluster.nodesSetting } });
 *   const primary = await cluster.primaryOf('some-key');
 *   await cluster.kill(primary.port);   // SIGKILL: its replica is promoted after cluster-node-timeout
 *   await cluster.waitHealthy();
 *   await cluster.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { tracked } from './redis-server.js';
import { waitFor } from './wait.js';

const exec = promisify(execFile);

const HOST = '127.0.0.1';
const SLOTS = 16_384;
/** Redis' cluster bus listens on the client port + 10000: both must be free. */
const BUS_OFFSET = 10_000;

/** Every redis-server and temp dir made here, so that none outlives the test process. */
const children = new Set<ChildProcess>();
const directories = new Set<string>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

export interface RedisClusterNode {
  readonly port: number;
  readonly role: 'master' | 'slave';
  readonly pid: number;
  readonly dir: string;
}

export interface RedisCluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,…" for REDIS_CLUSTER_NODES (all the nodes started, live or not). */
  readonly nodesSetting: string;
  readonly ports: readonly number[];
  /** Current roles of the live nodes (a killed one is left out), read from CLUSTER NODES of a live node. */
  nodes(): Promise<RedisClusterNode[]>;
  /**
   * The primary serving `key`'s slot (CLUSTER KEYSLOT + CLUSTER SLOTS), as the first live node sees it:
   * right after a kill that may still be the dead one, so wait with `waitHealthy` first.
   */
  primaryOf(key: string): Promise<RedisClusterNode>;
  /** SIGKILL one node's process; resolves when the process has exited. */
  kill(port: number): Promise<void>;
  /**
   * Waits (polling, with a named deadline error, default 20 s) until CLUSTER INFO says cluster_state:ok on
   * every live node, every slot is served by a live primary in every live node's CLUSTER NODES (all
   * agreeing), and every live replica's replication link is up — e.g. after a failover.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /**
   * Moves the slot of `key`, with its keys, to the primary on `destinationPort`, as `redis-cli --cluster
   * reshard` moves each slot: IMPORTING on the destination, MIGRATING on the source, MIGRATE of its keys,
   * then the new owner told to every primary. Resolves when the cluster is healthy again.
   */
  moveSlotOf(key: string, destinationPort: number): Promise<void>;
  /** Number of keys per live primary (DBSIZE), by "127.0.0.1:port", for key-distribution checks. */
  keysPerPrimary(): Promise<Record<string, number>>;
  /** Stops every process and removes the temp dirs. */
  stop(): Promise<void>;
}

export interface RedisClusterOptions {
  /** Default 3 (redis-cli refuses fewer). */
  readonly primaries?: number;
  /** Default 1. */
  readonly replicasPerPrimary?: number;
  /** cluster-node-timeout, default 1000 ms: how long a primary may be silent before its replica takes over. */
  readonly nodeTimeoutMs?: number;
}

/** One line of CLUSTER NODES. */
interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  /** The primary's id for a replica, '-' for a primary. */
  readonly primaryId: string;
  readonly linkState: string;
  /** [first, last] slot ranges (importing/migrating entries left out). */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [id, address, flags, primaryId, , , , linkState, ...slots] = line.split(' ');
      // "127.0.0.1:7000@17000[,hostname]"
      const port = Number(/:(\d+)@/.exec(address ?? '')?.[1]);
      return {
        id: id!,
        port,
        flags: (flags ?? '').split(','),
        primaryId: primaryId!,
        linkState: linkState!,
        slots: slots
          .filter((slot) => !slot.startsWith('['))
          .map((slot) => {
            const [first, last = first] = slot.split('-').map(Number);
            return [first!, last!] as const;
          }),
      };
    });
}

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const separator = line.indexOf(':');
    if (separator > 0) fields[line.slice(0, separator)] = line.slice(separator + 1).trim();
  }
  return fields;
}

/** Resolves when something on 127.0.0.1 could listen on `port`, keeping it bound until `release`. */
function hold(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen(port, HOST, () => resolve(server));
  });
}

const close = (server: net.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * `count` ports p whose p + 10000 is free too. Not from the kernel's ephemeral range (32768+ here), where
 * p + 10000 often passes 65535 and outgoing connections keep taking ports; every pair stays bound until all
 * are found so that no port of one pair is the bus port of another.
 */
async function freePortPairs(count: number): Promise<number[]> {
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt > 200) throw new Error(`no ${count} free port pairs (p and p + ${BUS_OFFSET}) found on ${HOST}`);
      const port = 12_000 + Math.floor(Math.random() * 18_000);
      const client = await hold(port);
      if (!client) continue;
      const bus = await hold(port + BUS_OFFSET);
      if (!bus) {
        await close(client);
        continue;
      }
      held.push(client, bus);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}

/** A redis-server of the cluster, and a connection to it for the launcher's own queries. */
class ClusterProcess {
  private client: Redis | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly child: ChildProcess,
  ) {
    this.exited = tracked(child, children);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /**
   * One command. The connection gives up at once on a dead node (no reconnection, no retry) and a command
   * on a stuck one fails after a second, so a poll never hangs on the node it is waiting for.
   */
  async command(...args: string[]): Promise<unknown> {
    if (!this.client || this.client.status === 'end') {
      const client = new Redis({
        host: HOST,
        port: this.port,
        lazyConnect: true,
        connectTimeout: 1000,
        commandTimeout: 1000,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      // A refused or dropped connection fails the pending command; the event itself carries nothing more.
      client.on('error', () => {});
      this.client = client;
    }
    return this.client.call(args[0]!, ...args.slice(1));
  }

  async text(...args: string[]): Promise<string> {
    return String(await this.command(...args));
  }

  disconnect(): void {
    this.client?.disconnect();
    this.client = null;
  }

  async kill(): Promise<void> {
    this.disconnect();
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The end of its log, for an error that should say why a node never came up. */
  async logTail(): Promise<string> {
    const log = await readFile(path.join(this.dir, 'redis.log'), 'utf8').catch(() => '');
    return log.split('\n').slice(-10).join('\n');
  }
}

async function launch(port: number, nodeTimeoutMs: number): Promise<ClusterProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), `redis-cluster-${port}-`));
  directories.add(dir);
  const settings: Record<string, string> = {
    port: String(port),
    bind: HOST,
    dir,
    logfile: 'redis.log',
    // In the foreground, so that the pid spawn returns is the server's own.
    daemonize: 'no',
    'cluster-enabled': 'yes',
    'cluster-config-file': 'nodes.conf',
    'cluster-node-timeout': String(nodeTimeoutMs),
    'cluster-require-full-coverage': 'no',
    appendonly: 'no',
    save: '',
    // A replica's first full sync otherwise waits 5 s for more replicas to share the diskless transfer.
    'repl-diskless-sync-delay': '0',
  };
  const child = spawn('redis-server', Object.entries(settings).flatMap(([name, value]) => [`--${name}`, value]), { stdio: 'ignore' });
  const node = new ClusterProcess(port, dir, child);
  try {
    await waitFor(
      async () => {
        // A port taken between the check and the start ends the process: say so instead of polling on.
        if (!node.running) throw new Error(`redis-server on port ${port} exited at start:\n${await node.logTail()}`);
        return (await node.command('PING').catch(() => null)) === 'PONG';
      },
      { what: `the cluster node on port ${port} to answer`, intervalMs: 25 },
    );
  } catch (error) {
    await node.kill();
    throw error;
  }
  return node;
}

/** Starts the nodes, each on another pair of ports when its first pair was taken meanwhile by someone else. */
async function launchAll(count: number, nodeTimeoutMs: number, started: ClusterProcess[]): Promise<void> {
  const ports = await freePortPairs(count);
  // allSettled: a failed node must not leave the others starting unseen, outside `started`.
  const results = await Promise.allSettled(
    ports.map(async (port) => {
      for (let attempt = 1; ; attempt++) {
        try {
          started.push(await launch(port, nodeTimeoutMs));
          return;
        } catch (error) {
          if (attempt === 3) throw error;
          port = (await freePortPairs(1))[0]!;
        }
      }
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw failure.reason;
  // Keep the order stable for the caller: the ports as they are listed.
  started.sort((a, b) => a.port - b.port);
}

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const primaries = options.primaries ?? 3;
  const replicasPerPrimary = options.replicasPerPrimary ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const processes: ClusterProcess[] = [];
  const byPort = (port: number) => {
    const node = processes.find((candidate) => candidate.port === port);
    if (!node) throw new Error(`port ${port} is not a node of this cluster (${processes.map((p) => p.port).join(', ')})`);
    return node;
  };
  const live = () => processes.filter((node) => node.running);
  /** The first live node that answers: the others may be dead, or killed while asked. */
  const ask = async (...args: string[]): Promise<unknown> => {
    let lastError: unknown = new Error('no live node left in the cluster');
    for (const node of live()) {
      try {
        return await node.command(...args);
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  };

  const nodes = async (): Promise<RedisClusterNode[]> =>
    parseClusterNodes(String(await ask('CLUSTER', 'NODES')))
      .filter((line) => processes.some((node) => node.port === line.port && node.running))
      .map((line): RedisClusterNode => {
        const node = byPort(line.port);
        return { port: line.port, role: line.flags.includes('master') ? 'master' : 'slave', pid: node.pid, dir: node.dir };
      })
      .sort((a, b) => a.port - b.port);

  /**
   * Why the cluster is not yet healthy, or null when it is. `withReplicas` (at start) also asks for each
   * primary's full set of replicas; after a failover the promoted replica has none, and that is healthy.
   */
  const unhealthy = async (withReplicas: boolean): Promise<string | null> => {
    const alive = live();
    if (alive.length === 0) return 'no live node';
    const alivePorts = new Set(alive.map((node) => node.port));
    let agreed: string | null = null;
    for (const node of alive) {
      let info: Record<string, string>;
      let lines: NodeLine[];
      try {
        info = parseInfo(await node.text('CLUSTER', 'INFO'));
        lines = parseClusterNodes(await node.text('CLUSTER', 'NODES'));
      } catch (error) {
        return `node ${node.port} does not answer: ${(error as Error).message}`;
      }
      if (info.cluster_state !== 'ok') return `node ${node.port} says cluster_state:${info.cluster_state}`;
      if (info.cluster_slots_ok !== String(SLOTS)) return `node ${node.port} says cluster_slots_ok:${info.cluster_slots_ok}`;
      const owners: string[] = [];
      let covered = 0;
      for (const line of lines) {
        if (!line.flags.includes('master') || line.slots.length === 0) continue;
        if (!alivePorts.has(line.port) || line.flags.includes('fail') || line.flags.includes('fail?')) {
          return `node ${node.port} has slots served by ${line.port}, which is down (${line.flags.join(',')})`;
        }
        for (const [first, last] of line.slots) covered += last - first + 1;
        owners.push(`${line.port}:${line.slots.map((range) => range.join('-')).join(' ')}`);
      }
      if (covered !== SLOTS) return `node ${node.port} sees ${covered} of ${SLOTS} slots assigned`;
      const view = owners.sort().join(' | ');
      if (agreed !== null && view !== agreed) return `nodes disagree on the slots: ${agreed} vs ${view} (${node.port})`;
      agreed = view;
      if (withReplicas) {
        for (const primary of lines.filter((line) => line.flags.includes('master') && line.slots.length > 0)) {
          const attached = lines.filter((line) => line.primaryId === primary.id && line.linkState === 'connected');
          if (attached.length < replicasPerPrimary) {
            return `node ${node.port} sees ${attached.length} connected replicas of ${primary.port}`;
          }
        }
      }
      // WAIT and a failover both need the data flowing: the cluster bus being up is not enough.
      const self = lines.find((line) => line.flags.includes('myself'));
      if (self?.flags.includes('slave')) {
        const replication = parseInfo(await node.text('INFO', 'replication').catch(() => ''));
        if (replication.master_link_status !== 'up') return `replica ${node.port} has master_link_status:${replication.master_link_status}`;
        if (!alivePorts.has(Number(replication.master_port))) return `replica ${node.port} follows ${replication.master_port}, which is down`;
      }
    }
    return null;
  };

  const waitHealthy = async (timeoutMs = 20_000, withReplicas = false): Promise<void> => {
    let reason: string | null = null;
    try {
      await waitFor(
        async () => {
          reason = await unhealthy(withReplicas);
          return reason === null;
        },
        { what: 'the Redis Cluster to be healthy', timeoutMs, intervalMs: 50 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} Last: ${reason}`, { cause: error });
    }
  };

  const stop = async (): Promise<void> => {
    await Promise.all(processes.map((node) => node.kill()));
    await Promise.all(
      processes.map(async (node) => {
        await rm(node.dir, { recursive: true, force: true });
        directories.delete(node.dir);
      }),
    );
  };

  try {
    await launchAll(primaries * (1 + replicasPerPrimary), nodeTimeoutMs, processes);
    await exec(
      'redis-cli',
      ['--cluster', 'create', ...processes.map((node) => `${HOST}:${node.port}`), '--cluster-replicas', String(replicasPerPrimary), '--cluster-yes'],
      { timeout: 60_000 },
    );
    await waitHealthy(30_000, true);
  } catch (error) {
    await stop();
    throw error;
  }

  const primaryOf = async (key: string): Promise<RedisClusterNode> => {
    const slot = Number(await ask('CLUSTER', 'KEYSLOT', key));
    // [first, last, [ip, port, id] of the primary, …its replicas]
    const ranges = (await ask('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, string]]>;
    const range = ranges.find(([first, last]) => first <= slot && slot <= last);
    if (!range) throw new Error(`no node serves slot ${slot} (key "${key}")`);
    const node = byPort(range[2][1]);
    return { port: node.port, role: 'master', pid: node.pid, dir: node.dir };
  };

  const ports = processes.map((node) => node.port);
  return {
    nodesSetting: ports.map((port) => `${HOST}:${port}`).join(','),
    ports,
    nodes,
    primaryOf,
    async kill(port) {
      await byPort(port).kill();
    },
    waitHealthy: (timeoutMs) => waitHealthy(timeoutMs),
    async moveSlotOf(key, destinationPort) {
      const slot = String(await ask('CLUSTER', 'KEYSLOT', key));
      const source = byPort((await primaryOf(key)).port);
      const destination = byPort(destinationPort);
      if (source === destination) throw new Error(`slot ${slot} of "${key}" is already on ${destinationPort}`);
      const id = async (node: ClusterProcess) => String(await node.command('CLUSTER', 'MYID'));
      const [sourceId, destinationId] = [await id(source), await id(destination)];
      await destination.command('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await source.command('CLUSTER', 'SETSLOT', slot, 'MIGRATING', destinationId);
      for (;;) {
        const keys = (await source.command('CLUSTER', 'GETKEYSINSLOT', slot, '100')) as string[];
        if (keys.length === 0) break;
        await source.command('MIGRATE', HOST, String(destination.port), '', '0', '5000', 'KEYS', ...keys);
      }
      await destination.command('CLUSTER', 'SETSLOT', slot, 'NODE', destinationId);
      await source.command('CLUSTER', 'SETSLOT', slot, 'NODE', destinationId);
      // The other nodes learn it by gossip; told at once where they can take it (a primary emptied by an
      // earlier move may have just become a replica, which refuses SETSLOT).
      await Promise.all(
        live()
          .filter((other) => other !== source && other !== destination)
          .map((other) => other.command('CLUSTER', 'SETSLOT', slot, 'NODE', destinationId).catch(() => undefined)),
      );
      await waitHealthy();
    },
    async keysPerPrimary() {
      const counts: Record<string, number> = {};
      for (const node of (await nodes()).filter((candidate) => candidate.role === 'master')) {
        counts[`${HOST}:${node.port}`] = Number(await byPort(node.port).command('DBSIZE'));
      }
      return counts;
    },
    stop,
  };
}
