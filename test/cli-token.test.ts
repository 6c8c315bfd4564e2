/**
 * `npm run token` as a user runs it (src/cli/token.ts through tsx, no database): usage on --help, and a
 * patient token without a patient is refused with the way to find one.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function token(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/token.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_ENV: 'development' } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The claims of a JWT, read without verifying it (the CLI's signing is the auth tests' subject). */
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.trim().split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('npm run token', () => {
  it('--help prints the usage and every option, and exits 0', () => {
    const run = token('--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run token -- --role admin\|clinician\|patient/);
    for (const option of ['--role', '--patient', '--subject', '--ttl', '--help']) expect(run.stdout).toContain(option);
  });

  it('--role patient without --patient is an error that says how to find a patient id', () => {
    const run = token('--role', 'patient');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--role patient needs --patient <Patient global id>');
    expect(run.stderr).toContain('{ patients(first: 5) { nodes { id name } } }');
  });

  it('signs a patient token for the patient named, and refuses an id of another type', () => {
    const patient = toGlobalId('Patient', 7);
    const run = token('--role', 'patient', '--patient', patient);
    expect(run.status).toBe(0);
    expect(claimsOf(run.stdout)).toMatchObject({ role: 'patient', patientId: patient });
    const wrong = token('--role', 'patient', '--patient', toGlobalId('Event', 7));
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--patient must be a Patient global id');
  });
});
