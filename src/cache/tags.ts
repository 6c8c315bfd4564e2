/**
 * Cache tag names. A tag names one entity (`Patient:42`) or one list whose
 * membership, order or count a write can change (`Patient:42.records`,
 * `patients`). Fragments and responses are stored under the tags of
 * everything they hold; a mutation invalidates the tags it touched.
 *
 * Child rows carry their parent list's tag too (a record row is tagged
 * `Patient:42.records`), so deleting a parent invalidates its children
 * without listing their ids.
 *
 * Lists of immutable rows (an event's slots, a slot's or a patient's
 * selections) carry only the list's own tag, not one per row. Those rows are
 * never updated, only created and deleted, and every write that creates or
 * deletes one invalidates every list it belongs to (createEvent/deleteEvent,
 * setSelections, deletePatient). A per-row tag could only ever fire together
 * with the list's tag, so it would add nothing. It would, however, cost one
 * tag per row on every entry: an event page of 100 slots with 2,000
 * selections was tagged about 2,350 times, and every fill after a write paid
 * for each tag in Redis and in the in-process index.
 */
export const cacheTags = {
  patient: (id: number) => `Patient:${id}`,
  patients: 'patients',
  patientRecords: (patientId: number) => `Patient:${patientId}.records`,
  patientSelections: (patientId: number) => `Patient:${patientId}.selections`,
  record: (id: number) => `Record:${id}`,
  clinician: (id: number) => `Clinician:${id}`,
  event: (id: number) => `Event:${id}`,
  events: 'events',
  eventSchedules: (eventId: number) => `Event:${eventId}.schedules`,
  eventParticipants: (eventId: number) => `Event:${eventId}.participants`,
  schedule: (id: number) => `Schedule:${id}`,
  scheduleSelections: (scheduleId: number) => `Schedule:${scheduleId}.selections`,
  selection: (id: number) => `Selection:${id}`,
  /**
   * Carried by every cached "no such row" answer of a type: a creation of
   * that type invalidates it, since the new row's id was not known in advance.
   */
  absent: (type: 'Patient' | 'Record' | 'Event' | 'Schedule' | 'Selection' | 'Clinician') => `${type}:absent`,
} as const;

/** The tags of one row of each kind: its own, plus its parent list's. */
export const rowTags = {
  patient: (row: { id: number }) => [cacheTags.patient(row.id)],
  record: (row: { id: number; patientId: number }) => [cacheTags.record(row.id), cacheTags.patientRecords(row.patientId)],
  clinician: (row: { id: number }) => [cacheTags.clinician(row.id)],
  event: (row: { id: number }) => [cacheTags.event(row.id)],
  schedule: (row: { id: number; eventId: number }) => [cacheTags.schedule(row.id), cacheTags.eventSchedules(row.eventId)],
  selection: (row: { id: number; patientId: number; scheduleId: number }) => [
    cacheTags.selection(row.id),
    cacheTags.patientSelections(row.patientId),
    cacheTags.scheduleSelections(row.scheduleId),
  ],
} as const;

/** `own` plus the tags of every row in `rows`, without repeats. */
export function listTags<R>(own: readonly string[], rows: readonly R[], tagsOfRow: (row: R) => readonly string[]): string[] {
  const all = new Set(own);
  for (const row of rows) for (const tag of tagsOfRow(row)) all.add(tag);
  return [...all];
}
