/**
 * The gateway, put together: the HTTP front (src/http/front.ts: /graphql on
 * node:http, Express for health, readiness, metrics and GraphiQL), the Apollo
 * pipeline (src/pipeline.ts) with its stages, the execution (compiled plans,
 * src/execution/executor.ts), the request context, and the lifecycle
 * (src/lifecycle.ts: readiness, drain, in-flight executions, pools).
 *
 * Example:
 *   const gateway = await createGateway({ config, database, logger, redis });
 *   const { url } = await gateway.listen();
 *   ...
 *   await gateway.shutdown(); // readiness 503, in-flight requests finish, pool closed
 */
import type http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express from 'express';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { signDevelopmentToken } from './auth/token.js';
import { createCache, type Cache, type CacheHooks } from './cache/cache.js';
import type { Config } from './config.js';
import { createContextFactory, type ContextFactory, type GatewayContext } from './context.js';
import { migrationsApplied, type Database } from './db/client.js';
import { watchReplicas, type ReplicaHealth } from './db/replicas.js';
import { createExecutionGateway, type ExecutionGateway } from './execution/executor.js';
import { clientAddress } from './http/client-address.js';
import { createHttpFront } from './http/front.js';
import { graphqlHandler, InFlight } from './http/graphql-handler.js';
import type { GraphqlRequestRules } from './http/graphql-request.js';
import { createLifecycle } from './lifecycle.js';
import { prettyLogs, type Logger } from './logger.js';
import { resolvers } from './modules/resolvers.js';
import { createApqStore } from './persisted/apq-store.js';
import { exampleOperations, loadManifest } from './persisted/manifest.js';
import { createPipeline } from './pipeline.js';
import { createErrorFormatter, useErrorMasking } from './plugins/errors.js';
import { createGraphiqlHandler } from './plugins/graphiql.js';
import { useDevelopmentLandingPage } from './plugins/landing-page.js';
import { createMySqlIdempotencyStore, createRedisIdempotencyStore, useIdempotency } from './plugins/idempotency.js';
import { useIntrospectionAuth } from './plugins/introspection-auth.js';
import { useOperationLimits } from './plugins/limits.js';
import { useLargeBodies } from './plugins/large-bodies.js';
import { usePrometheusMetrics } from './plugins/metrics.js';
import { useOperationChecks } from './plugins/operation-checks.js';
import { usePersistedDocuments } from './plugins/persisted-documents.js';
import { createRateBudget } from './plugins/rate-budget.js';
import { useResponseCache } from './plugins/response-cache.js';
import { useSqlCountHeader } from './plugins/sql-count.js';
import { traceGraphqlRequests, useTracing } from './plugins/tracing.js';
import type { Redis } from './redis/client.js';
import { buildSchema } from './schema.js';

export interface GatewayOptions {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** Shared state across instances; null runs on MySQL and in-process fallbacks. */
  readonly redis: Redis | null;
  /** Test-only hooks into the cache's load path. */
  readonly cacheHooks?: CacheHooks;
  /** Read replicas (src/db/replicas.ts connectReplicas); closed with the gateway. */
  readonly replicas?: readonly Database[];
}

export interface Gateway {
  readonly apollo: ApolloServer<GatewayContext>;
  /** How documents execute: compiled plans, graphql-js as the fallback (src/execution/executor.ts). */
  readonly execution: ExecutionGateway;
  readonly httpServer: http.Server;
  readonly createContext: ContextFactory;
  /** Which read replicas answer (probed every REPLICA_HEALTH_INTERVAL_MS). */
  readonly replicaHealth: ReplicaHealth;
  readonly cache: Cache;
  /** The Prometheus registry served on /metrics. */
  readonly metrics: Registry;
  listen(): Promise<{ url: string; port: number }>;
  /** Readiness turns 503 at once; in-flight requests get the grace period; then the pool closes. */
  shutdown(): Promise<void>;
}

/**
 * The host of a URL a browser on this machine can open for a listening address: `HOST=0.0.0.0` (or `::`)
 * listens everywhere, but `http://0.0.0.0:4000` is no address to visit, so the banner says `localhost`.
 *
 *   browsableHost('0.0.0.0')   // 'localhost'
 *   browsableHost('::1')       // '[::1]'
 *   browsableHost('127.0.0.1') // '127.0.0.1'
 */
export function browsableHost(host: string): string {
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '[::]') return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function createGateway({ config, database, logger, redis, cacheHooks, replicas = [] }: GatewayOptions): Promise<Gateway> {
  const production = config.nodeEnv === 'production';
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const cache = createCache({ config, redis, logger, metrics, ...(cacheHooks ? { hooks: cacheHooks } : {}) });
  logger.info({ mode: cache.mode }, `cache: ${cache.mode === 'redis' ? 'Redis shared tier' : cache.mode === 'local' ? 'in-process only' : 'off'}`);
  // Executions still running, including those whose client has gone: the pool closes after the last one.
  const inFlight = new InFlight();
  const app = express();
  app.disable('x-powered-by');
  let shuttingDown = false;
  const front = createHttpFront({ config, logger, app, isShuttingDown: () => shuttingDown, logEveryRequest: prettyLogs(config) });
  const httpServer = front.server;

  const rules: GraphqlRequestRules = {
    manifest: loadManifest(config.persistedDocumentsPath),
    store: createApqStore({ redis, keyPrefix: config.redisKeyPrefix, ttlSeconds: config.apqTtlSeconds, localMaxEntries: config.apqLocalMaxEntries, logger }),
    trustedOnly: production,
    allowRegistration: config.allowApqRegistration,
  };
  const execution = createExecutionGateway(buildSchema(resolvers), {
    engine: config.graphqlExecutor,
    maxPlans: config.planCacheMaxEntries,
    compileAfterUses: config.planCompileAfterUses,
  });
  const rateBudget = createRateBudget({ redis, keyPrefix: config.redisKeyPrefix, costPerMinute: config.rateLimitCostPerMinute });
  const apollo = createPipeline({
    gateway: execution,
    production,
    logger,
    maxTokens: config.maxTokens,
    formatError: createErrorFormatter({ hideSuggestions: production }),
    stages: {
      // The cache policy comes from the SDL's @cacheControl hints through the limits stage's analysis,
      // once per operation; Apollo's own plugin would run a hook on every resolved field.
      'cache-control off': ApolloServerPluginCacheControlDisabled(),
      drain: ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      'landing page': production ? ApolloServerPluginLandingPageDisabled() : useDevelopmentLandingPage({ graphiqlPath: '/graphiql' }),
      // Client mistakes graphql-js would only meet while executing: BAD_REQUEST before anything runs.
      'operation checks': useOperationChecks(),
      'introspection auth': useIntrospectionAuth(),
      limits: useOperationLimits({
        maxCost: config.maxCost,
        maxDepth: config.maxDepth,
        maxAliases: config.maxAliases,
        maxTokens: config.maxTokens,
        maxDirectives: config.maxDirectives,
        maxDocumentBytes: config.maxDocumentBytes,
        analysisCacheMaxEntries: config.analysisCacheMaxEntries,
        exposeCost: config.nodeEnv === 'development',
        logger,
        onAccepted: (context, cost) => rateBudget.charge(context.payer, cost),
      }),
      'error masking': useErrorMasking(logger),
      'persisted documents': usePersistedDocuments(rules),
      'sql count header': useSqlCountHeader({ enabled: !production }),
      'response cache': useResponseCache({ cache, maxTtlSeconds: config.cacheResponseTtlSeconds, exposeStats: !production }),
      'large bodies': useLargeBodies(),
      idempotency: useIdempotency({
        store: redis ? createRedisIdempotencyStore(redis, config.redisKeyPrefix) : createMySqlIdempotencyStore(),
        ttlSeconds: config.idempotencyTtlSeconds,
      }),
      metrics: usePrometheusMetrics({ registry: metrics, poolStats: () => database.poolStats(), maxOperationNames: config.metricsMaxOperationNames }),
      tracing: useTracing(),
    },
  });
  await apollo.start();

  const replicasUp = new Gauge({
    name: 'gateway_db_replica_up',
    help: 'Whether each read replica answered its last health probe (1) or not (0); index as in DATABASE_REPLICA_URLS.',
    labelNames: ['replica'] as const,
    registers: [metrics],
  });
  const replicaHealth = watchReplicas(replicas, {
    intervalMs: config.replicaHealthIntervalMs,
    timeoutMs: config.readinessTimeoutMs,
    logger,
    onChange: (index, up) => replicasUp.set({ replica: String(index) }, up ? 1 : 0),
  });
  replicas.forEach((_replica, index) => replicasUp.set({ replica: String(index) }, 1));
  const createContext = createContextFactory(database, config, cache, { replicas, replicaHealth, redis });

  const deadlinesMissed = new Counter({
    name: 'gateway_request_deadline_exceeded_total',
    help: 'Requests answered SERVICE_UNAVAILABLE at REQUEST_TIMEOUT_MS while their execution still ran.',
    registers: [metrics],
  });
  const serveGraphql = graphqlHandler({
    apollo,
    rules,
    context: ({ req, requestId, persistedDocument }) =>
      createContext({
        authorization: req.headers.authorization,
        requestId,
        persistedDocument: persistedDocument ?? undefined,
        clientAddress: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxyHops),
      }),
    deadlineMs: config.requestTimeoutMs,
    bodyLimitBytes: config.bodyLimitBytes,
    inFlight,
    onDeadline: (requestId) => {
      deadlinesMissed.inc();
      logger.warn({ requestId, deadlineMs: config.requestTimeoutMs }, 'request missed its deadline: answered 503');
    },
    onError: (requestId, error) => logger.error({ requestId, err: error }, 'request failed outside GraphQL'),
  });
  const traceRequest = traceGraphqlRequests();
  front.route('/graphql', (req, res, requestId) => traceRequest(req, res, () => serveGraphql(req, res, requestId)));

  const lifecycle = createLifecycle({
    config,
    logger,
    httpServer,
    apollo,
    inFlight,
    database,
    replicas,
    replicaHealth,
    cache,
    redis,
    onShutdownStarted: () => {
      shuttingDown = true;
    },
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    if (shuttingDown) {
      res.status(503).json({ status: 'shutting down' });
      return;
    }
    try {
      const migrated = await Promise.race([
        migrationsApplied(database),
        new Promise<never>((_resolve, reject) =>
          setTimeout(() => reject(new Error('MySQL did not answer in time')), config.readinessTimeoutMs).unref(),
        ),
      ]);
      if (!migrated) {
        res.status(503).json({ status: 'unavailable', reason: 'migrations are not applied' });
        return;
      }
      res.json({ status: 'ready' });
    } catch (error) {
      res.status(503).json({ status: 'unavailable', reason: (error as Error).message });
    }
  });

  app.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.metrics());
  });

  if (!production) {
    // Development only: the site root leads a browser to the explorer (Sandbox on GET /graphql, which links
    // the offline GraphiQL when Sandbox cannot load). Production has no page at `/` (404).
    app.get('/', (_req, res) => {
      res.redirect(302, '/graphql');
    });
    // Development only: an offline GraphiQL with the development token and the operations/ examples.
    const token = await signDevelopmentToken(config.jwtSecret, config.devTokenTtlSeconds);
    app.use(
      '/graphiql',
      createGraphiqlHandler({
        endpoint: '/graphql',
        headers: { Authorization: `Bearer ${token}` },
        tabs: exampleOperations(path.dirname(config.persistedDocumentsPath)),
        logger,
      }),
    );
  }

  return {
    apollo,
    execution,
    httpServer,
    createContext,
    replicaHealth,
    cache,
    metrics,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen({ port: config.port, host: config.host, backlog: config.httpListenBacklog }, () => {
          const { port } = httpServer.address() as AddressInfo;
          resolve({ url: `http://${browsableHost(config.host)}:${port}/graphql`, port });
        });
      }),
    shutdown: lifecycle.shutdown,
  };
}
