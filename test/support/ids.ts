/**
 * Global ids as the tests build and take apart: `gid.patient(7)` for a row's
 * global id, `rowIdOf` to read the row id back out without the gateway's own
 * parser (so a test does not trust what it checks), and `b64` to forge the
 * text of an id by hand (hostile and fuzzed ids).
 */
import { toGlobalId } from '../../src/relay/global-id.js';

/** The global id of a row, per node type. */
export const gid = {
  patient: (id: number) => toGlobalId('Patient', id),
  record: (id: number) => toGlobalId('MedicalRecord', id),
  clinician: (id: number) => toGlobalId('Clinician', id),
  event: (id: number) => toGlobalId('Event', id),
  schedule: (id: number) => toGlobalId('Schedule', id),
  selection: (id: number) => toGlobalId('Selection', id),
};

/** The row id inside a global id (`base64url("Patient:42")` → 42). */
export const rowIdOf = (globalId: string): number => Number(Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1]);

/** base64url of a text: what a global id of any text would look like (`b64('Patient:abc')`). */
export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

