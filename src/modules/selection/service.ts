/**
 * Selection writes: setSelections replaces a patient's picks in one event atomically. The patient row
 * is locked first, so concurrent calls for the same patient run one after the other and the last one's
 * choice is the state, never a mix; unchanged picks keep their rows and ids. Unlike the other writes,
 * a patient may make this one, for themselves only: the rule is checked here, not in
 * src/auth/policy.ts's write table. Read access (a patient sees only their own selections) stays in
 * the resolvers of Patient and Schedule, which filter rows the loaders already hold.
 */
import type { SetSelectionsInput } from '../../__generated__/resolvers-types.js';
import { requireViewer } from '../../auth/policy.js';
import { cacheTags } from '../../cache/tags.js';
import { inTransaction } from '../../db/transaction.js';
import { gatewayError } from '../../errors.js';
import { expectGlobalId, toGlobalId } from '../../relay/global-id.js';
import { eventRepository } from '../event/repository.js';
import { patientRepository } from '../patient/repository.js';
import { scheduleRepository } from '../schedule/repository.js';
import type { ServiceContext } from '../services.js';
import { boundedList } from '../validation.js';
import { selectionRepository, type SelectionRow } from './repository.js';

export const MAX_SELECTIONS = 1000;

export function selectionService(context: ServiceContext) {
  return {
    /** Returns the patient's selections of the event as they now stand (read after the commit). */
    async set(input: SetSelectionsInput): Promise<SelectionRow[]> {
      const viewer = requireViewer(context);
      const forbidden = () =>
        gatewayError('FORBIDDEN', 'Selections may be set only by the patient themselves or an admin.', {
          role: viewer.role,
        });
      if (viewer.role === 'clinician') throw forbidden();
      const patientId = expectGlobalId(input.patientId, 'Patient', 'input.patientId');
      if (viewer.role === 'patient' && viewer.patientId !== patientId) throw forbidden();
      const eventId = expectGlobalId(input.eventId, 'Event', 'input.eventId');
      boundedList(input.scheduleIds, 'input.scheduleIds', MAX_SELECTIONS);
      const chosen = [
        ...new Set(input.scheduleIds.map((id, index) => expectGlobalId(id, 'Schedule', `input.scheduleIds[${index}]`))),
      ];

      const changedSlots = await inTransaction(context.db, async (tx) => {
        if (!(await patientRepository(tx).lock(patientId))) {
          throw gatewayError('NOT_FOUND', `Patient ${input.patientId} does not exist.`, { id: input.patientId });
        }
        if (!(await eventRepository(tx).exists(eventId))) {
          throw gatewayError('NOT_FOUND', `Event ${input.eventId} does not exist.`, { id: input.eventId });
        }
        if (chosen.length > 0) {
          const ofEvent = new Set(
            (await scheduleRepository(tx).eventsOf(chosen)).filter((row) => row.eventId === eventId).map((row) => row.id),
          );
          const foreign = chosen.filter((id) => !ofEvent.has(id));
          if (foreign.length > 0) {
            throw gatewayError(
              'BAD_USER_INPUT',
              `Field "input.scheduleIds" holds ${foreign.length} schedule(s) that are not slots of event ${input.eventId}: ` +
                `${foreign.slice(0, 5).map((id) => toGlobalId('Schedule', id)).join(', ')}${foreign.length > 5 ? ', …' : ''}.`,
              { field: 'input.scheduleIds', scheduleIds: foreign.map((id) => toGlobalId('Schedule', id)) },
            );
          }
        }
        const selections = selectionRepository(tx);
        const existing = await selections.ofPatientInEvent(patientId, eventId);
        const keep = new Set(chosen);
        const dropped = existing.filter((row) => !keep.has(row.scheduleId)).map((row) => row.id);
        const had = new Set(existing.map((row) => row.scheduleId));
        const added = chosen.filter((id) => !had.has(id));
        if (dropped.length > 0) await selections.deleteByIds(dropped);
        if (added.length > 0) await selections.insertMany(patientId, eventId, added, new Date());
        return [...existing.filter((row) => !keep.has(row.scheduleId)).map((row) => row.scheduleId), ...added];
      });
      const loaders = await context.committed([
        // Selection rows carry this tag, so removed picks go too.
        cacheTags.patientSelections(patientId),
        cacheTags.eventParticipants(eventId),
        ...changedSlots.map(cacheTags.scheduleSelections),
        cacheTags.absent('Selection'),
      ]);
      return loaders.selection.byPatient.load({ patientId, eventId });
    },
  };
}
