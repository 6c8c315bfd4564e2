/**
 * The package as a team installs it: `npm pack` (which builds dist/ first, the `prepack` script), the tarball
 * installed into a throw-away project outside this repository, and then
 *
 * - plain `node` (no TypeScript loader) imports `clinic-graphql-gateway/testing`, `/client` and
 *   `/client/documents`, starts a production test gateway on a throw-away database, and queries it over HTTP
 *   with the typed client (hash only, trusted documents);
 * - `tsc --noEmit` type-checks a consumer file against the shipped declarations, including an assignment that
 *   must fail (so the types are real types, not `any`);
 * - the lowest Node of each supported line (`engines`) satisfies every locked dependency's own `engines`,
 *   so installing on a supported Node prints no EBADENGINE warning (the root's lock and the bench's).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const PACKAGE_TIMEOUT_MS = 300_000;

let consumer: string;

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: PACKAGE_TIMEOUT_MS });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** npm without the parent's `npm test` context (npm_config_* would point it at this repository). */
function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

beforeAll(() => {
  consumer = mkdtempSync(path.join(tmpdir(), 'gateway-consumer-'));
  run('npm', ['pack', '--pack-destination', consumer, '--silent'], ROOT, npmEnv());
  const tarball = readdirSync(consumer).find((file) => file.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${consumer}`);
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // --prefer-offline: this repository's `npm ci` has just filled the cache with the same dependency versions.
  run(
    'npm',
    ['install', `./${tarball}`, '@types/node@22', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'],
    consumer,
    npmEnv(),
  );
}, PACKAGE_TIMEOUT_MS);

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('ships compiled ESM, declarations, the SDL, the migrations and the trusted documents, and no TypeScript sources', () => {
    const listing = JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], ROOT, npmEnv()).stdout) as [
      { files: { path: string }[] },
    ];
    const files = listing[0].files.map((file) => file.path);
    expect(files).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'README.md',
        'CHANGELOG.md',
        'package.json',
        'dist/main.js',
        'dist/client/index.js',
        'dist/client/documents.js',
        'dist/testing/index.js',
        'dist/types/src/client/index.d.ts',
        'dist/types/src/testing/index.d.ts',
        'schema/patient.graphql',
        'drizzle/migrations/meta/_journal.json',
        'operations/persisted-documents.json',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((file) => file.startsWith('test/') || file.startsWith('bench/') || file.includes('node_modules'))).toEqual([]);
  });

  it('runs under plain node: the test kit starts a production gateway and the typed client queries it by hash', () => {
    writeFileSync(
      path.join(consumer, 'smoke.mjs'),
      `
import { createTestGateway } from 'clinic-graphql-gateway/testing';
import { createClient } from 'clinic-graphql-gateway/client';
import { PatientListDocument } from 'clinic-graphql-gateway/client/documents';

const gateway = await createTestGateway({
  name: 'package',
  env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-characters!' },
});
try {
  const created = await gateway.run('mutation { createPatient(input: { name: "Pia Package", birthDate: "1990-02-03" }) { id } }');
  if (created.errors) throw new Error(JSON.stringify(created.errors));
  const counted = await gateway.run('{ patients(first: 5) { nodes { name } } }');
  const { url } = await gateway.gateway.listen();
  const token = (await gateway.authorizationFor('admin')).replace(/^Bearer /, '');
  const bodies = [];
  const client = createClient({ url, token, fetch: async (input, init) => { bodies.push(String(input) + (init?.body ?? '')); return fetch(input, init); } });
  const { data, errors } = await client.execute(PatientListDocument, { first: 20 });
  console.log(JSON.stringify({
    viaKit: counted.data.patients.nodes.map((node) => node.name),
    sqlCount: counted.sqlCount,
    viaClient: data?.patients.nodes.map((node) => node.name),
    errors: errors ?? null,
    sentText: bodies.some((body) => body.includes('query ')),
  }));
} finally {
  await gateway.close();
}
`,
    );
    const result = run(process.execPath, ['smoke.mjs'], consumer);
    const lastLine = result.stdout.trim().split('\n').at(-1)!;
    expect(JSON.parse(lastLine)).toEqual({
      viaKit: ['Pia Package'],
      sqlCount: 1,
      viaClient: ['Pia Package'],
      errors: null,
      sentText: false,
    });
  });

  it('type-checks a consumer with tsc --noEmit against the shipped declarations', () => {
    writeFileSync(
      path.join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      path.join(consumer, 'consumer.ts'),
      `
import { createTestGateway, type TestGateway, type RunResult } from 'clinic-graphql-gateway/testing';
import { createClient, type GatewayClient } from 'clinic-graphql-gateway/client';
import { PatientListDocument, type PatientListQuery } from 'clinic-graphql-gateway/client/documents';

export async function tour(url: string, token: string): Promise<string | undefined> {
  const client: GatewayClient = createClient({ url, token });
  const { data } = await client.execute(PatientListDocument, { first: 20 });
  const page: PatientListQuery['patients'] | undefined = data?.patients;
  // @ts-expect-error a patient's name is a string: the declarations carry the document's result type
  const wrong: number | undefined = data?.patients.nodes[0]?.name;
  void wrong;
  return page?.nodes[0]?.name;
}

export async function counted(): Promise<number> {
  const gateway: TestGateway = await createTestGateway({ name: 'consumer' });
  const result: RunResult = await gateway.run('{ patients(first: 1) { nodes { id } } }', {}, { as: 'clinician' });
  await gateway.close();
  return result.sqlCount;
}
`,
    );
    const result = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: consumer, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('the supported runtimes (package.json engines)', () => {
  function lockedEngines(lockFile: string): { name: string; node: string }[] {
    const lock = JSON.parse(readFileSync(path.join(ROOT, lockFile), 'utf8')) as { packages: Record<string, { engines?: { node?: unknown } }> };
    return Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && typeof entry.engines?.node === 'string')
      .map(([name, entry]) => ({ name, node: entry.engines!.node as string }));
  }

  it('are Node 22 and 24, and the lowest version of each satisfies every locked dependency', () => {
    const range = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const lowest = range.split('||').map((part) => semver.minVersion(part.trim())!.version);
    expect(lowest.map((version) => semver.major(version))).toEqual([22, 24]);
    for (const lockFile of ['package-lock.json', 'bench/package-lock.json']) {
      for (const version of lowest) {
        const refusing = lockedEngines(lockFile).filter((entry) => !semver.satisfies(version, entry.node));
        expect(refusing, `${lockFile} on Node ${version}`).toEqual([]);
      }
    }
  });
});
