/**
 * Starting and stopping the gateway as a user does:
 * - src/main.ts (what `npm start` runs in development) on a taken port: one sentence that says what to do,
 *   exit code 1, and nothing done before it (no migration; DATABASE_URL points nowhere);
 * - `npm start` itself, stopped by a SIGTERM sent to the npm process alone: the gateway under it shuts
 *   down too and frees the port (it used to be orphaned, and the next start found the port taken).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_SERVER, TEST_REDIS_URL } from '../src/testing/index.js';
import { freePort, waitFor } from './support/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let occupier: net.Server;
let port: number;

beforeAll(async () => {
  occupier = net.createServer();
  await new Promise<void>((resolve) => occupier.listen({ port: 0, host: '127.0.0.1' }, resolve));
  port = (occupier.address() as net.AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => occupier.close(() => resolve())));

function start(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start on a taken port', () => {
  it('says so in one sentence and exits 1 before touching the database', async () => {
    const run = await start({
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      // Nothing listens on port 1: reaching for the database at all would fail with another message.
      DATABASE_URL: 'mysql://root@127.0.0.1:1/never',
      REDIS_URL: 'off',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `Port ${port} on 127.0.0.1 is already in use, probably by a gateway that is still running: stop it, or start this one with PORT set to a free port.`,
    ]);
    expect(run.stdout).not.toContain('migrations applied');
    expect(run.stdout).not.toContain('EADDRINUSE');
  });

  it('an unreachable database is a sentence too, not a JSON log line', async () => {
    const run = await start({ NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: 'mysql://root@127.0.0.1:1/never', REDIS_URL: 'off' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^Cannot reach MySQL at mysql:\/\/root@127\.0\.0\.1:1\/never \(.+\)\. Start MySQL 8 or MariaDB 10\.11 there/);
    expect(run.stdout).not.toContain('"level"');
  });
});

/** Whether something accepts connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('npm start stopped through npm alone', () => {
  const database = `gw_test_npm_start_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    const admin = await mysql.createConnection(TEST_DATABASE_SERVER);
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  });

  it('a SIGTERM to the npm process stops the gateway under it, which frees the port', async () => {
    const port = await freePort();

    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'development', HOST: '127.0.0.1', PORT: String(port), DATABASE_URL: `${TEST_DATABASE_SERVER}/${database}`, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `${database}:` },
    });
    let output = '';
    npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<void>((resolve) => npm.on('exit', () => resolve()));
    let gone = false;
    void exited.then(() => (gone = true));
    const ready = await waitFor(() => gone || output.includes('GraphQL endpoint:'), { what: 'npm start to print its banner', timeoutMs: 60_000 }).then(
      () => !gone,
      () => false,
    );
    expect(ready, output).toBe(true);

    npm.kill('SIGTERM');
    await exited;
    await waitFor(async () => !(await accepts(port)), { what: `port ${port} to be freed`, timeoutMs: 30_000, intervalMs: 100 });
    expect(await accepts(port), output).toBe(false);
  });
});
