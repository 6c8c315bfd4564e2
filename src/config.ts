/**
 * Every setting of the gateway: its environment variable, default and meaning,
 * in one place. Nothing else reads process.env for behaviour. Each property's
 * doc comment reads `VARIABLE (default): meaning`: docs/configuration.md is
 * rendered from those comments (`npm run docs:config`, src/cli/config-docs.ts),
 * and a test fails when the page, the comments or loadConfig's defaults drift.
 *
 * Example:
 *   const config = loadConfig({ ...process.env, PORT: '0' });
 *   config.port // 0
 */
import { operationsLocation } from './persisted/manifest.js';

export const DEVELOPMENT_JWT_SECRET = 'development-secret-not-for-production-use-0123456789';

export interface Config {
  /** NODE_ENV (development): `production` turns on trusted documents only, no introspection, no landing page, no GraphiQL, masked errors; `test` is development without `extensions.cost` in responses. */
  readonly nodeEnv: 'development' | 'production' | 'test';
  /** PORT (4000): HTTP port; 0 picks a free one. */
  readonly port: number;
  /** HOST (127.0.0.1): bind address. */
  readonly host: string;
  /** DATABASE_URL (mysql://root@127.0.0.1:3306/gateway): the database is created if missing. */
  readonly databaseUrl: string;
  /** REDIS_URL (redis://127.0.0.1:6379; `off` forces the in-process tier): shared idempotency keys and cache. */
  readonly redisUrl: string;
  /** REDIS_KEY_PREFIX (gw:): prefix of every Redis key, so several deployments (or test files) share one Redis. */
  readonly redisKeyPrefix: string;
  /**
   * REDIS_CLUSTER_NODES (unset): `host:port,host:port,…` seed nodes of a Redis Cluster. When set, every
   * Redis-backed feature runs on the cluster (ioredis' Cluster) and REDIS_URL is ignored.
   */
  readonly redisClusterNodes: readonly { readonly host: string; readonly port: number }[];
  /** REDIS_CLUSTER_TLS (0): 1 connects to every cluster node over TLS (managed clusters usually require it). */
  readonly redisClusterTls: boolean;
  /** REDIS_CLUSTER_USERNAME (unset): ACL user for the cluster's nodes. */
  readonly redisClusterUsername: string | null;
  /** REDIS_CLUSTER_PASSWORD (unset): password for the cluster's nodes. */
  readonly redisClusterPassword: string | null;
  /**
   * REDIS_CLUSTER_NAT_MAP (unset): `announced=reachable,…` (each `host:port`), for when the addresses the
   * nodes announce are not the ones this process can reach (a NAT, Docker, a managed service's private IPs).
   */
  readonly redisClusterNatMap: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
  /**
   * REDIS_WAIT_REPLICAS (1): on a cluster, replicas that must hold an invalidation (WAIT) before the mutation
   * returns, so a failover cannot lose it; a primary with fewer replicas attached (after a failover, until the
   * cluster attaches another) needs as many as it has; 0 does not wait.
   */
  readonly redisWaitReplicas: number;
  /** REDIS_WAIT_TIMEOUT_MS (500): how long that WAIT may take before the invalidation is retried. */
  readonly redisWaitTimeoutMs: number;
  /**
   * REDIS_CLUSTER_SLOTS_REFRESH_MS (1000): how often the slot map is re-read from the cluster. A dead primary
   * answers nothing, not MOVED, so without this the client would keep sending its slots to it after its
   * replica took over (ioredis refreshes on MOVED only).
   */
  readonly redisClusterSlotsRefreshMs: number;
  /**
   * CACHE_INVALIDATION_RETRY_MS (5000): on a cluster, how long a mutation's invalidation is retried while slots
   * move (a failover) before it fails open (the cache's floor is raised before Redis is used again). It also
   * bounds how long an invalidation whose writer died counts as pending: this plus twice
   * (REDIS_WAIT_TIMEOUT_MS + REDIS_COMMAND_TIMEOUT_MS) plus 1 s.
   */
  readonly cacheInvalidationRetryMs: number;
  /**
   * REDIS_COMMAND_TIMEOUT_MS (1000): a Redis command slower than this fails and the gateway goes on without it.
   * Not lower: the timer runs on the event loop, so under CPU saturation a 100 ms timeout fired on replies that
   * had already arrived, opened the breaker and turned every cached read into a MySQL read (npm run bench, S3).
   */
  readonly redisCommandTimeoutMs: number;
  /** REDIS_CONNECT_TIMEOUT_MS (1000): how long start-up waits for Redis before using the in-process tier. */
  readonly redisConnectTimeoutMs: number;
  /** REDIS_BREAKER_FAILURES (3): consecutive failed Redis cache commands that open the circuit breaker. */
  readonly redisBreakerFailures: number;
  /** REDIS_BREAKER_COOLDOWN_MS (1000): how long the open breaker skips Redis before one probe command may pass. */
  readonly redisBreakerCooldownMs: number;
  /** CACHE_ENABLED (1): fragment and response caching; 0 sends every read to MySQL (with Redis, writes still invalidate other instances' entries). */
  readonly cacheEnabled: boolean;
  /** CACHE_FRAGMENT_TTL_SECONDS (300): lifetime of cached rows, lists, pages and counts. */
  readonly cacheFragmentTtlSeconds: number;
  /** CACHE_RESPONSE_TTL_SECONDS (60): the longest a whole response is cached (the SDL's @cacheControl maxAge may ask less). */
  readonly cacheResponseTtlSeconds: number;
  /** CACHE_L1_MAX_ENTRIES (10000): entries in the in-process tier; 0 turns it off (without Redis, that turns caching off). */
  readonly cacheL1MaxEntries: number;
  /**
   * CACHE_L1_MAX_BYTES (134217728, 128 MiB): the most memory the in-process tier's values may take
   * (counted as 2 bytes per character); an entry larger than this is not kept in process at all.
   */
  readonly cacheL1MaxBytes: number;
  /** CACHE_GENERATION_TTL_SECONDS (86400): how long Redis remembers a tag's last invalidation; must be longer than CACHE_FRAGMENT_TTL_SECONDS and CACHE_RESPONSE_TTL_SECONDS. */
  readonly cacheGenerationTtlSeconds: number;
  /** IDEMPOTENCY_TTL_SECONDS (86400): how long an Idempotency-Key and its response are kept. */
  readonly idempotencyTtlSeconds: number;
  /** JWT_SECRET (a fixed development secret, refused in production): HS256 secret for bearer tokens. */
  readonly jwtSecret: string;
  /** JWT_MAX_LIFETIME_SECONDS (2678400, 31 days): tokens whose `exp` lies further ahead are refused. */
  readonly jwtMaxLifetimeSeconds: number;
  /** JWT_CLOCK_SKEW_SECONDS (60): how far in the future a token's `iat` may lie before it is refused. */
  readonly jwtClockSkewSeconds: number;
  /** JWT_CACHE_MAX_ENTRIES (10000): verified tokens remembered (until they expire) so a session's token is verified once; 0 verifies every request. */
  readonly jwtCacheMaxEntries: number;
  /** TRUSTED_PROXY_HOPS (0): proxies in front of the gateway whose X-Forwarded-For entries are believed; 0 uses the socket's address. */
  readonly trustedProxyHops: number;
  /** SLOW_REQUEST_MS (1000): a /graphql request taking longer is logged (one line); faster ones that succeed are not; 0 logs every request. */
  readonly slowRequestMs: number;
  /** REQUEST_BODY_TIMEOUT_MS (10000): a request's headers and body must have arrived within this time, or it is answered 408 and closed. */
  readonly requestBodyTimeoutMs: number;
  /**
   * HTTP_LISTEN_BACKLOG (4096): connections the kernel queues before the gateway accepts them (capped by
   * net.core.somaxconn). Node's default, 511, is less than a burst of 1,000 clients connecting at once, and
   * the kernel drops the handshakes past it (the clients retry after a second or more).
   */
  readonly httpListenBacklog: number;
  /** CURSOR_SECRET (derived from JWT_SECRET): HMAC key that makes cursors tamper-evident. */
  readonly cursorSecret: string;
  /** LOG_LEVEL (info): pino level. */
  readonly logLevel: string;
  /**
   * LOG_FORMAT (auto): `json` (one JSON object per line), `pretty` (one short readable line per entry, and one
   * per request), or `auto`: pretty in development when stdout is a terminal, JSON everywhere else.
   */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  /** DB_POOL_SIZE (10): MySQL connections per process (per worker with WEB_CONCURRENCY). */
  readonly dbPoolSize: number;
  /** DB_POOL_QUEUE_LIMIT (100): statements that may wait for a free connection; past it a read fails at once with SERVICE_UNAVAILABLE. */
  readonly dbPoolQueueLimit: number;
  /** DB_ACQUIRE_TIMEOUT_MS (2000): how long a statement waits for a free connection before SERVICE_UNAVAILABLE. */
  readonly dbAcquireTimeoutMs: number;
  /** DB_CONNECT_TIMEOUT_MS (2000): how long opening a MySQL connection may take (a black-holed host fails this fast). */
  readonly dbConnectTimeoutMs: number;
  /**
   * DB_STATEMENT_TIMEOUT_MS (3000; 0 turns it off): the server cuts off a statement running longer
   * (MariaDB's max_statement_time, MySQL's max_execution_time for SELECTs, detected at start). The
   * client also gives up DB_CLIENT_TIMEOUT_MARGIN_MS later, so a statement on a dead network ends too.
   */
  readonly dbStatementTimeoutMs: number;
  /**
   * DB_CLIENT_TIMEOUT_MARGIN_MS (1000): how long after DB_STATEMENT_TIMEOUT_MS the client gives up on a
   * statement the server has not answered, dropping its connection (a dead network). The server's own error
   * is the clearer one, so the margin covers a busy server's late timer; raise it on an overloaded host.
   */
  readonly dbClientTimeoutMarginMs: number;
  /**
   * DATABASE_REPLICA_URLS (none): comma-separated MySQL read replicas. Reads that do not fill the
   * cache go to them, except in a request that wrote and in the read-your-writes window after a write.
   */
  readonly databaseReplicaUrls: readonly string[];
  /** REPLICA_READ_YOUR_WRITES_MS (5000): after a principal's write, its reads stay on the primary this long (on every instance). */
  readonly replicaReadYourWritesMs: number;
  /** REPLICA_HEALTH_INTERVAL_MS (1000): how often each replica is probed; a replica that does not answer gets no reads until it does. */
  readonly replicaHealthIntervalMs: number;
  /** REQUEST_TIMEOUT_MS (5000): the deadline of a /graphql request; past it the client gets SERVICE_UNAVAILABLE (503). */
  readonly requestTimeoutMs: number;
  /** DB_IN_CHUNK_SIZE (1000): the most keys one IN-list statement carries. */
  readonly inChunkSize: number;
  /**
   * SEARCH_PLAN_MEMORY (10000): word sets whose match counts each process keeps, to choose how a NEWEST
   * search page is read (walk the newest records, or sort every match; src/modules/search/plan.ts).
   */
  readonly searchPlanMemory: number;
  /** SEARCH_PLAN_TTL_SECONDS (600): how long a learned match count is trusted before it is learned again. */
  readonly searchPlanTtlSeconds: number;
  /** MAX_PAGE_SIZE (100): the largest `first` a connection accepts. */
  readonly maxPageSize: number;
  /** MAX_NODES_IDS (100): the most ids `nodes(ids:)` accepts. */
  readonly maxNodesIds: number;
  /** MAX_COST (5000): the highest estimated cost (GraphQL Cost Directives) an operation may have. */
  readonly maxCost: number;
  /** MAX_DEPTH (10): the deepest selection nesting (a root field is at depth 1). */
  readonly maxDepth: number;
  /** MAX_ALIASES (15): the most aliased fields in an operation, fragments expanded. */
  readonly maxAliases: number;
  /** MAX_TOKENS (2000): the most lexical tokens in a document; the lexer stops there, before any syntax tree. */
  readonly maxTokens: number;
  /** MAX_DIRECTIVES (50): the most directive uses in a document. */
  readonly maxDirectives: number;
  /** MAX_DOCUMENT_BYTES (102400): the largest document text accepted. */
  readonly maxDocumentBytes: number;
  /** ANALYSIS_CACHE_MAX_ENTRIES (10000): operation analyses (cost, depth, cache policy) kept for repeated requests, by request fingerprint. */
  readonly analysisCacheMaxEntries: number;
  /** GRAPHQL_EXECUTOR (jit): 'jit' compiles each document once with graphql-jit (graphql-js for what it refuses); 'graphql-js' interprets every request. */
  readonly graphqlExecutor: 'jit' | 'graphql-js';
  /** PLAN_CACHE_MAX_ENTRIES (1000): compiled execution plans kept, by document hash and operation name. */
  readonly planCacheMaxEntries: number;
  /** PLAN_COMPILE_AFTER_USES (2): a document is compiled on its n-th execution; earlier ones are interpreted (a one-off document costs more to compile than to run). */
  readonly planCompileAfterUses: number;
  /** RATE_LIMIT_COST_PER_MINUTE (500000): cost units each subject may spend per minute; 0 turns the budget off. */
  readonly rateLimitCostPerMinute: number;
  /** SHUTDOWN_GRACE_MS (10000): how long in-flight requests may run once the listener is closed after SIGTERM. */
  readonly shutdownGraceMs: number;
  /**
   * SHUTDOWN_DRAIN_MS (1000): after SIGTERM, how long the gateway still accepts connections (answering
   * /readyz with 503) so load balancers stop sending before the listener closes.
   */
  readonly shutdownDrainMs: number;
  /** WEB_CONCURRENCY (1): worker processes (node:cluster) serving the one port; 1 runs in a single process. */
  readonly webConcurrency: number;
  /** OTEL_EXPORTER_OTLP_ENDPOINT (unset): OTLP/HTTP collector base URL; when set, spans are exported there. */
  readonly otlpEndpoint: string | null;
  /** OTEL_SERVICE_NAME (clinic-graphql-gateway): the service.name resource attribute of exported spans. */
  readonly otelServiceName: string;
  /** METRICS_MAX_OPERATION_NAMES (200): distinct operation names /metrics labels; later new names count as `other`. */
  readonly metricsMaxOperationNames: number;
  /** READINESS_TIMEOUT_MS (1000): how long /readyz waits for MySQL. */
  readonly readinessTimeoutMs: number;
  /** DEV_TOKEN_TTL_SECONDS (2592000, 30 days): lifetime of tokens printed by `npm run token` and `npm start`. */
  readonly devTokenTtlSeconds: number;
  /** SEED_DEMO (1): seed the demo data set at start when the database is empty; 0 turns it off. */
  readonly seedDemo: boolean;
  /** BODY_LIMIT_BYTES (1048576): the largest request body accepted (413 above). */
  readonly bodyLimitBytes: number;
  /**
   * ALLOW_APQ_REGISTRATION (on in development, off in production): whether a client may register
   * an unknown document by APQ (hash and query sent together). In production, registered
   * hashes are accepted only while this is on; trusted documents always are.
   */
  readonly allowApqRegistration: boolean;
  /** APQ_TTL_SECONDS (604800, 7 days): how long a registered APQ document is kept in Redis after its last registration. */
  readonly apqTtlSeconds: number;
  /** APQ_LOCAL_MAX_ENTRIES (10000): registered documents kept in process (the only store when Redis is off, else a copy of hot ones). */
  readonly apqLocalMaxEntries: number;
  /** PERSISTED_DOCUMENTS_PATH (operations/persisted-documents.json): the trusted-documents manifest `npm run codegen` writes. */
  readonly persistedDocumentsPath: string;
}

/**
 * Settings read outside loadConfig, by build-time tools only (the server never reads them), in the same
 * `VARIABLE (default): meaning` form so docs/configuration.md lists them too.
 */
export const BUILD_TIME_SETTINGS: readonly string[] = [
  'OPERATIONS_DIR (operations): the folder of `.graphql` operations `npm run codegen` reads; another folder\'s SDK goes to `<dir>/__generated__/` (src/persisted/manifest.ts).',
];

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`Setting ${name} must be an integer >= ${min}, got "${raw}".`);
  }
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'off', 'no'].includes(raw.toLowerCase())) return false;
  throw new Error(`Setting ${name} must be 1/0, true/false or on/off, got "${raw}".`);
}

function oneOf<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new Error(`Setting ${name} must be one of ${choices.join(', ')}, got "${raw}".`);
}

/** `host:port` as the cluster settings write it. */
function hostPort(name: string, text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`Setting ${name} must list host:port pairs, got "${text}".`);
  }
  return { host: text.slice(0, at), port };
}

function clusterNodes(env: Env): Config['redisClusterNodes'] {
  return (env.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node !== '')
    .map((node) => hostPort('REDIS_CLUSTER_NODES', node));
}

function natMap(env: Env): Config['redisClusterNatMap'] {
  const map: Record<string, { host: string; port: number }> = {};
  for (const pair of (env.REDIS_CLUSTER_NAT_MAP ?? '').split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')) {
    const [announced, reachable, extra] = pair.split('=');
    if (!announced || !reachable || extra !== undefined) {
      throw new Error(`Setting REDIS_CLUSTER_NAT_MAP must be announced=reachable pairs (host:port each), got "${pair}".`);
    }
    hostPort('REDIS_CLUSTER_NAT_MAP', announced);
    map[announced] = hostPort('REDIS_CLUSTER_NAT_MAP', reachable);
  }
  return map;
}

function nodeEnv(env: Env): Config['nodeEnv'] {
  const raw = env.NODE_ENV ?? 'development';
  if (raw === 'development' || raw === 'production' || raw === 'test') return raw;
  throw new Error(`Setting NODE_ENV must be development, production or test, got "${raw}".`);
}

export function loadConfig(env: Env = process.env): Config {
  const mode = nodeEnv(env);
  const jwtSecret = env.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET;
  if (mode === 'production' && jwtSecret === DEVELOPMENT_JWT_SECRET) {
    throw new Error('JWT_SECRET must be set to a secret of your own when NODE_ENV=production.');
  }
  if (jwtSecret.length < 32) {
    throw new Error(`JWT_SECRET must be at least 32 characters, got ${jwtSecret.length}.`);
  }
  const config: Config = {
    nodeEnv: mode,
    port: integer(env, 'PORT', 4000),
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/gateway',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'gw:',
    redisClusterNodes: clusterNodes(env),
    redisClusterTls: flag(env, 'REDIS_CLUSTER_TLS', false),
    redisClusterUsername: env.REDIS_CLUSTER_USERNAME || null,
    redisClusterPassword: env.REDIS_CLUSTER_PASSWORD || null,
    redisClusterNatMap: natMap(env),
    redisWaitReplicas: integer(env, 'REDIS_WAIT_REPLICAS', 1),
    redisWaitTimeoutMs: integer(env, 'REDIS_WAIT_TIMEOUT_MS', 500, 1),
    redisClusterSlotsRefreshMs: integer(env, 'REDIS_CLUSTER_SLOTS_REFRESH_MS', 1000, 100),
    cacheInvalidationRetryMs: integer(env, 'CACHE_INVALIDATION_RETRY_MS', 5000),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 1000, 1),
    redisConnectTimeoutMs: integer(env, 'REDIS_CONNECT_TIMEOUT_MS', 1000, 1),
    redisBreakerFailures: integer(env, 'REDIS_BREAKER_FAILURES', 3, 1),
    redisBreakerCooldownMs: integer(env, 'REDIS_BREAKER_COOLDOWN_MS', 1000, 1),
    cacheEnabled: flag(env, 'CACHE_ENABLED', true),
    cacheFragmentTtlSeconds: integer(env, 'CACHE_FRAGMENT_TTL_SECONDS', 300, 1),
    cacheResponseTtlSeconds: integer(env, 'CACHE_RESPONSE_TTL_SECONDS', 60, 1),
    cacheL1MaxEntries: integer(env, 'CACHE_L1_MAX_ENTRIES', 10_000),
    cacheL1MaxBytes: integer(env, 'CACHE_L1_MAX_BYTES', 128 * 1024 * 1024, 1024),
    cacheGenerationTtlSeconds: integer(env, 'CACHE_GENERATION_TTL_SECONDS', 24 * 3600, 60),
    idempotencyTtlSeconds: integer(env, 'IDEMPOTENCY_TTL_SECONDS', 24 * 3600, 1),
    jwtSecret,
    jwtMaxLifetimeSeconds: integer(env, 'JWT_MAX_LIFETIME_SECONDS', 31 * 24 * 3600, 1),
    jwtClockSkewSeconds: integer(env, 'JWT_CLOCK_SKEW_SECONDS', 60),
    jwtCacheMaxEntries: integer(env, 'JWT_CACHE_MAX_ENTRIES', 10_000),
    trustedProxyHops: integer(env, 'TRUSTED_PROXY_HOPS', 0),
    requestBodyTimeoutMs: integer(env, 'REQUEST_BODY_TIMEOUT_MS', 10_000, 100),
    httpListenBacklog: integer(env, 'HTTP_LISTEN_BACKLOG', 4096, 1),
    slowRequestMs: integer(env, 'SLOW_REQUEST_MS', 1000),
    cursorSecret: env.CURSOR_SECRET ?? `cursor:${jwtSecret}`,
    logLevel: env.LOG_LEVEL ?? 'info',
    logFormat: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1),
    dbPoolQueueLimit: integer(env, 'DB_POOL_QUEUE_LIMIT', 100),
    dbAcquireTimeoutMs: integer(env, 'DB_ACQUIRE_TIMEOUT_MS', 2000, 1),
    dbConnectTimeoutMs: integer(env, 'DB_CONNECT_TIMEOUT_MS', 2000, 1),
    dbStatementTimeoutMs: integer(env, 'DB_STATEMENT_TIMEOUT_MS', 3000),
    dbClientTimeoutMarginMs: integer(env, 'DB_CLIENT_TIMEOUT_MARGIN_MS', 1000, 1),
    databaseReplicaUrls: (env.DATABASE_REPLICA_URLS ?? '')
      .split(',')
      .map((url) => url.trim())
      .filter((url) => url !== ''),
    replicaReadYourWritesMs: integer(env, 'REPLICA_READ_YOUR_WRITES_MS', 5000),
    replicaHealthIntervalMs: integer(env, 'REPLICA_HEALTH_INTERVAL_MS', 1000, 50),
    requestTimeoutMs: integer(env, 'REQUEST_TIMEOUT_MS', 5000, 100),
    inChunkSize: integer(env, 'DB_IN_CHUNK_SIZE', 1000, 1),
    maxPageSize: integer(env, 'MAX_PAGE_SIZE', 100, 1),
    searchPlanMemory: integer(env, 'SEARCH_PLAN_MEMORY', 10_000, 1),
    searchPlanTtlSeconds: integer(env, 'SEARCH_PLAN_TTL_SECONDS', 600, 1),
    maxNodesIds: integer(env, 'MAX_NODES_IDS', 100, 1),
    maxCost: integer(env, 'MAX_COST', 5000, 1),
    maxDepth: integer(env, 'MAX_DEPTH', 10, 1),
    maxAliases: integer(env, 'MAX_ALIASES', 15),
    maxTokens: integer(env, 'MAX_TOKENS', 2000, 1),
    maxDirectives: integer(env, 'MAX_DIRECTIVES', 50),
    maxDocumentBytes: integer(env, 'MAX_DOCUMENT_BYTES', 100 * 1024, 1),
    analysisCacheMaxEntries: integer(env, 'ANALYSIS_CACHE_MAX_ENTRIES', 10_000, 1),
    graphqlExecutor: oneOf(env, 'GRAPHQL_EXECUTOR', ['jit', 'graphql-js'] as const, 'jit'),
    planCacheMaxEntries: integer(env, 'PLAN_CACHE_MAX_ENTRIES', 1000, 1),
    planCompileAfterUses: integer(env, 'PLAN_COMPILE_AFTER_USES', 2, 1),
    rateLimitCostPerMinute: integer(env, 'RATE_LIMIT_COST_PER_MINUTE', 500_000),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 1000),
    webConcurrency: integer(env, 'WEB_CONCURRENCY', 1, 1),
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || null,
    otelServiceName: env.OTEL_SERVICE_NAME || 'clinic-graphql-gateway',
    metricsMaxOperationNames: integer(env, 'METRICS_MAX_OPERATION_NAMES', 200),
    readinessTimeoutMs: integer(env, 'READINESS_TIMEOUT_MS', 1000, 1),
    devTokenTtlSeconds: integer(env, 'DEV_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 1),
    seedDemo: flag(env, 'SEED_DEMO', true),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024),
    allowApqRegistration: flag(env, 'ALLOW_APQ_REGISTRATION', mode !== 'production'),
    apqTtlSeconds: integer(env, 'APQ_TTL_SECONDS', 7 * 24 * 3600, 1),
    apqLocalMaxEntries: integer(env, 'APQ_LOCAL_MAX_ENTRIES', 10_000, 1),
    persistedDocumentsPath: env.PERSISTED_DOCUMENTS_PATH || operationsLocation(env).manifestPath,
  };
  // On a cluster the prefix's own braces would become every key's hash tag: all keys on one shard.
  if (config.redisClusterNodes.length > 0 && /[{}]/.test(config.redisKeyPrefix)) {
    throw new Error(`REDIS_KEY_PREFIX must not contain { or } with REDIS_CLUSTER_NODES (it would put every key in one slot), got "${config.redisKeyPrefix}".`);
  }
  // An entry is refused once a tag it carries has a newer generation: a generation that expired before
  // the entries fenced under it would read as 0 and let an invalidated entry back in (src/cache/redis-tier.ts).
  const longestEntry = Math.max(config.cacheFragmentTtlSeconds, config.cacheResponseTtlSeconds);
  if (config.cacheGenerationTtlSeconds <= longestEntry) {
    throw new Error(
      `CACHE_GENERATION_TTL_SECONDS must be longer than every cache entry lives (CACHE_FRAGMENT_TTL_SECONDS and CACHE_RESPONSE_TTL_SECONDS, the longest ${longestEntry} s), got ${config.cacheGenerationTtlSeconds}.`,
    );
  }
  return config;
}
