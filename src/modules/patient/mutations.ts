/**
 * Mutations on patients: create, update under optimistic locking, delete with
 * all their records and selections in a bounded number of statements.
 */
import type { Resolvers } from '../../__generated__/resolvers-types.js';
import { requireViewer, requireWriteAccess } from '../../auth/policy.js';
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
      requireWriteAccess(requireViewer(context), 'create', 'patients');
      const values = {
        name: requiredText(input.name, 'input.name', LIMITS.name),
        email: email(input.email, 'input.email') ?? null,
        birthDate: pastDate(input.birthDate, 'input.birthDate'),
        isActive: notNull(input.isActive, 'input.isActive') ?? true,
      };
      const row = await patientRepository(context.db).insert(values, new Date());
      context.refreshLoaders().patient.byId.prime(row.id, row);
      return row;
    },

    updatePatient: async (_root, { input }, context) => {
      requireWriteAccess(requireViewer(context), 'update', 'patients');
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
      context.refreshLoaders().patient.byId.prime(row.id, row);
      return row;
    },

    deletePatient: async (_root, { id }, context) => {
      requireWriteAccess(requireViewer(context), 'delete', 'patients');
      const patientId = expectGlobalId(id, 'Patient');
      await inTransaction(context.db, async (tx) => {
        if (!(await patientRepository(tx).deleteWithChildren(patientId))) {
          throw gatewayError('NOT_FOUND', `Patient ${id} does not exist.`, { id });
        }
      });
      context.refreshLoaders();
      return toGlobalId('Patient', patientId);
    },
  },
};
