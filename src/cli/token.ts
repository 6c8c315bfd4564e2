/**
 * `npm run token -- --role admin|clinician|patient [--patient <Patient global id>] [--subject <sub>] [--ttl <seconds>]`
 * prints a signed development bearer token (JWT_SECRET of the environment).
 */
import { parseArgs } from 'node:util';
import { ROLES, signToken, type Role } from '../auth/token.js';
import { loadConfig } from '../config.js';
import { parseGlobalId, toGlobalId } from '../relay/global-id.js';

const USAGE = `usage: npm run token -- --role admin|clinician|patient [--patient <Patient global id>] [--subject <sub>] [--ttl <seconds>]

Prints a development bearer token signed with JWT_SECRET (send it as "Authorization: Bearer <token>").
  --role      admin, clinician or patient (required)
  --patient   the patient a patient token speaks for (required with --role patient)
  --subject   the token's sub (default: dev-admin, the first clinician, or patient-<id>)
  --ttl       lifetime in seconds (default DEV_TOKEN_TTL_SECONDS)
  --help      this text`;

/** How a user without a patient id finds one (the error of --role patient alone). */
const FIND_A_PATIENT =
  '--role patient needs --patient <Patient global id>. To find one, sign an admin token (npm run token -- --role admin) ' +
  'and run { patients(first: 5) { nodes { id name } } } in the explorer at http://localhost:4000/graphql.';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        role: { type: 'string' },
        patient: { type: 'string' },
        subject: { type: 'string' },
        ttl: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const role = values.role as Role | undefined;
  if (!role || !ROLES.includes(role)) fail(`--role must be one of ${ROLES.join(', ')}.`);
  const config = loadConfig();
  const ttl = values.ttl === undefined ? config.devTokenTtlSeconds : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) fail(`--ttl must be a positive number of seconds, got "${values.ttl}".`);

  let patientId: string | undefined;
  if (role === 'patient') {
    if (values.patient === undefined) fail(FIND_A_PATIENT);
    patientId = values.patient;
    if (parseGlobalId(patientId)?.type !== 'Patient') fail(`--patient must be a Patient global id, got "${patientId}".`);
  } else if (values.patient) {
    fail('--patient goes only with --role patient.');
  }
  const sub = values.subject ?? (role === 'clinician' ? toGlobalId('Clinician', 1) : role === 'patient' ? `patient-${patientId}` : 'dev-admin');
  const token = await signToken({ role, sub, ...(patientId ? { patientId } : {}) }, config.jwtSecret, ttl);
  process.stdout.write(`${token}\n`);
}

void main();
