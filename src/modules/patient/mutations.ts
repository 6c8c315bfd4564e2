/**
 * Mutations on patients: create, update under optimistic locking, delete with
 * all their records and selections in a bounded number of statements.
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { authorizeWrite } from '../../auth/policy.js';
import { cacheTags } from '../../cache/tags.js';
import type { GatewayContext } from '../../context.js';
import { inTransaction } from '../../db/transaction.js';
import { gatewayError } from '../../errors.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { email, LIMITS, notNull, pastDate, requiredText, version } from '../validation.js';
import { versionedOutcome } from '../versioning.js';
import { patientRepository, type PatientChanges } from './repository.js';

export const patientMutations: Resolvers<GatewayContext> = {
  Mutation: {
    createPatient: async (_root, { input }, context) => {
      await authorizeWrite(context, 'create', 'patients');
      const values = {
        name: requiredText(input.name, 'input.name', LIMITS.name),
        email: email(input.email, 'input.email') ?? null,
        birthDate: pastDate(input.birthDate, 'input.birthDate'),
        isActive: notNull(input.isActive, 'input.isActive') ?? true,
      };
      const row = await patientRepository(context.db).insert(values, new Date());
      // `absent`: the new id may have been asked for, and its absence cached, before it existed.
      (await context.committed([cacheTags.patients, cacheTags.absent('Patient')])).patient.byId.prime(row.id, row);
      return row;
    },

    updatePatient: async (_root, { input }, context) => {
      await authorizeWrite(context, 'update', 'patients');
      const id = expectGlobalId(input.id, 'Patient', 'input.id');
      const expectedVersion = version(input.expectedVersion, 'input.expectedVersion');
      const changes: PatientChanges = {};
      const name = notNull(input.name, 'input.name');
      if (name !== undefined) changes.name = requiredText(name, 'input.name', LIMITS.name);
      if (input.email !== undefined) changes.email = email(input.email, 'input.email') ?? null;
      const birthDate = notNull(input.birthDate, 'input.birthDate');
      if (birthDate !== undefined) changes.birthDate = pastDate(birthDate, 'input.birthDate');
      const isActive = notNull(input.isActive, 'input.isActive');
      if (isActive !== undefined) changes.isActive = isActive;

      const outcome = await inTransaction(context.db, (tx) =>
        patientRepository(tx).updateVersioned(id, expectedVersion, changes, new Date()),
      );
      const row = versionedOutcome(outcome, 'Patient', input.id, expectedVersion);
      // The list too: a changed name, birth date or isActive moves the patient in or out of filtered pages.
      (await context.committed([cacheTags.patient(row.id), cacheTags.patients])).patient.byId.prime(row.id, row);
      return row;
    },

    deletePatient: async (_root, { id }, context) => {
      await authorizeWrite(context, 'delete', 'patients');
      const patientId = expectGlobalId(id, 'Patient');
      const removed = await inTransaction(context.db, async (tx) => {
        const children = await patientRepository(tx).deleteWithChildren(patientId);
        if (!children) throw gatewayError('NOT_FOUND', `Patient ${id} does not exist.`, { id });
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
  },
};
