/**
 * Starting the gateway (src/main.ts, as `npm start` runs it in development) when its port is taken: one
 * sentence that says what to do, exit code 1, and nothing done before it (no migration). No database is
 * needed: the port is checked first, so DATABASE_URL points nowhere.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
