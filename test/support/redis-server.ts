/**
 * Private redis-server processes for the tests that stop, hang or count the
 * real thing (cache faults, replicas, the cache's command budget, Redis
 * Cluster): each on a free port of 127.0.0.1, never the shared 6379, killed
 * when the test process exits even if the worker dies.
 *
 * Example:
 *   const redis = await PrivateRedis.start();
 *   const gw = await createTestGateway({ env: { REDIS_URL: redis.url } });
 *   redis.pause();   // SIGSTOP: nothing answers, the data survives
 *   redis.resume();
 *   await redis.dispose();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './http.js';
import { waitFor } from './wait.js';

const exec = promisify(execFile);

/** Every redis-server started here, so that none outlives the test process. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * Registers `child` in `registry` (so an exit handler can kill what is left) until it exits; resolves then.
 * Shared with the cluster launcher (redis-cluster.ts), whose nodes are tracked the same way.
 */
export function tracked(child: ChildProcess, registry: Set<ChildProcess>): Promise<void> {
  registry.add(child);
  return new Promise((resolve) => {
    const gone = () => {
      registry.delete(child);
      resolve();
    };
    child.once('exit', gone);
    child.once('error', gone);
  });
}

/** A redis-server child process on its own port; restartable (empty) on the same port. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly directory: string,
    private readonly extraArguments: readonly string[],
  ) {}

  /** Starts one; `extraArguments` go to redis-server as they are (e.g. `['--cluster-enabled', 'yes']`). */
  static async start(extraArguments: readonly string[] = []): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), await mkdtemp(path.join(tmpdir(), 'private-redis-')), extraArguments);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  private get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error('this redis-server is already running');
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.directory, ...this.extraArguments],
      { stdio: 'ignore' },
    );
    this.child = child;
    this.exited = tracked(child, children);
    await waitFor(() => this.answers(), { what: `the private Redis on port ${this.port} to answer`, intervalMs: 25 });
  }

  /** redis-cli against this server (its timeout ends the client, never the server). */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await exec('redis-cli', ['-p', String(this.port), ...args], { timeout: 2000 });
    return stdout.trim();
  }

  async answers(): Promise<boolean> {
    try {
      return (await this.cli('ping')) === 'PONG';
    } catch {
      return false;
    }
  }

  /** Keys matching `pattern` (SCAN). */
  async keys(pattern: string): Promise<string[]> {
    return (await this.cli('--scan', '--pattern', pattern)).split('\n').filter(Boolean);
  }

  /** Calls per command since start or the last `CONFIG RESETSTAT` (INFO commandstats), e.g. `{ evalsha: 3, get: 1 }`. */
  async commandCalls(): Promise<Record<string, number>> {
    const calls: Record<string, number> = {};
    for (const line of (await this.cli('info', 'commandstats')).split('\n')) {
      const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (match) calls[match[1]!] = Number(match[2]);
    }
    return calls;
  }

  /** SIGKILL: the server and everything it held are gone. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGSTOP: connections stay open, nothing answers, the data survives. */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.directory, { recursive: true, force: true });
  }
}
