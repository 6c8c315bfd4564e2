/**
 * Test kit for resolver tests that count SQL: a gateway on a throw-away
 * database, and `run`, which executes one operation through the full Apollo
 * pipeline and reports how many SQL statements it sent (counted at the mysql2
 * driver, not by the ORM).
 *
 * Example (Vitest):
 *   const gateway = await createTestGateway({ name: 'patients' });
 *   afterAll(() => gateway.close());
 *
 *   const { data, errors, sqlCount } = await gateway.run(
 *     'query ($n: Int) { patients(first: $n) { nodes { name recordCount } } }',
 *     { n: 20 },
 *     { as: 'clinician' },
 *   );
 *   expect(errors).toBeUndefined();
 *   expect(sqlCount).toBe(2); // the page, then every recordCount in one statement
 *
 * `as` picks the caller: 'admin' (default), 'clinician', { patientId } for a
 * patient token, a raw `authorization` header value, or null for no token.
 *
 * `replicaUrls` gives the gateway read replicas (src/db/replicas.ts); their
 * statements are counted in `sqlCount` like the primary's.
 */
import { randomBytes } from 'node:crypto';
import { HeaderMap } from '@apollo/server';
import { Kind, parse, validate, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import type { DestinationStream } from 'pino';
import { signToken, type TokenClaims } from '../auth/token.js';
import type { CacheHooks } from '../cache/cache.js';
import { loadConfig, type Config } from '../config.js';
import { connectDatabase, migrateDatabase, poolOptionsOf, type Database } from '../db/client.js';
import { connectReplicas } from '../db/replicas.js';
import { newSqlTrace, type SqlStatement } from '../db/sql-counter.js';
import { createLogger, prettyLogs } from '../logger.js';
import { Cluster, connectRedis } from '../redis/client.js';
import { toGlobalId } from '../relay/global-id.js';
import { stringifyResult } from '../plugins/response-cache.js';
import { createGateway, type Gateway } from '../server.js';

export type Caller =
  | 'admin'
  | 'clinician'
  | { readonly patientId: number }
  | { readonly clinicianId: number }
  | { readonly authorization: string }
  | null;

export interface RunOptions {
  /** Who calls (default 'admin'). */
  readonly as?: Caller;
  /** Extra HTTP request headers the plugins see (e.g. { 'idempotency-key': 'k1' }). */
  readonly headers?: Record<string, string>;
  /** Keep the SQL text of every statement in `statements` (default false). */
  readonly captureStatements?: boolean;
}

export interface RunResult<TData = Record<string, any>> {
  readonly data: TData | null | undefined;
  readonly errors: readonly GraphQLFormattedError[] | undefined;
  /** SQL statements the operation sent to MySQL. */
  readonly sqlCount: number;
  /** The statements, when `captureStatements` was set. */
  readonly statements: readonly SqlStatement[];
  /** Response headers set by the plugins (e.g. idempotent-replayed). */
  readonly headers: Readonly<Record<string, string>>;
}

export interface TestGateway {
  /** The throw-away database's name, also the Redis key prefix (without the colon). */
  readonly name: string;
  readonly config: Config;
  readonly database: Database;
  /** The read replicas' connections (DATABASE_REPLICA_URLS / `replicaUrls`), closed with the gateway. */
  readonly replicas: readonly Database[];
  readonly gateway: Gateway;
  /** The database URL of the throw-away database (for a second connection). */
  readonly databaseUrl: string;
  run<TData = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: RunOptions,
  ): Promise<RunResult<TData>>;
  /** The Authorization header value for a caller, as a client would send it. */
  authorizationFor(caller: Caller): Promise<string | undefined>;
  /** Stops the gateway and drops the throw-away database. */
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Part of the database name, to recognise leftovers (default 'test'). */
  readonly name?: string;
  /** MySQL server to create the database on (default TEST_DATABASE_SERVER or mysql://root@127.0.0.1:3306). */
  readonly serverUrl?: string;
  /** Extra settings, as environment variables (e.g. { MAX_PAGE_SIZE: '50' }). */
  readonly env?: Record<string, string>;
  /**
   * Turn the fragment and response cache on (default off: SQL counts are
   * those of cold caches, and fixtures written straight to MySQL are seen).
   * Tests of the cache itself turn it on and write through mutations.
   */
  readonly cache?: boolean;
  /** Test-only hooks into the cache's load path (e.g. pause a reader after its MySQL read). */
  readonly cacheHooks?: CacheHooks;
  /**
   * Execute every query `run()` sends with both engines too (graphql-jit and graphql-js, each with a fresh
   * context, outside the SQL count) and fail when they disagree. Default: on while the cache is off.
   */
  readonly compareExecutors?: boolean;
  /** Where the gateway's log lines go (default stdout), e.g. to assert what is and is not logged. */
  readonly logDestination?: DestinationStream;
  /**
   * Another instance of the same deployment: this gateway uses that one's
   * database and Redis key prefix (as a second process would) instead of its
   * own; closing it leaves both in place for their owner.
   */
  readonly shareWith?: TestGateway;
  /**
   * Read replicas (DATABASE_REPLICA_URLS), e.g. a second database on the same
   * server standing in for one; the test owns those databases. A `shareWith`
   * instance uses its owner's replicas unless given its own.
   */
  readonly replicaUrls?: readonly string[];
}

/**
 * The MySQL server tests create their throw-away databases on: TEST_DATABASE_SERVER, a URL without a
 * database (default mysql://root@127.0.0.1:3306). Every test of this suite takes it from here.
 */
export const TEST_DATABASE_SERVER = (process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306').replace(/\/$/, '');

/** The Redis tests share (each under its own key prefix): TEST_REDIS_URL (default redis://127.0.0.1:6379). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * `url` with its host and port replaced (its user, password and path kept): how a test reaches a server
 * through a local TCP proxy it controls.
 *
 *   via('mysql://app:pw@db.internal:3307', 41234) // 'mysql://app:pw@127.0.0.1:41234'
 */
export function via(url: string, port: number, host = '127.0.0.1'): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  parsed.port = String(port);
  return parsed.toString().replace(/\/$/, '');
}

/** The host and port a URL names (the protocol's default port when it names none), for a TCP proxy's target. */
export function endpointOf(url: string): { targetHost: string; targetPort: number } {
  const parsed = new URL(url);
  const defaults: Record<string, number> = { 'mysql:': 3306, 'redis:': 6379, 'rediss:': 6379 };
  return { targetHost: parsed.hostname, targetPort: Number(parsed.port || defaults[parsed.protocol] || 0) };
}

export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const server = options.serverUrl ?? TEST_DATABASE_SERVER;
  const owner = options.shareWith;
  const name =
    owner?.name ??
    `gw_test_${(options.name ?? 'test').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const databaseUrl = owner?.databaseUrl ?? `${server.replace(/\/$/, '')}/${name}`;
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    REDIS_URL: TEST_REDIS_URL,
    // Each test gateway has its own key space in the shared Redis.
    REDIS_KEY_PREFIX: `${name}:`,
    // A loaded CI machine must not turn a slow Redis reply into a failed test; fault tests set their own.
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    CACHE_ENABLED: options.cache ? '1' : '0',
    // No load balancer to drain in a test: shutdown closes the listener at once.
    SHUTDOWN_DRAIN_MS: '0',
    ...(owner ? { DATABASE_REPLICA_URLS: owner.config.databaseReplicaUrls.join(',') } : {}),
    ...options.env,
    ...(options.replicaUrls ? { DATABASE_REPLICA_URLS: options.replicaUrls.join(',') } : {}),
    DATABASE_URL: databaseUrl,
    PORT: '0',
  });
  // LOG_FORMAT=pretty is honoured (a test of the readable format); `auto` stays JSON, test output is no terminal.
  const logger = createLogger(config.logLevel, options.logDestination, { pretty: prettyLogs(config, { isTTY: false }) });
  if (!owner) {
    // As `npm start` migrates (src/main.ts): on a connection of its own, without the request statement timeout,
    // which DDL on a loaded server (a CI machine creating dozens of databases at once) can outlast.
    const migrator = await connectDatabase(databaseUrl, { poolSize: 1, connectTimeoutMs: config.dbConnectTimeoutMs });
    try {
      await migrateDatabase(migrator);
    } finally {
      await migrator.close();
    }
  }
  const database = await connectDatabase(databaseUrl, poolOptionsOf(config));
  const redis = await connectRedis(config, logger);
  const replicas = await connectReplicas(config);
  const gateway = await createGateway({
    config,
    database,
    logger,
    redis,
    replicas,
    ...(options.cacheHooks ? { cacheHooks: options.cacheHooks } : {}),
  });

  // With the cache off, every query run() executes is also executed by both engines on the side, each with a
  // fresh context, and they must agree (src/execution/executor.ts). With the cache on, the extra executions would
  // fill it and change what the test measures next.
  const compareExecutors = options.compareExecutors ?? !config.cacheEnabled;
  const expectSameExecution = async (query: string, variables: Record<string, unknown> | undefined, authorization: string | undefined) => {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch {
      return; // a syntax error never reaches an executor
    }
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    if (operations.length !== 1 || operations[0]!.operation !== 'query' || validate(gateway.execution.schema, document).length > 0) return;
    const outcome = async (engine: 'jit' | 'graphql-js') => {
      const contextValue = await gateway.createContext({ authorization });
      const result = await gateway.execution.executeWith(engine, { document, operationName: null, variables, contextValue });
      return JSON.stringify({
        data: result.data,
        errors: result.errors?.map((error) => ({
          message: error.message,
          path: error.path,
          locations: error.locations,
          code: error.extensions?.code ?? null,
        })),
      });
    };
    const [compiled, interpreted] = [await outcome('jit'), await outcome('graphql-js')];
    if (compiled !== interpreted) {
      throw new Error(`graphql-jit and graphql-js disagree on ${query}\n  jit:        ${compiled.slice(0, 2000)}\n  graphql-js: ${interpreted.slice(0, 2000)}`);
    }
  };

  const authorizationFor = async (caller: Caller): Promise<string | undefined> => {
    if (caller === null) return undefined;
    if (typeof caller === 'object' && 'authorization' in caller) return caller.authorization;
    const claims: TokenClaims =
      caller === 'admin'
        ? { role: 'admin', sub: 'test-admin' }
        : caller === 'clinician'
          ? { role: 'clinician', sub: toGlobalId('Clinician', 1) }
          : 'clinicianId' in caller
            ? { role: 'clinician', sub: toGlobalId('Clinician', caller.clinicianId) }
            : { role: 'patient', sub: `test-patient-${caller.patientId}`, patientId: toGlobalId('Patient', caller.patientId) };
    return `Bearer ${await signToken(claims, config.jwtSecret, 3600)}`;
  };

  return {
    name,
    config,
    database,
    replicas,
    gateway,
    databaseUrl,
    authorizationFor,
    async run<TData>(query: string, variables?: Record<string, unknown>, runOptions: RunOptions = {}) {
      const authorization = await authorizationFor(runOptions.as === undefined ? 'admin' : runOptions.as);
      const trace = newSqlTrace({ capture: runOptions.captureStatements ?? false });
      const contextValue = await gateway.createContext({ authorization, sqlTrace: trace });
      const http = {
        method: 'POST',
        headers: new HeaderMap(Object.entries(runOptions.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
        search: '',
        body: null,
      };
      const response = await gateway.apollo.executeOperation({ query, http, ...(variables ? { variables } : {}) }, { contextValue });
      if (response.body.kind !== 'single') throw new Error('run() expects a single (non-incremental) result.');
      if (compareExecutors) await expectSameExecution(query, variables, authorization);
      // Serialized as the server serializes it, the data is exactly what a client receives (DateTime as ISO
      // strings, a response-cache hit's cached text).
      const { data, errors } = JSON.parse(stringifyResult(response.body.singleResult)) as {
        data?: TData | null;
        errors?: GraphQLFormattedError[];
      };
      return {
        data,
        errors,
        sqlCount: trace.count,
        statements: trace.statements ?? [],
        headers: Object.fromEntries(response.http.headers),
      };
    },
    async close() {
      if (owner) {
        await gateway.shutdown();
        return;
      }
      const dropper = await connectDatabase(databaseUrl, { poolSize: 1 });
      try {
        if (redis?.status === 'ready') await deleteKeys(redis, name);
        await gateway.shutdown();
        await dropper.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await dropper.close();
      }
    },
  };
}

/**
 * Removes a test gateway's Redis keys (SCAN, never KEYS, so a shared Redis is not blocked): `<name>:*`, and on a
 * cluster also the cache's control keys `{<name>:c}:*` (their hash tag comes first), on every primary.
 */
async function deleteKeys(redis: NonNullable<Awaited<ReturnType<typeof connectRedis>>>, name: string): Promise<void> {
  const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
  for (const node of nodes) {
    try {
      for (const pattern of [`${name}:*`, `{${name}:*`]) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
          // One DEL per key: on a cluster the keys of one node still span many slots.
          await Promise.all(keys.map((key) => node.del(key)));
          cursor = next;
        } while (cursor !== '0');
      }
    } catch {
      // A node that does not answer (a failover test killed it; the client's slot map may still list it) holds
      // nothing this gateway can still read: the rest of close() (shutdown, DROP DATABASE) must go on.
    }
  }
}
