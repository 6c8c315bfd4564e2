/**
 * `npm run bench:profile -- --scenario S3 [--seconds 10] [--cache 0|1] [--connections 20]`:
 * where the gateway's CPU goes on one scenario. Starts the gateway variant
 * (production mode, the documents by APQ hash, as `npm run bench` runs it)
 * under `node --cpu-prof` on the bench data set (run `npm run bench` once to
 * seed it), drives it with autocannon, stops it, and prints the profile:
 * self time by category (garbage collection, graphql-js, mysql2, drizzle,
 * the gateway's own code...) and the top functions.
 *
 * The raw .cpuprofile stays in bench/results/profiles/ for Chrome DevTools.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../src/cli/bundle-options.mjs';
import { signToken } from '../src/auth/token.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { BENCH_JWT_SECRET, BENCH_SERVER_ENV, QUERIES, type QueryName } from './scenarios.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'S1' },
    seconds: { type: 'string', default: '10' },
    cache: { type: 'string', default: '0' },
    connections: { type: 'string', default: '20' },
    port: { type: 'string', default: '4477' },
    /** Also write a sampling heap profile (what allocates), next to the CPU profile. */
    heap: { type: 'boolean', default: false },
  },
});
const scenario = values.scenario as QueryName;
if (!(scenario in QUERIES)) throw new Error(`--scenario must be one of ${Object.keys(QUERIES).join(', ')}`);
const VARIABLES: Partial<Record<QueryName, Record<string, unknown>>> = {
  S2: { id: toGlobalId('Patient', 1) },
  S3: { id: toGlobalId('Event', 1) },
};

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The library (or part of the gateway) a frame belongs to. */
function categoryOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(idle)' || functionName === '(program)') return functionName;
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.includes('/src/')) return `gateway ${/\/src\/([^/]+)/.exec(url)?.[1] ?? ''}`;
  // The bundle (bench/.build/): the gateway's own code, compiled into one file.
  if (url.includes('/bench/.build/')) return 'gateway (bundle)';
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/')[0]}`;
  return url === '' ? '(native)' : 'other';
}

function summarize(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, time] of selfTime) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    total += time;
    const category = categoryOf(frame);
    categories.set(category, (categories.get(category) ?? 0) + time);
    const name = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(ROOT, '')}:${frame.lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + time);
  }
  const share = (time: number) => `${((100 * time) / total).toFixed(1).padStart(5)}%`;
  process.stdout.write(`\nbusy CPU ${(total / 1e6).toFixed(1)} s (idle excluded)\n\nby category:\n`);
  for (const [category, time] of [...categories].sort((a, b) => b[1] - a[1]).slice(0, 18)) process.stdout.write(`  ${share(time)}  ${category}\n`);
  process.stdout.write('\ntop functions (self time):\n');
  for (const [name, time] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 30)) process.stdout.write(`  ${share(time)}  ${name}\n`);
}

async function main(): Promise<void> {
  const directory = path.join(ROOT, 'bench', 'results', 'profiles');
  mkdirSync(directory, { recursive: true });
  const started = Date.now();
  // The compiled bundle, as production runs it (src/cli/build.mjs), not TypeScript through tsx.
  const bundle = path.join(ROOT, 'bench', '.build', 'profile-gateway.js');
  await build({
    absWorkingDir: ROOT,
    entryPoints: ['bench/variants/gateway.ts'],
    outfile: bundle,
    ...BUNDLE_OPTIONS,
  });
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${directory}`,
      ...(values.heap ? ['--heap-prof', `--heap-prof-dir=${directory}`] : []),
      '--max-semi-space-size=64',
      bundle,
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...BENCH_SERVER_ENV,
        PORT: values.port,
        NODE_ENV: 'production',
        ALLOW_APQ_REGISTRATION: '1',
        RATE_LIMIT_COST_PER_MINUTE: '0',
        REDIS_KEY_PREFIX: 'bench:profile:',
        CACHE_ENABLED: values.cache,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code} before it was ready`)));
  });
  const authorization = `Bearer ${await signToken({ role: 'admin', sub: 'bench' }, BENCH_JWT_SECRET, 3600)}`;
  const text = QUERIES[scenario];
  const hash = createHash('sha256').update(text).digest('hex');
  const variables = VARIABLES[scenario] ?? {};
  const headers = { 'content-type': 'application/json', authorization };
  const registered = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query: text, variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }) });
  if (registered.status !== 200) throw new Error(`registration answered ${registered.status}: ${await registered.text()}`);
  const result = await autocannon({
    url,
    method: 'POST',
    headers,
    body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    connections: Number(values.connections),
    duration: Number(values.seconds),
  });
  process.stdout.write(`${scenario} cache=${values.cache}: ${result.requests.average.toFixed(1)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}\n`);
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  const newest = readdirSync(directory)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => path.join(directory, name))
    .filter((file) => statSync(file).mtimeMs >= started)
    // A worker thread, if any, writes a small profile of its own; the main thread's is the largest.
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  if (!newest) throw new Error('no profile was written');
  process.stdout.write(`profile: ${path.relative(ROOT, newest)}\n`);
  summarize(newest);
}

await main();
