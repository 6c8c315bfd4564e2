/**
 * Medical record writes: create (a clinician caller is the author), update under optimistic locking, and
 * delete up to MAX_DELETE_RECORDS in one statement. Each method authorizes the caller, validates the
 * input before any SQL, runs the write, and invalidates what it changed. Read access (a patient reads
 * only their own records) stays in resolvers.ts, through src/auth/policy.ts: `record(id)` filters the
 * row its loader returns, and a patient reaches `Patient.records` only through their own patient row.
 */
import type { CreateRecordInput, UpdateRecordInput } from '../../__generated__/resolvers-types.js';
import { authorizeWrite, clinicianIdOf } from '../../auth/policy.js';
import { cacheTags } from '../../cache/tags.js';
import { driverError, inTransaction } from '../../db/transaction.js';
import { gatewayError } from '../../errors.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import type { ServiceContext } from '../services.js';
import { boundedList, LIMITS, notNull, optionalText, requiredText, version } from '../validation.js';
import { versionedOutcome } from '../versioning.js';
import { recordRepository, type RecordChanges, type RecordRow } from './repository.js';

export const MAX_DELETE_RECORDS = 1000;

/** A foreign key of medical_records pointed nowhere (errno 1452 names the constraint). */
function missingParent(error: unknown, constraint: string): boolean {
  const driver = driverError(error);
  return driver?.errno === 1452 && (driver.message ?? '').includes(constraint);
}

/** Only the fields sent: an omitted field keeps its stored value. */
function recordChanges(input: UpdateRecordInput): RecordChanges {
  const changes: RecordChanges = {};
  const diagnosis = notNull(input.diagnosis, 'input.diagnosis');
  if (diagnosis !== undefined) changes.diagnosis = requiredText(diagnosis, 'input.diagnosis', LIMITS.diagnosis);
  const treatment = optionalText(input.treatment, 'input.treatment', LIMITS.longText);
  if (treatment !== undefined) changes.treatment = treatment;
  const notes = optionalText(input.notes, 'input.notes', LIMITS.longText);
  if (notes !== undefined) changes.notes = notes;
  const status = notNull(input.status, 'input.status');
  if (status !== undefined) changes.status = status;
  return changes;
}

export function recordService(context: ServiceContext) {
  return {
    async create(input: CreateRecordInput): Promise<RecordRow> {
      const viewer = await authorizeWrite(context, 'create', 'records');
      const values = {
        patientId: expectGlobalId(input.patientId, 'Patient', 'input.patientId'),
        authorId: clinicianIdOf(viewer),
        diagnosis: requiredText(input.diagnosis, 'input.diagnosis', LIMITS.diagnosis),
        treatment: optionalText(input.treatment, 'input.treatment', LIMITS.longText) ?? null,
        notes: optionalText(input.notes, 'input.notes', LIMITS.longText) ?? null,
        status: notNull(input.status, 'input.status') ?? 'PENDING',
      };
      try {
        const row = await recordRepository(context.db).insert(values, new Date());
        (await context.committed([cacheTags.patientRecords(row.patientId), cacheTags.records, cacheTags.absent('Record')])).record.byId.prime(
          row.id,
          row,
        );
        return row;
      } catch (error) {
        // The foreign keys check the patient and the author, so the insert needs no read of either first.
        if (missingParent(error, 'medical_records_patient_fk')) {
          throw gatewayError('NOT_FOUND', `Patient ${input.patientId} does not exist.`, { id: input.patientId });
        }
        if (missingParent(error, 'medical_records_author_fk')) {
          throw gatewayError('FORBIDDEN', `The token's subject ${viewer.subject} is not a known clinician.`);
        }
        throw error;
      }
    },

    async update(input: UpdateRecordInput): Promise<RecordRow> {
      await authorizeWrite(context, 'update', 'records');
      const id = expectGlobalId(input.id, 'MedicalRecord', 'input.id');
      const expectedVersion = version(input.expectedVersion, 'input.expectedVersion');
      const changes = recordChanges(input);
      const outcome = await inTransaction(context.db, (tx) =>
        recordRepository(tx).updateVersioned(id, expectedVersion, changes, new Date()),
      );
      const row = versionedOutcome(outcome, 'Record', input.id, expectedVersion);
      // A status change moves the record between the patient's filtered pages and counts.
      // The pages' content tag too: they carry no per-record tags (src/cache/tags.ts).
      const tags = [
        cacheTags.record(row.id),
        cacheTags.patientRecordContents(row.patientId),
        cacheTags.records,
        ...(changes.status ? [cacheTags.patientRecords(row.patientId)] : []),
      ];
      (await context.committed(tags)).record.byId.prime(row.id, row);
      return row;
    },

    /** Returns the global ids, in the order asked, of the records that existed and are now deleted. */
    async deleteMany(globalIds: readonly string[]): Promise<string[]> {
      await authorizeWrite(context, 'delete', 'records');
      boundedList(globalIds, 'ids', MAX_DELETE_RECORDS);
      const recordIds = [...new Set(globalIds.map((id, index) => expectGlobalId(id, 'MedicalRecord', `ids[${index}]`)))];
      if (recordIds.length === 0) return [];
      const deleted = await inTransaction(context.db, async (tx) => {
        const repository = recordRepository(tx);
        const existing = await repository.lockExisting(recordIds);
        if (existing.length > 0) await repository.deleteByIds(existing.map((row) => row.id));
        return existing;
      });
      await context.committed([
        cacheTags.records,
        ...deleted.map((row) => cacheTags.record(row.id)),
        ...new Set(deleted.map((row) => cacheTags.patientRecords(row.patientId))),
      ]);
      const deletedIds = new Set(deleted.map((row) => row.id));
      return recordIds.filter((id) => deletedIds.has(id)).map((id) => toGlobalId('MedicalRecord', id));
    },
  };
}
