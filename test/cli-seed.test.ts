/**
 * `npm run db:seed` as a user runs it (src/cli/seed.ts through tsx) on a throw-away database: an empty
 * database is seeded; one that holds data is refused unless --append or --reset says what to do with it.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_SERVER } from '../src/testing/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATABASE = `gw_test_cli_seed_${randomBytes(4).toString('hex')}`;
const SMALL = ['--patients', '3', '--records-per-patient', '1', '--events', '1', '--slots', '2', '--participants', '2', '--picks', '1', '--clinicians', '1'];

function seed(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/seed.ts', ...SMALL, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'development', DATABASE_URL: `${TEST_DATABASE_SERVER}/${DATABASE}` },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function patients(): Promise<number> {
  const connection = await mysql.createConnection(`${TEST_DATABASE_SERVER}/${DATABASE}`);
  try {
    const [[row]] = (await connection.query('SELECT COUNT(*) AS n FROM patients')) as unknown as [[{ n: number }]];
    return Number(row!.n);
  } finally {
    await connection.end();
  }
}

afterAll(async () => {
  const admin = await mysql.createConnection(TEST_DATABASE_SERVER);
  await admin.query(`DROP DATABASE IF EXISTS \`${DATABASE}\``);
  await admin.end();
});

describe('npm run db:seed', () => {
  it('seeds an empty database, refuses a non-empty one without --append or --reset, and does what each says', async () => {
    const first = seed();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`seeded ${DATABASE}: clinicians=1 patients=3`);

    const again = seed();
    expect(again.status).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toContain(`db:seed: ${DATABASE} already holds 3 patients, 3 records and 1 events. Add --append`);
    expect(await patients()).toBe(3);

    const appended = seed('--append');
    expect(appended.status, appended.stderr).toBe(0);
    expect(appended.stderr).toContain('appending');
    expect(await patients()).toBe(6);

    const reset = seed('--reset');
    expect(reset.status, reset.stderr).toBe(0);
    expect(await patients()).toBe(3);

    const both = seed('--reset', '--append');
    expect(both.status).toBe(2);
    expect(both.stderr).toContain('--reset and --append contradict each other');
  });
});
