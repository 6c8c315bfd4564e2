#!/usr/bin/env node
/**
 * What `npm start` and `npm test` run first, with nothing but Node: installs
 * the dependencies when they are missing or stale, makes sure MySQL (and
 * Redis) answer, then starts the gateway or the test suite.
 *
 * When nothing answers on DATABASE_URL and a Docker engine is available, it
 * runs `docker compose up -d --wait mysql redis` with the repo's
 * docker-compose.yml; otherwise it exits with one message naming both ways.
 *
 *   node src/cli/bootstrap.mjs start   # npm start (NODE_ENV=production: the compiled dist/main.js, built when stale)
 *   node src/cli/bootstrap.mjs test    # npm test (extra args go to vitest)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const [mode = 'start', ...rest] = process.argv.slice(2);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function ensureDependencies() {
  const installed = `${root}/node_modules/.package-lock.json`;
  const lock = `${root}/package-lock.json`;
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error('bootstrap: installing dependencies (npm ci)…');
  if (run(npm, ['ci', '--no-audit', '--no-fund']) !== 0) {
    console.error('bootstrap: npm ci failed; see the output above.');
    process.exit(1);
  }
}

function reachable(host, port, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function endpoint(url, defaultPort) {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

async function waitFor(host, port, seconds) {
  for (let attempt = 0; attempt < seconds; attempt += 1) {
    if (await reachable(host, port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return false;
}

async function ensureServices() {
  const mysql = endpoint(process.env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/gateway', 3306);
  if (await reachable(mysql.host, mysql.port)) return checkRedis();
  const docker = spawnSync('docker', ['info'], { stdio: 'ignore' });
  if (docker.status === 0) {
    console.error(`bootstrap: nothing answers on ${mysql.host}:${mysql.port}; starting MySQL and Redis with docker compose…`);
    if (run('docker', ['compose', 'up', '-d', '--wait', 'mysql', 'redis']) === 0 && (await waitFor(mysql.host, mysql.port, 120))) {
      return checkRedis();
    }
  }
  console.error(
    `bootstrap: no MySQL answers on ${mysql.host}:${mysql.port}. Either start MySQL 8+ or MariaDB 10.11+ there ` +
      '(or point DATABASE_URL at one), or install Docker and run `docker compose up -d mysql redis` in this folder.',
  );
  process.exit(1);
}

async function checkRedis() {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (url === 'off') return;
  const redis = endpoint(url, 6379);
  if (!(await reachable(redis.host, redis.port))) {
    console.error(`bootstrap: no Redis answers on ${redis.host}:${redis.port}; the gateway will use its in-process cache.`);
  }
}

/**
 * V8 flags of the serving process. A 64 MB young generation (the default is 16 MB) means
 * fewer scavenges for a server that allocates a response's rows and JSON per request:
 * S5 soak at 20 connections, 60 s, 40.7 -> 47.5 req/s, p99 2.8 -> 2.6 s (npm run bench -- --soak 60s).
 * NODE_OPTIONS with its own --max-semi-space-size wins.
 */
const SERVER_NODE_FLAGS = (process.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size') ? [] : ['--max-semi-space-size=64'];

/** How often the bootstrap checks that whoever started it (npm's shell) is still there. */
const PARENT_CHECK_MS = 500;

function exec(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  // A SIGTERM or SIGINT sent to the npm process alone (kill <npm pid>, a process manager) ends npm and its
  // shell but never reaches this process, which is then reparented: stop the child as if it had arrived,
  // rather than leave a gateway holding the port for the next start.
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    child.kill('SIGTERM');
  }, PARENT_CHECK_MS);
  watch.unref();
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

ensureDependencies();
await ensureServices();
/** The newest modification time of the files under `folder` (recursively), 0 when it does not exist. */
function newestUnder(folder) {
  if (!existsSync(folder)) return 0;
  let newest = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs);
  }
  return newest;
}

/** Production runs the compiled bundle (npm run build); it is built first when missing or older than the sources. */
function ensureBuilt() {
  const bundle = `${root}/dist/main.js`;
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  if (built > 0 && built >= Math.max(newestUnder(`${root}/src`), newestUnder(`${root}/drizzle`))) return;
  console.error('bootstrap: building the production bundle (npm run build)…');
  if (run(npm, ['run', 'build']) !== 0) {
    console.error('bootstrap: npm run build failed; see the output above.');
    process.exit(1);
  }
}

if (mode === 'start') {
  if ((process.env.NODE_ENV ?? 'development') === 'production') {
    ensureBuilt();
    exec(process.execPath, [...SERVER_NODE_FLAGS, 'dist/main.js', ...rest]);
  } else {
    // Development keeps TypeScript through tsx: edit, restart, no build step.
    exec(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', 'src/main.ts', ...rest]);
  }
} else if (mode === 'test') {
  if (run(npm, ['run', 'check']) !== 0) process.exit(1);
  exec(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...rest]);
} else {
  console.error(`bootstrap: unknown mode "${mode}" (expected start or test).`);
  process.exit(2);
}
