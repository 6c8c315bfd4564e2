/**
 * The HTTP server: Express 5 with Apollo Server 5 on /graphql, and the
 * operational endpoints /healthz, /readyz and /metrics. Owns request ids,
 * per-request SQL traces, body limits and graceful shutdown.
 *
 * Example:
 *   const gateway = await createGateway({ config, database, logger });
 *   const { url } = await gateway.listen();
 *   ...
 *   await gateway.shutdown(); // readiness 503, in-flight requests finish, pool closed
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type ErrorRequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { createCache, type Cache, type CacheHooks } from './cache/cache.js';
import type { Config } from './config.js';
import { createContextFactory, type ContextFactory, type GatewayContext } from './context.js';
import { migrationsApplied, type Database } from './db/client.js';
import { watchReplicas, type ReplicaHealth } from './db/replicas.js';
import { sendError } from './errors.js';
import { verifyBody } from './http/body.js';
import { clientAddress } from './http/client-address.js';
import { graphqlHandler, InFlight } from './http/graphql-handler.js';
import { safeError, safeRequest, type Logger } from './logger.js';
import { resolvers } from './modules/resolvers.js';
import { createErrorFormatter, useErrorMasking } from './plugins/errors.js';
import {
  createMySqlIdempotencyStore,
  createRedisIdempotencyStore,
  useIdempotency,
} from './plugins/idempotency.js';
import { useIntrospectionAuth } from './plugins/introspection-auth.js';
import { useOperationLimits } from './plugins/limits.js';
import { useOperationChecks } from './plugins/operation-checks.js';
import { usePersistedDocuments, type PersistedDocument } from './plugins/persisted-documents.js';
import { createApqStore } from './persisted/apq-store.js';
import { exampleOperations, loadManifest } from './persisted/manifest.js';
import { createGraphiqlHandler } from './plugins/graphiql.js';
import { signDevelopmentToken } from './auth/token.js';
import { createRateBudget } from './plugins/rate-budget.js';
import { stringifyResult, useResponseCache } from './plugins/response-cache.js';
import type { Redis } from './redis/client.js';
import { useSqlCountHeader } from './plugins/sql-count.js';
import { usePrometheusMetrics } from './plugins/metrics.js';
import { traceGraphqlRequests, useTracing } from './plugins/tracing.js';
import { buildSchema } from './schema.js';
import { createExecutionGateway, type ExecutionGateway } from './execution/executor.js';

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

const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export async function createGateway({ config, database, logger, redis, cacheHooks, replicas = [] }: GatewayOptions): Promise<Gateway> {
  const production = config.nodeEnv === 'production';
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const rateBudget = createRateBudget({ redis, keyPrefix: config.redisKeyPrefix, costPerMinute: config.rateLimitCostPerMinute });
  const cache = createCache({ config, redis, logger, metrics, ...(cacheHooks ? { hooks: cacheHooks } : {}) });
  logger.info({ mode: cache.mode }, `cache: ${cache.mode === 'redis' ? 'Redis shared tier' : cache.mode === 'local' ? 'in-process only' : 'off'}`);
  const app = express();
  app.disable('x-powered-by');
  // Slow clients (one byte a second) cannot hold connections: headers and body must have arrived within
  // REQUEST_BODY_TIMEOUT_MS, or Node answers 408 and closes. Node checks at `connectionsCheckingInterval`
  // (30 s by default, which would let a trickle run four times the timeout), so it checks often enough here.
  const httpServer = http.createServer(
    {
      requestTimeout: config.requestBodyTimeoutMs,
      headersTimeout: config.requestBodyTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestBodyTimeoutMs / 10))),
    },
    app,
  );
  // Requests Node refuses before any handler (headers over 16 KB, a malformed request line, a body or headers
  // slower than REQUEST_BODY_TIMEOUT_MS) get a JSON error with a code, like every other refusal, not an empty body.
  httpServer.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const message =
      status === 431
        ? 'The request headers (the URL included) are too large; send long variables in a POST body.'
        : status === 408
          ? `The request's headers and body did not arrive within ${config.requestBodyTimeoutMs} ms.`
          : 'The request is not valid HTTP.';
    const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      // A trickling client keeps its side open: the connection is closed once the answer is out.
      () => socket.destroy(),
    );
  });
  let shuttingDown = false;
  let stopped: Promise<void> | undefined;
  // Executions still running, including those whose client has gone: the pool closes after the last one.
  const inFlight = new InFlight();
  const deadlinesMissed = new Counter({
    name: 'gateway_request_deadline_exceeded_total',
    help: 'Requests answered SERVICE_UNAVAILABLE at REQUEST_TIMEOUT_MS while their execution still ran.',
    registers: [metrics],
  });

  const persistedDocuments = usePersistedDocuments({
    manifest: loadManifest(config.persistedDocumentsPath),
    store: createApqStore({
      redis,
      keyPrefix: config.redisKeyPrefix,
      ttlSeconds: config.apqTtlSeconds,
      localMaxEntries: config.apqLocalMaxEntries,
      logger,
    }),
    trustedOnly: production,
    allowRegistration: config.allowApqRegistration,
  });

  const schema = buildSchema(resolvers);
  const execution = createExecutionGateway(schema, {
    engine: config.graphqlExecutor,
    maxPlans: config.planCacheMaxEntries,
    compileAfterUses: config.planCompileAfterUses,
  });
  const apollo = new ApolloServer<GatewayContext>({
    // Execution is ours (src/execution/executor.ts): a compiled plan per document, graphql-js as the fallback.
    gateway: execution,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    // Apollo's own log lines (an unexpected error while processing a request) go through the same rules.
    logger,
    formatError: createErrorFormatter({ hideSuggestions: production }),
    // Apollo's JSON, except that a response-cache hit's data is written as the cached text (no parse, no stringify).
    stringifyResult,
    // CSRF prevention (Apollo's rule) and APQ are decided with the document, before Apollo (src/http/graphql-request.ts).
    csrfPrevention: false,
    persistedQueries: false,
    // The lexer stops counting here, before any syntax tree is built (useOperationLimits reports it).
    parseOptions: { maxTokens: config.maxTokens },
    // src/main.ts owns SIGTERM/SIGINT: readiness first, then this server's stop, then the pool.
    stopOnTerminationSignals: false,
    plugins: [
      // The cache policy comes from the SDL's @cacheControl hints through useOperationLimits' analysis,
      // once per operation; Apollo's own plugin would run a hook on every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: config.shutdownGraceMs }),
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      // Client mistakes graphql-js would only meet while executing: BAD_REQUEST before anything runs.
      useOperationChecks(),
      useIntrospectionAuth(),
      useOperationLimits({
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
      useErrorMasking(logger),
      // Before useResponseCache: registers an APQ document in responseForOperation, after the limits accepted it.
      persistedDocuments.plugin,
      useSqlCountHeader({ enabled: !production }),
      useResponseCache({ cache, maxTtlSeconds: config.cacheResponseTtlSeconds, exposeStats: !production }),
      useIdempotency({
        store: redis
          ? createRedisIdempotencyStore(redis, config.redisKeyPrefix)
          : createMySqlIdempotencyStore(),
        ttlSeconds: config.idempotencyTtlSeconds,
      }),
      // Last: their willSendResponse reads the error codes and status the plugins above settled.
      usePrometheusMetrics({
        registry: metrics,
        poolStats: () => database.poolStats(),
        maxOperationNames: config.metricsMaxOperationNames,
      }),
      useTracing(),
    ],
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
  const createContext = createContextFactory(database, config, cache, {
    replicas,
    replicaHealth,
    redis,
  });

  app.use(
    pinoHttp({
      logger,
      // The logger's own rules (src/logger.ts): no query strings, headers, bound SQL values.
      serializers: { req: safeRequest, err: safeError },
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID_PATTERN.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' || req.url === '/metrics' },
    }),
  );

  // Once shutdown has begun, every response asks its client to reconnect (to another instance).
  app.use((_req, res, next) => {
    if (shuttingDown) res.setHeader('connection', 'close');
    next();
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
    // Development only: an offline GraphiQL with the development token and the operations/ examples.
    const token = await signDevelopmentToken(config.jwtSecret, config.devTokenTtlSeconds);
    app.use(
      '/graphiql',
      createGraphiqlHandler({
        endpoint: '/graphql',
        headers: { Authorization: `Bearer ${token}` },
        tabs: exampleOperations(path.dirname(config.persistedDocumentsPath)),
      }),
    );
  }

  app.use(
    '/graphql',
    // Its operation span, when tracing is on.
    traceGraphqlRequests(),
    express.json({ limit: config.bodyLimitBytes, verify: verifyBody }),
    persistedDocuments.middleware,
    graphqlHandler(apollo, {
      context: ({ req, res }) =>
        createContext({
          authorization: req.headers.authorization,
          requestId: String(req.id),
          persistedDocument: (res.locals as { persistedDocument?: PersistedDocument }).persistedDocument,
          clientAddress: clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for'], config.trustedProxyHops),
        }),
      deadlineMs: config.requestTimeoutMs,
      inFlight,
      onDeadline: (req) => {
        deadlinesMissed.inc();
        req.log.warn({ deadlineMs: config.requestTimeoutMs }, 'request missed its deadline: answered 503');
      },
    }),
  );

  const handleBodyErrors: ErrorRequestHandler = (error: { status?: number; type?: string; message?: string }, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error.status === 413) return sendError(res, 'BAD_REQUEST', `The request body is larger than ${config.bodyLimitBytes} bytes.`, { status: 413 });
    // Refused by verifyBody (src/http/body.ts): not UTF-8, not an object, nested too deep; it says why.
    if (error.type === 'gateway.body.refused' && error.status && error.status < 500) {
      return sendError(res, 'BAD_REQUEST', String(error.message), { status: error.status });
    }
    if (error.type === 'entity.parse.failed') return sendError(res, 'BAD_REQUEST', 'The request body is not valid JSON.');
    if (error.type === 'charset.unsupported') {
      return sendError(res, 'BAD_REQUEST', 'The request body must be UTF-8 JSON (application/json; charset=utf-8).', { status: 415 });
    }
    if (error.type === 'encoding.unsupported') {
      return sendError(res, 'BAD_REQUEST', 'Content-Encoding must be identity, gzip, deflate or br.', { status: 415 });
    }
    if (error.status && error.status < 500) return sendError(res, 'BAD_REQUEST', 'The request body could not be read.', { status: error.status });
    req.log.error({ err: error }, 'request failed outside GraphQL');
    return sendError(res, 'INTERNAL_SERVER_ERROR', 'Internal server error.');
  };
  app.use(handleBodyErrors);

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
        httpServer.listen(config.port, config.host, () => {
          const { port } = httpServer.address() as AddressInfo;
          resolve({ url: `http://${config.host}:${port}/graphql`, port });
        });
      }),
    shutdown: () =>
      (stopped ??= (async () => {
        shuttingDown = true;
        // Still accepting, answering /readyz with 503, so load balancers stop sending first.
        if (httpServer.listening && config.shutdownDrainMs > 0) {
          await new Promise((resolve) => setTimeout(resolve, config.shutdownDrainMs));
        }
        // The drain plugin closes the listener and idle connections, gives in-flight requests
        // SHUTDOWN_GRACE_MS, then cuts what is left.
        await apollo.stop();
        // Executions whose clients left (or missed their deadline) still need the pool.
        const settled = await inFlight.settled(config.shutdownGraceMs);
        if (!settled) logger.warn({ running: inFlight.size }, 'shutdown: executions still running after the grace period');
        await database.close();
        replicaHealth.stop();
        await Promise.all(replicas.map((replica) => replica.close()));
        await cache.close();
        if (redis) await redis.quit().catch(() => redis.disconnect());
      })()),
  };
}
