/** `npm run db:migrate`: creates the database of DATABASE_URL if missing and applies drizzle/migrations. */
import { loadConfig } from '../config.js';
import { connectDatabase, migrateDatabase } from '../db/client.js';

const config = loadConfig();
const database = await connectDatabase(config.databaseUrl, { poolSize: 1 });
try {
  await migrateDatabase(database);
  process.stdout.write(`migrations applied to ${database.databaseName}\n`);
} finally {
  await database.close();
}
