/**
 * The real process (`node --import tsx src/main.ts`, as `npm start` runs it)
 * under SIGTERM while 20 connections keep it busy: readiness turns 503 at
 * once, every request in flight completes with its full answer (including
 * one whose client hung up, which used to find the pool closed), no
 * connection is accepted once the listener has closed, the pools close and
 * the process exits 0. Then WEB_CONCURRENCY=2: two workers share the port,
 * a killed worker is replaced, and SIGTERM stops them all with exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../src/auth/token.js';
import { DEVELOPMENT_JWT_SECRET } from '../src/config.js';
import { TEST_DATABASE_SERVER } from '../src/testing/index.js';
import { freePort, waitFor } from './support/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SERVER = TEST_DATABASE_SERVER;
const databases: string[] = [];
/** Cleanup for a failed test: processes still running and connections still holding locks. */
const leftovers: (() => Promise<unknown> | void)[] = [];

afterAll(async () => {
  for (const cleanup of leftovers) await cleanup();
  const connection = await mysql.createConnection({ uri: SERVER });
  try {
    for (const name of databases) await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await connection.end();
  }
});

interface Gateway {
  readonly child: ChildProcess;
  readonly origin: string;
  readonly databaseName: string;
  /** Every JSON log line so far. */
  readonly logs: Record<string, any>[];
  readonly exited: Promise<number | null>;
}

/** Starts the gateway as `npm start` does, on its own database, and waits until every worker is ready. */
async function startGateway(env: Record<string, string>, readyLines = 1): Promise<Gateway> {
  const databaseName = `gw_test_shutdown_${randomBytes(4).toString('hex')}`;
  databases.push(databaseName);
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      PORT: String(port),
      DATABASE_URL: `${SERVER}/${databaseName}`,
      REDIS_KEY_PREFIX: `${databaseName}:`,
      SHUTDOWN_DRAIN_MS: '300',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, any>[] = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as Record<string, any>);
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  leftovers.push(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the gateway exited (${child.exitCode}) before it was ready: ${stderr}\n${JSON.stringify(logs)}`);
      return logs.filter((line) => line.msg === 'gateway ready').length >= readyLines;
    },
    { what: `${readyLines} "gateway ready" log line(s)`, timeoutMs: 60_000 },
  );
  return { child, origin: `http://127.0.0.1:${port}`, databaseName, logs, exited };
}

/** Whether a new TCP connection to the port is accepted. */
function accepts(origin: string): Promise<boolean> {
  const { port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Statements the gateway's pool holds: running (each on a connection) plus waiting for a connection, from /metrics. */
async function poolStatements(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return gauge('gateway_db_pool_connections_in_use') + gauge('gateway_db_pool_waiting');
}

const PAGE = '{ patients(first: 10) { totalCount nodes { name records(first: 3) { nodes { diagnosis } } } } }';

describe('SIGTERM under 20-connection load', () => {
  it('readiness 503 at once, every in-flight request completes, then no connections, pools closed, exit 0', async () => {
    // Statements may wait as long as the test holds the lock; nothing times out underneath it.
    // Caches off: every request must read the table the test locks.
    const gateway = await startGateway({ DB_STATEMENT_TIMEOUT_MS: '0', REQUEST_TIMEOUT_MS: '20000', CACHE_ENABLED: '0' });
    const authorization = `Bearer ${await signToken({ role: 'admin', sub: 'shutdown-test' }, DEVELOPMENT_JWT_SECRET, 600)}`;
    const ask = (signal?: AbortSignal) =>
      fetch(`${gateway.origin}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: PAGE }),
        ...(signal ? { signal } : {}),
      });
    const expected = (await (await ask()).json()) as { data: any; errors?: unknown[] };
    expect(expected.errors).toBeUndefined();
    expect(expected.data.patients.nodes).toHaveLength(10);

    // 20 connections loop until the gateway stops taking them.
    let sigtermSent = false;
    const answers: { status: number; body: unknown; afterSigterm: boolean }[] = [];
    const answersPerLoop = Array.from({ length: 20 }, () => 0);
    const refusedBeforeSigterm: unknown[] = [];
    const loops = answersPerLoop.map(async (_, loop) => {
      for (;;) {
        try {
          const response = await ask();
          answers.push({ status: response.status, body: await response.json(), afterSigterm: sigtermSent });
          answersPerLoop[loop]! += 1;
        } catch (error) {
          if (!sigtermSent) refusedBeforeSigterm.push(error);
          return;
        }
      }
    });
    await waitFor(() => answersPerLoop.every((count) => count > 0), { what: 'every one of the 20 loops to have had an answer' });

    // Hold every request in flight: the page's first read waits for the lock. A request has one statement
    // pending at a time on patients (the page, then its totalCount), so 20 blocked requests are 20 statements
    // in the pool (DB_POOL_SIZE on connections waiting for the lock, the others waiting for a connection).
    const locker = await mysql.createConnection({ uri: `${SERVER}/${gateway.databaseName}` });
    leftovers.push(() => locker.end().catch(() => undefined));
    await locker.query('LOCK TABLES patients WRITE');
    await waitFor(async () => (await poolStatements(gateway.origin)) === 20, { what: "the 20 loops' requests to wait for the lock" });
    const inFlightAtSigterm = answers.length;
    const abandoned = new AbortController();
    const abandonedRequest = ask(abandoned.signal).catch(() => 'aborted');
    await waitFor(async () => (await poolStatements(gateway.origin)) === 21, { what: "the abandoned request's statement to wait for the lock" });
    abandoned.abort(); // its client is gone; its execution still waits for the lock

    sigtermSent = true;
    gateway.child.kill('SIGTERM');
    // The signal is delivered asynchronously: from the moment the process has it, readiness is 503.
    await waitFor(() => gateway.logs.some((line) => line.msg.startsWith('shutting down')), {
      what: 'the gateway to log that it is shutting down',
      timeoutMs: 5000,
      intervalMs: 5,
    });
    const readiness = await fetch(`${gateway.origin}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toEqual({ status: 'shutting down' });
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);

    // After the drain (300 ms) the listener is closed while the 20 requests still wait.
    await waitFor(async () => !(await accepts(gateway.origin)), { what: 'the listener to close after the drain', timeoutMs: 5000 });
    expect(await accepts(gateway.origin)).toBe(false);
    expect(answers.length).toBe(inFlightAtSigterm);

    await locker.query('UNLOCK TABLES');
    await locker.end();
    await Promise.all(loops);
    expect(await abandonedRequest).toBe('aborted');
    expect(await gateway.exited).toBe(0);

    expect(refusedBeforeSigterm).toEqual([]);
    const finishedAfterSigterm = answers.filter((answer) => answer.afterSigterm);
    // The 20 that were waiting for the lock, each with its full answer.
    expect(finishedAfterSigterm.length).toBeGreaterThanOrEqual(20);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual(expected);
    }
    const messages = gateway.logs.map((line) => line.msg);
    expect(messages).toContain('shutdown complete');
    expect(gateway.logs.filter((line) => line.level >= 50)).toEqual([]);
    expect(JSON.stringify(gateway.logs)).not.toMatch(/Pool is closed|POOL_CLOSED/);
  });
});

describe('WEB_CONCURRENCY=2', () => {
  it('two workers share the port, a dead worker is replaced, SIGTERM stops them all with exit 0', async () => {
    const gateway = await startGateway({ WEB_CONCURRENCY: '2' }, 2);
    const ready = gateway.logs.filter((line) => line.msg === 'gateway ready');
    const pids = new Set(ready.map((line) => line.pid as number));
    expect(pids.size).toBe(2);
    expect(pids.has(gateway.child.pid!)).toBe(false);
    expect(gateway.logs.filter((line) => line.msg === 'migrations applied')).toHaveLength(1);
    const authorization = `Bearer ${await signToken({ role: 'admin', sub: 'cluster-test' }, DEVELOPMENT_JWT_SECRET, 600)}`;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${gateway.origin}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization, connection: 'close' },
          body: JSON.stringify({ query: '{ patients(first: 1) { totalCount } }' }),
        }).then((response) => response.json() as Promise<{ data: unknown; errors?: unknown[] }>),
      ),
    );
    for (const answer of answers) {
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ patients: { totalCount: expect.any(Number) } });
    }

    const [victim] = [...pids];
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => gateway.logs.filter((line) => line.msg === 'gateway ready').length >= 3, {
      what: 'a replacement worker to be ready',
      timeoutMs: 60_000,
    });
    expect(gateway.logs.map((line) => line.msg)).toContain('worker died; starting another');
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).toBe(0);
    expect(gateway.logs.filter((line) => line.msg === 'shutdown complete')).toHaveLength(2);
    expect(gateway.logs.find((line) => line.msg === 'all workers stopped')).toMatchObject({ failed: false });
  });
});
