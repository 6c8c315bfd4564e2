/**
 * `npm run db:seed -- [--patients N] [--records-per-patient R] [--events E] [--slots S] [--participants P]
 * [--picks K] [--clinicians C] [--seed X] [--reset | --append]`: creates and migrates the database of
 * DATABASE_URL, then bulk-seeds it (src/seed/seed.ts). Flags left out take the demo data set's values
 * (DEMO_SEED). A database that already holds data is refused unless --reset (empty it first) or --append
 * (add to it) says which.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.js';
import { connectDatabase, migrateDatabase } from '../db/client.js';
import { DEMO_SEED, isDatabaseEmpty, seedDatabase, validateSeedOptions, type SeedOptions } from '../seed/seed.js';

const USAGE = `usage: npm run db:seed -- [--patients N] [--records-per-patient R] [--events E] [--slots S]
                       [--participants P] [--picks K] [--clinicians C] [--seed X] [--reset | --append]
  --patients N             patients to insert (${DEMO_SEED.patients})
  --records-per-patient R  medical records per patient, at most 999 (${DEMO_SEED.recordsPerPatient})
  --events E               events to insert (${DEMO_SEED.events})
  --slots S                time slots per event: 7 days, every 15 minutes from 07:00, at most 336 (${DEMO_SEED.slots})
  --participants P         first P patients by id pick slots in every event (${DEMO_SEED.participants})
  --picks K                distinct slots each participant picks per event (${DEMO_SEED.picks})
  --clinicians C           clinicians to insert (${DEMO_SEED.clinicians})
  --seed X                 PRNG seed, 0..4294967295 (${DEMO_SEED.seed})
  --reset                  empty all tables first
  --append                 add to a database that already holds data (without either, such a database is refused)`;

const INTEGER_FLAGS = {
  patients: 'patients',
  'records-per-patient': 'recordsPerPatient',
  events: 'events',
  slots: 'slots',
  participants: 'participants',
  picks: 'picks',
  clinicians: 'clinicians',
  seed: 'seed',
} as const satisfies Record<string, keyof SeedOptions>;

function fail(message: string): never {
  process.stderr.write(`db:seed: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function parseOptions(argv: string[]): SeedOptions & { append: boolean } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        ...Object.fromEntries(Object.keys(INTEGER_FLAGS).map((name) => [name, { type: 'string' as const }])),
        reset: { type: 'boolean' },
        append: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.reset && values.append) fail('--reset and --append contradict each other: choose one.');
  const options: SeedOptions & { append: boolean } = { ...DEMO_SEED, reset: values.reset === true, append: values.append === true };
  for (const [flag, key] of Object.entries(INTEGER_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    if (!/^\d+$/.test(raw)) fail(`--${flag} must be a non-negative integer, got "${raw}".`);
    options[key] = Number(raw);
  }
  try {
    validateSeedOptions(options);
  } catch (error) {
    fail((error as Error).message);
  }
  return options;
}

function formatSummaryLine(summary: Awaited<ReturnType<typeof seedDatabase>>, databaseName: string): string {
  const tables = [
    `clinicians=${summary.clinicians}`,
    `patients=${summary.patients}`,
    `medical_records=${summary.medicalRecords}`,
    `events=${summary.events}`,
    `schedules=${summary.schedules}`,
    `selections=${summary.selections}`,
  ];
  return `seeded ${databaseName}: ${tables.join(' ')} in ${(summary.elapsedMs / 1000).toFixed(1)} s`;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const config = loadConfig();
  const database = await connectDatabase(config.databaseUrl, { poolSize: 2 });
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} [{bar}] {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    await migrateDatabase(database);
    if (!options.reset && !(await isDatabaseEmpty(database.pool))) {
      const [[held]] = (await database.pool.query(
        'SELECT (SELECT COUNT(*) FROM patients) AS patients, (SELECT COUNT(*) FROM medical_records) AS records, (SELECT COUNT(*) FROM events) AS events',
      )) as unknown as [[{ patients: number; records: number; events: number }]];
      const holds = `${database.databaseName} already holds ${held!.patients} patients, ${held!.records} records and ${held!.events} events`;
      if (!options.append) {
        process.stderr.write(`db:seed: ${holds}. Add --append to add this data set to them, or --reset to empty every table first.\n`);
        process.exitCode = 2;
        return;
      }
      process.stderr.write(`db:seed: ${holds}; appending (new rows get ids after the existing ones).\n`);
    }
    const startedAt = performance.now();
    let started = false;
    const summary = await seedDatabase(database.pool, options, (done, total, phase) => {
      const seconds = (performance.now() - startedAt) / 1000;
      const payload = { phase: phase.padEnd(15), rate: seconds > 0 ? Math.round(done / seconds) : 0 };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else {
        bar.update(done, payload);
      }
    });
    bar.stop();
    process.stdout.write(`${formatSummaryLine(summary, database.databaseName)}\n`);
  } finally {
    bar.stop();
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`db:seed: ${(error as Error).message}\n`);
  process.exit(1);
});
