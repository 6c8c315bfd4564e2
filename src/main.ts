/**
 * `npm start` (after src/cli/bootstrap.mjs): connects to MySQL, applies the
 * migrations, seeds the demo data when the database is empty, serves, and
 * shuts down gracefully on SIGTERM/SIGINT.
 */
import { signDevelopmentToken } from './auth/token.js';
import { loadConfig } from './config.js';
import { connectDatabase, migrateDatabase, poolOptionsOf } from './db/client.js';
import { connectReplicas } from './db/replicas.js';
import { createLogger } from './logger.js';
import { connectRedis } from './redis/client.js';
import { DEMO_SEED, isDatabaseEmpty, seedDatabase } from './seed/seed.js';
import { createGateway } from './server.js';

const config = loadConfig();
const logger = createLogger(config.logLevel);

async function main(): Promise<void> {
  const database = await connectDatabase(config.databaseUrl, poolOptionsOf(config)).catch((error: Error) => {
    throw new Error(
      `Cannot reach MySQL at ${redact(config.databaseUrl)} (${error.message}). ` +
        'Start MySQL 8 or MariaDB 10.11 there, set DATABASE_URL, or run `docker compose up -d mysql redis`.',
    );
  });
  await migrateDatabase(database);
  logger.info({ database: database.databaseName }, 'migrations applied');

  if (config.seedDemo && (await isDatabaseEmpty(database.pool))) {
    const summary = await seedDatabase(database.pool, DEMO_SEED);
    logger.info({ rows: summary }, 'seeded the demo data set into the empty database');
  }

  const redis = await connectRedis(config, logger);
  const replicas = await connectReplicas(config, logger);
  const gateway = await createGateway({ config, database, logger, redis, replicas });
  const { url } = await gateway.listen();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down: readiness 503, finishing in-flight requests');
    gateway.shutdown().then(
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

  logger.info({ url }, 'gateway ready');
  if (config.nodeEnv !== 'production') {
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

main().catch((error: unknown) => {
  logger.fatal({ err: error }, (error as Error).message);
  process.exit(1);
});
