/**
 * `npm start` (after src/cli/bootstrap.mjs): connects to MySQL, applies the
 * migrations, seeds the demo data when the database is empty, serves, and
 * shuts down gracefully on SIGTERM/SIGINT.
 *
 * With WEB_CONCURRENCY=N (N > 1) this process becomes a node:cluster primary:
 * it migrates and seeds once, then forks N workers that share the port (the
 * primary hands out connections round-robin). A worker that dies is replaced;
 * SIGTERM/SIGINT is passed to every worker, each shuts down gracefully, and the
 * primary exits 0 once all have (1 if any failed to).
 */
import cluster from 'node:cluster';
import net from 'node:net';
import { signDevelopmentToken } from './auth/token.js';
import { loadConfig } from './config.js';
import { connectDatabase, migrateDatabase, poolOptionsOf } from './db/client.js';
import { connectReplicas } from './db/replicas.js';
import { createLogger, prettyLogs } from './logger.js';
import { connectRedis } from './redis/client.js';
import { DEMO_SEED, isDatabaseEmpty, seedDatabase } from './seed/seed.js';
import { createGateway } from './server.js';
import { startTracing } from './telemetry/tracing.js';

const config = loadConfig();
const logger = createLogger(config.logLevel, undefined, { pretty: prettyLogs(config) });

/** A reason not to start that the person starting the gateway can act on: printed as a sentence, not logged as JSON. */
class StartupRefusal extends Error {}

function unreachable(error: Error): Error {
  return new StartupRefusal(
    `Cannot reach MySQL at ${redact(config.databaseUrl)} (${error.message}). ` +
      'Start MySQL 8 or MariaDB 10.11 there, set DATABASE_URL, or run `docker compose up -d mysql redis`.',
  );
}

function portTaken(): StartupRefusal {
  return new StartupRefusal(
    `Port ${config.port} on ${config.host} is already in use, probably by a gateway that is still running: ` +
      'stop it, or start this one with PORT set to a free port.',
  );
}

/**
 * Refuses to start, before any migration, when the port is taken: a probe listens on it and lets it go.
 * (A process could still take the port between the probe and the real listen; that listen's error says the same.)
 */
async function ensurePortFree(): Promise<void> {
  if (config.port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? portTaken() : error));
    probe.listen({ port: config.port, host: config.host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Migrations and the demo seed, once per deployment start, on a connection without the serving limits. */
async function prepareDatabase(): Promise<void> {
  const database = await connectDatabase(config.databaseUrl, { poolSize: 2, connectTimeoutMs: config.dbConnectTimeoutMs }).catch(
    (error: Error) => {
      throw unreachable(error);
    },
  );
  try {
    await migrateDatabase(database);
    logger.info({ database: database.databaseName }, 'migrations applied');
    if (!config.seedDemo) return;
    if (await isDatabaseEmpty(database.pool)) {
      const summary = await seedDatabase(database.pool, DEMO_SEED);
      logger.info({ rows: summary }, 'seeded the demo data set into the empty database');
    } else {
      logger.info({ database: database.databaseName }, 'the database already holds data: kept as it is, no demo seed');
    }
  } finally {
    await database.close();
  }
}

/** Fast consecutive worker deaths after which the primary gives up (e.g. the port is taken). */
const MAX_WORKER_CRASHES = 5;
/** A worker that lives shorter than this counts as a start-up crash. */
const WORKER_CRASH_WINDOW_MS = 5000;

async function runPrimary(): Promise<void> {
  await ensurePortFree();
  await prepareDatabase();
  let stopping = false;
  let failed = false;
  let crashes = 0;
  const startedAt = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
  };
  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (stopping) {
      if (code !== 0) failed = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info({ failed }, 'all workers stopped');
        process.exit(failed ? 1 : 0);
      }
      return;
    }
    crashes = lived < WORKER_CRASH_WINDOW_MS ? crashes + 1 : 0;
    if (crashes >= MAX_WORKER_CRASHES) {
      logger.fatal({ crashes }, 'workers keep dying at start; stopping');
      process.exit(1);
    }
    logger.error({ worker: worker.process.pid, code, signal }, 'worker died; starting another');
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'passing the signal to every worker');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  logger.info({ workers: config.webConcurrency }, 'cluster primary: forking workers');
  for (let index = 0; index < config.webConcurrency; index += 1) fork();
}

async function serve(): Promise<void> {
  // In a cluster the primary has checked the port and prepared the database already.
  if (!cluster.isWorker) {
    await ensurePortFree();
    await prepareDatabase();
  }
  const database = await connectDatabase(config.databaseUrl, poolOptionsOf(config)).catch((error: Error) => {
    throw unreachable(error);
  });

  const redis = await connectRedis(config, logger);
  const replicas = await connectReplicas(config, logger);
  const stopTracing = await startTracing({ otlpEndpoint: config.otlpEndpoint, serviceName: config.otelServiceName });
  const gateway = await createGateway({ config, database, logger, redis, replicas });
  const { url } = await gateway.listen().catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE' ? portTaken() : error;
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: readiness 503, finishing in-flight requests');
    gateway
      .shutdown()
      .then(stopTracing)
      .then(
        () => {
          logger.info('shutdown complete');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  logger.info({ url, pid: process.pid }, 'gateway ready');
  // One banner per deployment, not one per worker.
  if (config.nodeEnv !== 'production' && (!cluster.isWorker || cluster.worker?.id === 1)) {
    const token = await signDevelopmentToken(config.jwtSecret, config.devTokenTtlSeconds);
    process.stdout.write(
      [
        '',
        `  GraphQL endpoint:  ${url}`,
        `  Apollo Sandbox:    open ${url} in a browser`,
        `  GraphiQL (offline): ${url.replace(/\/graphql$/, '/graphiql')} (the token below is pre-filled)`,
        `  Development token (admin, ${Math.round(config.devTokenTtlSeconds / 86400)} days), paste as a header:`,
        `    Authorization: Bearer ${token}`,
        `  Other roles:       npm run token -- --role clinician|patient [--patient <global id>]`,
        '',
      ].join('\n') + '\n',
    );
  }
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

const main = config.webConcurrency > 1 && cluster.isPrimary ? runPrimary : serve;
main().catch((error: unknown) => {
  if (error instanceof StartupRefusal) process.stderr.write(`${error.message}\n`);
  else logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
});
