/**
 * Cache tag names. A tag names one entity (`Patient:42`) or one list whose
 * membership, order, count or rows a write can change (`Patient:42.records`,
 * `patients`). An entry carries the tags of everything it holds; a mutation
 * invalidates the tags it touched, which makes every entry carrying one of
 * them unusable (src/cache/redis-tier.ts).
 *
 * Coarse where fine buys nothing:
 * - A page carries only its list's tags. Every write that changes a row a
 *   list shows also invalidates the list (updatePatient → `patients`,
 *   updateRecord → `Patient:<id>.recordContents`), so a per-row tag on a page
 *   could only ever fire together with the list's: it would add nothing but
 *   cost, one tag per row in the header of every entry and response holding
 *   the page. A patient's records have two list tags: `.records` for what
 *   counts see (membership, status), `.recordContents` for what only pages
 *   show, so editing a diagnosis leaves the counts cached.
 * - Schedules and selections are never updated, only created and deleted,
 *   and every write that creates or deletes one invalidates every list it
 *   belongs to (createEvent/deleteEvent, setSelections, deletePatient). Their
 *   rows read by id carry those list tags, not one of their own: an event
 *   page's response carries one tag per slot list and per patient shown,
 *   not one per selection.
 * - Rows read by id carry their own tag (`Patient:42`). A creation
 *   invalidates `<Type>:absent`, the tag of every cached "no such row".
 */
export const cacheTags = {
  patient: (id: number) => `Patient:${id}`,
  patients: 'patients',
  /** Which records a patient has and their status: what counts and record rows by id depend on. */
  patientRecords: (patientId: number) => `Patient:${patientId}.records`,
  /** What a patient's records say (diagnosis, treatment, notes, version): what pages depend on besides the above. */
  patientRecordContents: (patientId: number) => `Patient:${patientId}.recordContents`,
  patientSelections: (patientId: number) => `Patient:${patientId}.selections`,
  record: (id: number) => `Record:${id}`,
  /**
   * Every record: what search results depend on. Any record write (create, update, delete, a patient's
   * deletion) invalidates it, since it can add or remove a match anywhere and moves every relevance score.
   */
  records: 'records',
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
  absent: (type: TaggedType) => `${type}:absent`,
} as const;

/** The types whose rows are read by id (src/modules/by-id.ts) and may be cached as absent. */
export type TaggedType = 'Patient' | 'Record' | 'Event' | 'Schedule' | 'Selection' | 'Clinician';

/** The tags of a row read by id, of the kinds whose tags are not just their own (see above). */
export const rowTags = {
  record: (row: { id: number; patientId: number }) => [cacheTags.record(row.id), cacheTags.patientRecords(row.patientId)],
  schedule: (row: { eventId: number }) => [cacheTags.eventSchedules(row.eventId)],
  selection: (row: { patientId: number; scheduleId: number }) => [
    cacheTags.patientSelections(row.patientId),
    cacheTags.scheduleSelections(row.scheduleId),
  ],
} as const;
