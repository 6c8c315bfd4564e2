/**
 * Patient writes: create, update under optimistic locking, and delete with all their records and
 * selections in a bounded number of statements. Each method authorizes the caller, validates the input
 * before any SQL, runs the write, and invalidates what it changed. Read access (a patient reads only
 * themselves) stays in resolvers.ts: it filters rows the loaders and prefetchers already hold, and goes
 * into the list's loader key, so it is decided per field, not per call.
 */
import type { CreatePatientInput, UpdatePatientInput } from '../../__generated__/resolvers-types.js';
import { authorizeWrite } from '../../auth/policy.js';
import { cacheTags } from '../../cache/tags.js';
import { inTransaction } from '../../db/transaction.js';
import { gatewayError } from '../../errors.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import type { ServiceContext } from '../services.js';
import { email, LIMITS, notNull, pastDate, requiredText, version } from '../validation.js';
import { versionedOutcome } from '../versioning.js';
import { patientRepository, type NewPatient, type PatientChanges, type PatientRow } from './repository.js';

function newPatient(input: CreatePatientInput): NewPatient {
  return {
    name: requiredText(input.name, 'input.name', LIMITS.name),
    email: email(input.email, 'input.email') ?? null,
    birthDate: pastDate(input.birthDate, 'input.birthDate'),
    isActive: notNull(input.isActive, 'input.isActive') ?? true,
  };
}

/** Only the fields sent: an omitted field keeps its stored value, a null one is refused where the column is NOT NULL. */
function patientChanges(input: UpdatePatientInput): PatientChanges {
  const changes: PatientChanges = {};
  const name = notNull(input.name, 'input.name');
  if (name !== undefined) changes.name = requiredText(name, 'input.name', LIMITS.name);
  if (input.email !== undefined) changes.email = email(input.email, 'input.email') ?? null;
  const birthDate = notNull(input.birthDate, 'input.birthDate');
  if (birthDate !== undefined) changes.birthDate = pastDate(birthDate, 'input.birthDate');
  const isActive = notNull(input.isActive, 'input.isActive');
  if (isActive !== undefined) changes.isActive = isActive;
  return changes;
}

export function patientService(context: ServiceContext) {
  return {
    async create(input: CreatePatientInput): Promise<PatientRow> {
      await authorizeWrite(context, 'create', 'patients');
      const values = newPatient(input);
      const row = await patientRepository(context.db).insert(values, new Date());
      // `absent`: the new id may have been asked for, and its absence cached, before it existed.
      (await context.committed([cacheTags.patients, cacheTags.absent('Patient')])).patient.byId.prime(row.id, row);
      return row;
    },

    async update(input: UpdatePatientInput): Promise<PatientRow> {
      await authorizeWrite(context, 'update', 'patients');
      const id = expectGlobalId(input.id, 'Patient', 'input.id');
      const expectedVersion = version(input.expectedVersion, 'input.expectedVersion');
      const changes = patientChanges(input);
      const outcome = await inTransaction(context.db, (tx) =>
        patientRepository(tx).updateVersioned(id, expectedVersion, changes, new Date()),
      );
      const row = versionedOutcome(outcome, 'Patient', input.id, expectedVersion);
      // The list too: a changed name, birth date or isActive moves the patient in or out of filtered pages.
      (await context.committed([cacheTags.patient(row.id), cacheTags.patients])).patient.byId.prime(row.id, row);
      return row;
    },

    /** Returns the deleted patient's global id. */
    async delete(globalId: string): Promise<string> {
      await authorizeWrite(context, 'delete', 'patients');
      const patientId = expectGlobalId(globalId, 'Patient');
      const removed = await inTransaction(context.db, async (tx) => {
        const children = await patientRepository(tx).deleteWithChildren(patientId);
        if (!children) throw gatewayError('NOT_FOUND', `Patient ${globalId} does not exist.`, { id: globalId });
        return children;
      });
      await context.committed([
        cacheTags.patient(patientId),
        cacheTags.patients,
        // Record and selection rows carry these list tags, so they go too.
        cacheTags.patientRecords(patientId),
        cacheTags.records,
        cacheTags.patientSelections(patientId),
        ...removed.scheduleIds.map(cacheTags.scheduleSelections),
        ...removed.eventIds.map(cacheTags.eventParticipants),
      ]);
      return toGlobalId('Patient', patientId);
    },
  };
}
