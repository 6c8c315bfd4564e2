/**
 * The MySQL tables of the gateway (drizzle-orm). Owns column types, keys and
 * the indexes behind every access path the repositories use; migrations in
 * drizzle/migrations are generated from this file with `npm run db:generate`.
 *
 * Only repositories (src/modules/<domain>/repository.ts) import these tables.
 *
 * Index naming: `<table>_<columns>_idx`. Each index lists the resolver path it
 * serves; test/indexes.test.ts EXPLAINs the real statements so a missing one
 * fails the suite.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  datetime,
  foreignKey,
  index,
  int,
  mediumtext,
  mysqlEnum,
  mysqlTable,
  primaryKey,
  text,
  time,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

// Row timestamps are written by the application (UTC, millisecond precision):
// keyset cursors compare them, so they must never depend on a session time zone.
const timestamp = (name: string) => datetime(name, { mode: 'date', fsp: 3 });
const id = () => bigint('id', { mode: 'number', unsigned: true }).autoincrement().primaryKey();
const foreignId = (name: string) => bigint(name, { mode: 'number', unsigned: true });

export const recordStatuses = ['PENDING', 'ACTIVE', 'CLOSED'] as const;
export const weekdays = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;

export const clinicians = mysqlTable('clinicians', {
  id: id(),
  name: varchar('name', { length: 200 }).notNull(),
  specialty: varchar('specialty', { length: 200 }),
  createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
});

export const patients = mysqlTable(
  'patients',
  {
    id: id(),
    name: varchar('name', { length: 200 }).notNull(),
    email: varchar('email', { length: 320 }),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    isActive: boolean('is_active').notNull().default(true),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    updatedAt: timestamp('updated_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    version: int('version', { unsigned: true }).notNull().default(1),
  },
  (t) => [
    // Query.patients: ORDER BY created_at DESC, id DESC (keyset) and its count.
    index('patients_created_at_id_idx').on(t.createdAt, t.id),
    // Query.patients(filter: { isActive }) keeps the keyset order inside the filter.
    index('patients_is_active_created_at_id_idx').on(t.isActive, t.createdAt, t.id),
  ],
);

export const medicalRecords = mysqlTable(
  'medical_records',
  {
    id: id(),
    patientId: foreignId('patient_id').notNull(),
    authorId: foreignId('author_id'),
    diagnosis: varchar('diagnosis', { length: 2000 }).notNull(),
    treatment: text('treatment'),
    notes: text('notes'),
    status: mysqlEnum('status', recordStatuses).notNull().default('PENDING'),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    updatedAt: timestamp('updated_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    version: int('version', { unsigned: true }).notNull().default(1),
  },
  (t) => [
    foreignKey({ name: 'medical_records_patient_fk', columns: [t.patientId], foreignColumns: [patients.id] }),
    foreignKey({ name: 'medical_records_author_fk', columns: [t.authorId], foreignColumns: [clinicians.id] }).onDelete(
      'set null',
    ),
    // Patient.records (no status): per-parent keyset page; Patient.recordCount.
    index('medical_records_patient_created_at_id_idx').on(t.patientId, t.createdAt, t.id),
    // Patient.records(status:) page and Patient.recordCount(status:).
    index('medical_records_patient_status_created_at_id_idx').on(t.patientId, t.status, t.createdAt, t.id),
    index('medical_records_author_idx').on(t.authorId),
    // Query.searchRecords(orderBy: NEWEST) on a common word: walk the newest records and test each against the
    // words, stopping at the page's end (src/modules/search/plan.ts), instead of sorting every match.
    index('medical_records_created_at_id_idx').on(t.createdAt, t.id),
    // Query.searchRecords: FULLTEXT (diagnosis, treatment, notes), named RECORD_SEARCH_INDEX below. drizzle's
    // MySQL builder cannot declare a FULLTEXT index, so migration 0002_record_search creates it in SQL.
  ],
);

/** The FULLTEXT index search runs on (migration 0002_record_search.sql): its columns, in index order. */
export const RECORD_SEARCH_INDEX = {
  name: 'medical_records_search_idx',
  columns: [medicalRecords.diagnosis, medicalRecords.treatment, medicalRecords.notes],
} as const;

/**
 * The stored generated column and FULLTEXT index of migration 0004_record_search_other_text.sql: NULL for a
 * record whose diagnosis, treatment and notes are all ASCII, else their text joined by spaces, indexed. A
 * search walk tests ASCII records with a pattern and only the others with MATCH on this index (see the
 * migration for why). Not declared on `medicalRecords`, so that record reads, which list its columns, never
 * fetch it; drizzle's MySQL builder cannot declare the FULLTEXT index anyway.
 */
export const RECORD_SEARCH_OTHER_TEXT = {
  name: 'medical_records_search_other_idx',
  column: 'search_other_text',
} as const;

export const events = mysqlTable(
  'events',
  {
    id: id(),
    title: varchar('title', { length: 200 }).notNull(),
    description: text('description'),
    organizerId: foreignId('organizer_id'),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    updatedAt: timestamp('updated_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
    version: int('version', { unsigned: true }).notNull().default(1),
  },
  (t) => [
    foreignKey({ name: 'events_organizer_fk', columns: [t.organizerId], foreignColumns: [clinicians.id] }).onDelete(
      'set null',
    ),
    // Query.events: ORDER BY created_at DESC, id DESC (keyset).
    index('events_created_at_id_idx').on(t.createdAt, t.id),
    index('events_organizer_idx').on(t.organizerId),
  ],
);

export const schedules = mysqlTable(
  'schedules',
  {
    id: id(),
    eventId: foreignId('event_id').notNull(),
    date: date('date', { mode: 'string' }).notNull(),
    day: mysqlEnum('day', weekdays).notNull(),
    time: time('time').notNull(),
  },
  (t) => [
    foreignKey({ name: 'schedules_event_fk', columns: [t.eventId], foreignColumns: [events.id] }),
    // One slot per event, date and time; also serves Event.schedules(date:) in order.
    uniqueIndex('schedules_event_date_time_uq').on(t.eventId, t.date, t.time),
    // Target of the selections (schedule_id, event_id) foreign key, which keeps
    // the denormalized selections.event_id truthful.
    uniqueIndex('schedules_id_event_uq').on(t.id, t.eventId),
  ],
);

export const selections = mysqlTable(
  'selections',
  {
    id: id(),
    patientId: foreignId('patient_id').notNull(),
    scheduleId: foreignId('schedule_id').notNull(),
    // Denormalized from schedules so participants, participantCount and
    // Patient.selections(eventId:) need no join; the composite foreign key
    // below guarantees it matches the schedule's event.
    eventId: foreignId('event_id').notNull(),
    createdAt: timestamp('created_at').notNull().default(sql`CURRENT_TIMESTAMP(3)`),
  },
  (t) => [
    foreignKey({ name: 'selections_patient_fk', columns: [t.patientId], foreignColumns: [patients.id] }),
    foreignKey({
      name: 'selections_schedule_event_fk',
      columns: [t.scheduleId, t.eventId],
      foreignColumns: [schedules.id, schedules.eventId],
    }),
    // One selection per patient and schedule; serves Patient.selections.
    uniqueIndex('selections_patient_schedule_uq').on(t.patientId, t.scheduleId),
    // Schedule.selections (ordered by id) and Schedule.selectionCount.
    index('selections_schedule_id_idx').on(t.scheduleId, t.id),
    // Backs the composite foreign key (named, so MySQL does not invent one).
    index('selections_schedule_event_idx').on(t.scheduleId, t.eventId),
    // Event.participants (keyset by patient id), participantCount, setSelections.
    index('selections_event_patient_idx').on(t.eventId, t.patientId),
  ],
);

/**
 * Idempotency keys when Redis is off: the first response of a mutation sent
 * with `Idempotency-Key`, per principal, until it expires.
 */
export const idempotencyKeys = mysqlTable(
  'idempotency_keys',
  {
    scope: varchar('scope', { length: 255 }).notNull(),
    idempotencyKey: varchar('idempotency_key', { length: 255 }).notNull(),
    fingerprint: varchar('fingerprint', { length: 64 }).notNull(),
    status: mysqlEnum('status', ['running', 'done']).notNull(),
    response: mediumtext('response'),
    expiresAt: timestamp('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pk', columns: [t.scope, t.idempotencyKey] }),
    index('idempotency_keys_expires_at_idx').on(t.expiresAt),
  ],
);
