/**
 * Guards a client cannot get around (contract: Identity and access,
 * Persisted documents, Limits, Errors), over real HTTP:
 * - tokens: an `iat` more than 60 s ahead, an `exp` further than
 *   JWT_MAX_LIFETIME_SECONDS, are UNAUTHENTICATED;
 * - APQ registration needs a token, in development and in production with
 *   ALLOW_APQ_REGISTRATION; nothing runs and nothing is stored without one;
 * - callers without a token pay from a budget per client address;
 *   X-Forwarded-For counts only as far as TRUSTED_PROXY_HOPS;
 * - production errors suggest no schema names ("Did you mean …");
 * - large variables cannot pin memory (the analysis memo keeps a digest).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, describe, expect } from 'vitest';
import { totalStatements } from '../src/db/sql-counter.js';
import { sha256Hex } from '../src/persisted/manifest.js';
import { toGlobalId } from '../src/relay/global-id.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { codes, insertPatients, post, PRODUCTION_SECRET } from './support/index.js';


const apq = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

/** This file's gateways (each its own database, rate buckets and Redis key space), one per guard's setting. */
const test = gatewaysTest('guards', {
  tokens: {},
  apqDevelopment: { env: { NODE_ENV: 'development' } },
  apqProduction: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET, ALLOW_APQ_REGISTRATION: '1' } },
  anonymous: { env: { RATE_LIMIT_COST_PER_MINUTE: '300' } },
  proxy: { env: { RATE_LIMIT_COST_PER_MINUTE: '300', TRUSTED_PROXY_HOPS: '1' } },
  suggest: { env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } },
  heap: { cache: true, env: { NODE_ENV: 'development' } },
});

async function token(secret: string, claims: { iat?: number; exp: number }): Promise<string> {
  const jwt = new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('guard-admin').setExpirationTime(claims.exp);
  if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
  return `Bearer ${await jwt.sign(new TextEncoder().encode(secret))}`;
}

describe('token lifetimes', () => {
  let gw: TestGateway;
  let url: string;
  const now = () => Math.floor(Date.now() / 1000);

  test.beforeAll(async ({ tokens }) => {
    gw = tokens;
    ({ url } = await gw.gateway.listen());
  });

  test.each([
    ['an iat 120 s in the future', () => ({ iat: now() + 120, exp: now() + 3600 }), 'iat'],
    ['an exp 40 days ahead (over JWT_MAX_LIFETIME_SECONDS, 31 days)', () => ({ iat: now(), exp: now() + 40 * 86_400 }), 'exp'],
  ])('refuses a token with %s as UNAUTHENTICATED', async (_name, claims, claim) => {
    const answer = await post(url, { query: '{ viewer { role } }' }, { authorization: await token(gw.config.jwtSecret, claims()) });
    expect(answer.status).toBe(200);
    expect(answer.body.data?.viewer ?? null).toBeNull();
    expect(codes(answer)).toEqual(['UNAUTHENTICATED']);
    expect(answer.body.errors?.[0]?.message).toContain(`"${claim}"`);
  });

  test.each([
    ['an iat 30 s ahead (clock skew)', () => ({ iat: now() + 30, exp: now() + 3600 }), 'ADMIN'],
    ['an exp 30 days ahead', () => ({ iat: now(), exp: now() + 30 * 86_400 }), 'ADMIN'],
    ['no iat at all', () => ({ exp: now() + 3600 }), 'ADMIN'],
  ])('accepts a token with %s', async (_name, claims, role) => {
    const answer = await post(url, { query: '{ viewer { role } }' }, { authorization: await token(gw.config.jwtSecret, claims()) });
    expect(answer.body).toEqual({ data: { viewer: { role } } });
  });
});

describe.each([
  ['development', 'apqDevelopment'],
  ['production with ALLOW_APQ_REGISTRATION', 'apqProduction'],
] as const)('APQ registration needs a token (%s)', (_mode, fixture) => {
  let gw: TestGateway;
  let url: string;
  let redis: Redis;
  let patientId: string;

  const setUp = async (gateway: TestGateway) => {
    gw = gateway;
    ({ url } = await gw.gateway.listen());
    redis = new Redis(gw.config.redisUrl);
    const [id] = (await insertPatients(gw.database.pool, [{ name: 'Apq Guarded' }])) as [number];
    patientId = toGlobalId('Patient', id);
  };
  // Each hook names only its own gateway (Vitest creates the fixtures a hook destructures).
  if (fixture === 'apqDevelopment') test.beforeAll(({ apqDevelopment }) => setUp(apqDevelopment));
  else test.beforeAll(({ apqProduction }) => setUp(apqProduction));
  afterAll(() => {
    redis?.disconnect();
  });

  test('refuses hash and query without a token (UNAUTHENTICATED), runs no SQL and stores nothing; registers it with one', async () => {
    const query = `query Guarded($id: ID!) { patient(id: $id) { name } } # ${Date.now()}`;
    const hash = sha256Hex(query);
    const before = totalStatements();
    for (const authorization of [undefined, 'Bearer not.a.token']) {
      const anonymous = await post(url, { query, extensions: apq(hash), variables: { id: patientId } }, authorization ? { authorization } : {});
      expect(codes(anonymous)).toEqual(['UNAUTHENTICATED']);
      expect(anonymous.body.data ?? null).toBeNull();
    }
    expect(totalStatements() - before).toBe(0);
    expect(await redis.get(`${gw.name}:apq:${hash}`)).toBeNull();
    const byHash = await post(url, { extensions: apq(hash), variables: { id: patientId } }, { authorization: (await gw.authorizationFor('admin'))! });
    expect(codes(byHash)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    const admin = { authorization: (await gw.authorizationFor('admin'))! };
    const registered = await post(url, { query, extensions: apq(hash), variables: { id: patientId } }, admin);
    expect(registered.body.errors).toBeUndefined();
    expect(registered.body.data).toEqual({ patient: { name: 'Apq Guarded' } });
    expect(await redis.get(`${gw.name}:apq:${hash}`)).toBe(query);
  });
});

describe('callers without a token pay from a budget per client address', () => {
  // 1 + 20 × (1 + (1 + 5 × 1)) = 141 per request: the budget of 300 pays for two.
  const PAGE = '{ patients(first: 20) { nodes { records(first: 5) { nodes { id } } } } }';

  test('refuses the third anonymous request from one address with RATE_LIMITED (429); a spoofed X-Forwarded-For does not help', async ({ anonymous: gw }) => {
    const { url } = await gw.gateway.listen();
    const anonymous = (headers: Record<string, string> = {}) => post(url, { query: PAGE }, headers);
    expect(codes(await anonymous())).toEqual(['UNAUTHENTICATED']);
    expect(codes(await anonymous({ 'x-forwarded-for': '198.51.100.1' }))).toEqual(['UNAUTHENTICATED']);
    const third = await anonymous({ 'x-forwarded-for': '198.51.100.2' });
    expect(third.status).toBe(429);
    expect(codes(third)).toEqual(['RATE_LIMITED']);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    // A caller with a token has a budget of their own.
    expect(codes(await post(url, { query: PAGE }, { authorization: (await gw.authorizationFor('admin'))! }))).toEqual([]);
  });

  test('with TRUSTED_PROXY_HOPS=1, the address the proxy saw is the payer', async ({ proxy: gw }) => {
    const { url } = await gw.gateway.listen();
    const from = (address: string) => post(url, { query: PAGE }, { 'x-forwarded-for': `10.9.9.9, ${address}` });
    expect(codes(await from('203.0.113.1'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await from('203.0.113.1'))).toEqual(['UNAUTHENTICATED']);
    expect(codes(await from('203.0.113.1'))).toEqual(['RATE_LIMITED']);
    // Another client behind the same proxy has its own bucket; the client-written entry (10.9.9.9) is not believed.
    expect(codes(await from('203.0.113.2'))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('production errors suggest no schema names', () => {
  let gw: TestGateway;
  let url: string;
  let admin: Record<string, string>;
  const manifest = new Map<string, string>();

  test.beforeAll(async ({ suggest }) => {
    gw = suggest;
    ({ url } = await gw.gateway.listen());
    admin = { authorization: (await gw.authorizationFor('admin'))! };
    const { readFileSync } = await import('node:fs');
    const entries = JSON.parse(readFileSync(new URL('../operations/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
    for (const [hash, text] of Object.entries(entries)) {
      const name = /^(?:query|mutation) (\w+)/m.exec(text)?.[1];
      if (name) manifest.set(name, hash);
    }
  });

  test.each([
    ['a misspelled enum value', 'PatientDetail', { id: toGlobalId('Patient', 1), status: 'ACTIV' }],
    ['a misspelled input field', 'UpdatePatient', { input: { id: toGlobalId('Patient', 1), expectedVersion: 1, nam: 'x' } }],
  ])('%s gets an error without "Did you mean"', async (_name, operation, variables) => {
    const hash = manifest.get(operation);
    expect(hash, `operations/ has ${operation}`).toBeDefined();
    const answer = await post(url, { extensions: apq(hash!), variables }, admin);
    expect(answer.body.errors?.length).toBeGreaterThan(0);
    for (const error of answer.body.errors ?? []) {
      expect(error.message).not.toMatch(/Did you mean/);
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  test('still says what was wrong', async () => {
    const answer = await post(url, { extensions: apq(manifest.get('PatientDetail')!), variables: { id: toGlobalId('Patient', 1), status: 'ACTIV' } }, admin);
    expect(answer.body.errors?.[0]?.message).toMatch(/"ACTIV" does not exist in "RecordStatus" enum\.$/);
  });
});

describe('large variables cannot pin memory', () => {
  test('keeps the heap flat over 240 requests of 400 KB variables from an anonymous caller, across 60 documents', { timeout: 120_000 }, async ({ heap: gw }) => {
    v8.setFlagsFromString('--expose-gc');
    const collect = vm.runInNewContext('gc') as () => void;
    const heapMiB = () => {
      collect();
      collect();
      return process.memoryUsage().heapUsed / 2 ** 20;
    };
    const { url } = await gw.gateway.listen();
    const send = (index: number) => {
      const padding = Array.from({ length: 400 }, (_, item) => `${index}-${item}-${'x'.repeat(990)}`);
      return post(url, {
        query: `query Q($filter: PatientFilter) { patients(first: 5, filter: $filter) { nodes { id } } } # ${index % 60}`,
        variables: { filter: { isActive: true }, padding },
      });
    };
    // Warm-up: module caches, pools and Apollo's document store settle before the measurement.
    for (let index = 0; index < 60; index += 1) await send(index);
    const before = heapMiB();
    for (let index = 60; index < 300; index += 1) expect((await send(index)).status).toBe(200);
    const grown = heapMiB() - before;
    console.log(`[guards] heap after 240 requests of 400 KB variables: ${grown.toFixed(1)} MiB grown`);
    // Before the fix each request's variables stayed in the analysis memo: about 470 MiB after 1,200 requests.
    expect(grown).toBeLessThan(40);
  });
});
