/**
 * The deterministic bulk seeder: fills all six tables with synthetic clinic data for the demo (`npm start` on an
 * empty database) and for benchmarks (`npm run db:seed`).
 *
 * Rows go out as multi-row INSERTs of a few thousand rows each: one statement per row would pay a round trip,
 * a parse and a commit per row, which turns 1,000,000 medical records into many minutes instead of seconds.
 *
 * Every row is a pure function of the seed and its position: ids are assigned here (MAX(id) + n, not left to
 * AUTO_INCREMENT) so children reference parents without reading ids back, and text, dates and picks come from
 * mulberry32 generators seeded per row, never from the clock.
 */
import type { Pool, PoolConnection } from 'mysql2/promise';
import { RECORD_SEARCH_INDEX, RECORD_SEARCH_OTHER_TEXT, weekdays } from '../../drizzle/schema.js';

export interface SeedOptions {
  /** Patients to insert. */
  patients: number;
  /** Medical records per inserted patient (at most 999, so each fits in its patient's second of the timeline). */
  recordsPerPatient: number;
  /** Events to insert, each organized by a clinician. */
  events: number;
  /**
   * Time slots (schedules) per event, spread over 7 consecutive days: ceil(slots / 7) per day, the last day may
   * have fewer. Times start at 07:00 every 15 minutes, so at most 48 per day (07:00..18:45) and 336 per event.
   */
  slots: number;
  /**
   * Patients per event that pick slots: the first `participants` patients of the table by id (insertion order),
   * the same ones for every event. Must not exceed the patients in the database after this seed's patients.
   */
  participants: number;
  /** Slots each participant picks in each event: min(picks, slots) distinct slots chosen with the seeded PRNG. */
  picks: number;
  /** Clinicians to insert (30 is a realistic clinic); they author records and organize events. */
  clinicians: number;
  /** Empty all six tables first; otherwise rows are appended and ids continue. */
  reset: boolean;
  /** PRNG seed (an unsigned 32-bit integer): the same options on an empty database give the same rows. */
  seed: number;
}

/** The small data set `npm start` puts into an empty database. */
export const DEMO_SEED: SeedOptions = {
  clinicians: 5,
  patients: 200,
  recordsPerPatient: 5,
  events: 3,
  slots: 84, // 7 days x 12 slots (07:00..09:45)
  participants: 20,
  picks: 6,
  reset: false,
  seed: 1,
};

/** Rows inserted per table by one seed. */
export interface SeedSummary {
  clinicians: number;
  patients: number;
  medicalRecords: number;
  events: number;
  schedules: number;
  selections: number;
  elapsedMs: number;
}

/** Called after every batch: rows done and total over all phases, and the table being filled. */
export type SeedProgress = (done: number, total: number, phase: string) => void;

export const SLOT_DAYS = 7;
export const SLOTS_PER_DAY_MAX = 48;
export const MAX_SLOTS = SLOT_DAYS * SLOTS_PER_DAY_MAX;
export const MAX_RECORDS_PER_PATIENT = 999;

/** Start of every table's timeline on an empty database. */
const BASE_INSTANT = Date.parse('2025-01-01T00:00:00.000Z');
const FIRST_EVENT_DAY = Date.parse('2026-12-01T00:00:00.000Z');
const SECOND = 1000;
const SELECTION_SPACING_MS = 10;
const DAY = 86_400_000;
const WEEK = 7 * DAY;
const FIRST_SLOT_MINUTE = 7 * 60;
const SLOT_MINUTES = 15;
const BIRTH_FIRST_DAY = Date.parse('1930-01-01T00:00:00.000Z');
const BIRTH_DAYS = (Date.parse('2020-12-31T00:00:00.000Z') - BIRTH_FIRST_DAY) / DAY + 1;

// Sized so a statement stays far below max_allowed_packet (16 MB by default) while a round trip carries enough rows.
const ROWS_PER_STATEMENT = 5000;
const RECORDS_PER_STATEMENT = 4000;

// Salts keep the generators of different tables independent, so e.g. more events never change a patient.
const SALT_CLINICIAN = 0x1c1a1c1a;
const SALT_PATIENT = 0x9a7e3713;
const SALT_RECORD = 0x3ec0dd5;
const SALT_EVENT = 0x7e3e3e11;
const SALT_PICKS = 0x51c7a5e5;

const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Isabella', 'William', 'Mia', 'Benjamin',
  'Charlotte', 'Lucas', 'Amelia', 'Henry', 'Harper', 'Theodore', 'Evelyn', 'Jack', 'Abigail', 'Levi', 'Emily',
  'Alexander', 'Ella', 'Mateo', 'Elizabeth', 'Daniel', 'Camila', 'Michael', 'Luna', 'Mason', 'Sofia', 'Sebastian',
  'Avery', 'Ethan', 'Mila', 'Logan', 'Aria', 'Owen', 'Scarlett', 'Samuel', 'Penelope', 'Jacob', 'Layla', 'Asher',
  'Chloe', 'Aiden', 'Victoria', 'John', 'Madison', 'Joseph', 'Eleanor', 'Wyatt', 'Grace', 'David', 'Nora', 'Leo',
  'Riley', 'Hannah', 'Omar', 'Aisha', 'Kenji', 'Yuki', 'Priya', 'Arjun', 'Fatima', 'Mohammed', 'Ines', 'Tomas',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young',
  'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker',
  'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Schmidt', 'Muller', 'Rossi', 'Kowalski',
  'Novak', 'Tanaka', 'Sato', 'Kim', 'Park', 'Chen', 'Wang', 'Singh', 'Patel', 'Khan', 'Haddad', 'Silva',
];
const SPECIALTIES = [
  'General practice', 'Cardiology', 'Dermatology', 'Endocrinology', 'Gastroenterology', 'Neurology', 'Oncology',
  'Orthopedics', 'Pediatrics', 'Psychiatry', 'Pulmonology', 'Rheumatology', 'Infectious diseases',
];
const DIAGNOSES = [
  'Essential hypertension', 'Type 2 diabetes mellitus', 'Type 1 diabetes mellitus', 'Asthma',
  'Chronic obstructive pulmonary disease', 'Community-acquired pneumonia', 'Acute bronchitis',
  'Upper respiratory tract infection', 'Influenza', 'COVID-19', 'Urinary tract infection', 'Migraine without aura',
  'Tension-type headache', 'Major depressive disorder', 'Generalized anxiety disorder', 'Hypothyroidism',
  'Hyperlipidemia', 'Iron deficiency anemia', 'Atrial fibrillation', 'Heart failure with reduced ejection fraction',
  'Gastroesophageal reflux disease', 'Irritable bowel syndrome', 'Osteoarthritis of the knee',
  'Rheumatoid arthritis', 'Low back pain', 'Atopic dermatitis', 'Psoriasis', 'Allergic rhinitis',
  'Chronic kidney disease, stage 3', 'Vitamin D deficiency', 'Obstructive sleep apnea', 'Gout',
];
const TREATMENTS = [
  'Lifestyle changes: diet, exercise and weight loss; follow-up in 3 months.',
  'Started on first-line medication at a low dose; titrate according to response.',
  'Continue current medication; repeat laboratory tests in 6 weeks.',
  'Short course of antibiotics for 7 days; return if symptoms persist.',
  'Symptomatic treatment: rest, fluids and paracetamol as needed.',
  'Inhaled corticosteroid twice daily and a rescue inhaler as needed.',
  'Physiotherapy twice a week for 6 weeks.',
  'Referred to a specialist for further evaluation.',
  'Cognitive behavioural therapy; reassess in 8 weeks.',
  'Topical treatment twice daily; avoid known triggers.',
  'Dose adjusted after the latest results; monitor blood pressure at home.',
  'Supplementation for 12 weeks, then recheck levels.',
];
const NOTES = [
  'Patient tolerates treatment well.',
  'Reports mild side effects; monitoring.',
  'Missed the last appointment; reminded by phone.',
  'Family history reviewed.',
  'Discussed risks and benefits; patient agrees with the plan.',
  'Lab results within normal ranges.',
  'Symptoms improved since the last visit.',
  'Needs an interpreter at the next visit.',
];
const EVENT_KINDS = [
  'Flu vaccination day', 'Blood donation drive', 'Health screening day', 'Diabetes awareness clinic',
  'Blood pressure check day', 'Hearing test day', 'Vision screening day', 'Mental health open day',
];

/** The mulberry32 PRNG: a 32-bit state, uniform floats in [0, 1), fast and good enough for test data. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator for one row: seeding per row makes each row independent of batch sizes and of the other rows. */
function rowRandom(seed: number, salt: number, ...keys: number[]): () => number {
  let hash = (seed ^ salt) >>> 0;
  for (const key of keys) {
    hash = Math.imul(hash ^ (key >>> 0), 0x85ebca6b);
    hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
    hash = (hash ^ (hash >>> 16)) >>> 0;
  }
  return mulberry32(hash);
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for DATETIME(3) columns. */
function sqlDateTime(millis: number): string {
  const iso = new Date(millis).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

function sqlDate(millis: number): string {
  return new Date(millis).toISOString().slice(0, 10);
}

/** The slot layout of one event: day offset (0..6) and 'HH:MM:SS' of slot `index`. */
export function slotOf(index: number, slots: number): { dayOffset: number; time: string } {
  const perDay = Math.ceil(slots / SLOT_DAYS);
  const minute = FIRST_SLOT_MINUTE + (index % perDay) * SLOT_MINUTES;
  const time = `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:00`;
  return { dayOffset: Math.floor(index / perDay), time };
}

/** Throws a RangeError naming the first option that cannot be seeded. */
export function validateSeedOptions(options: SeedOptions): void {
  const counts = ['patients', 'recordsPerPatient', 'events', 'slots', 'participants', 'picks', 'clinicians'] as const;
  for (const name of counts) {
    const value = options[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be an integer >= 0, got ${value}.`);
    }
  }
  if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${options.seed}.`);
  }
  if (options.recordsPerPatient > MAX_RECORDS_PER_PATIENT) {
    throw new RangeError(
      `recordsPerPatient must be at most ${MAX_RECORDS_PER_PATIENT}, got ${options.recordsPerPatient}.`,
    );
  }
  if (options.slots > MAX_SLOTS) {
    throw new RangeError(`slots must be at most ${MAX_SLOTS} (7 days x 48 quarter hours), got ${options.slots}.`);
  }
}

/** True when there are no patients, clinicians and events: the database has never been seeded or used. */
export async function isDatabaseEmpty(pool: Pool): Promise<boolean> {
  const [rows] = await pool.query(
    'SELECT EXISTS(SELECT 1 FROM patients) OR EXISTS(SELECT 1 FROM clinicians) OR EXISTS(SELECT 1 FROM events) AS used',
  );
  return Number((rows as Array<{ used: unknown }>)[0]?.used) === 0;
}

const TABLES = ['selections', 'schedules', 'medical_records', 'events', 'patients', 'clinicians'] as const;

/**
 * Sends INSERTs on one connection with one statement in flight, so the next batch is generated and formatted while
 * the server writes the previous one.
 */
class BatchWriter {
  private inFlight: Promise<void> | null = null;

  constructor(
    private readonly connection: PoolConnection,
    private readonly onRowsWritten: (rows: number, table: string) => void,
  ) {}

  /** A buffer of rows for `table` that goes out every `rowsPerStatement` rows. */
  table(table: string, columns: readonly string[], rowsPerStatement = ROWS_PER_STATEMENT): TableBatch {
    return new TableBatch(this, table, columns, rowsPerStatement);
  }

  async insert(table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
    if (rows.length === 0) return;
    const previous = this.inFlight;
    const statement = this.connection
      .query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`, [rows])
      .then(() => this.onRowsWritten(rows.length, table));
    // The rejection is observed by the next insert or flush; this keeps it from being reported as unhandled meanwhile.
    statement.catch(() => undefined);
    this.inFlight = statement;
    if (previous) await previous;
  }

  async flush(): Promise<void> {
    const last = this.inFlight;
    this.inFlight = null;
    if (last) await last;
  }
}

class TableBatch {
  private rows: unknown[][] = [];

  constructor(
    private readonly writer: BatchWriter,
    private readonly name: string,
    private readonly columns: readonly string[],
    private readonly rowsPerStatement: number,
  ) {}

  async add(row: unknown[]): Promise<void> {
    this.rows.push(row);
    if (this.rows.length >= this.rowsPerStatement) await this.send();
  }

  /** Sends the rows still buffered. */
  async end(): Promise<void> {
    await this.send();
  }

  private async send(): Promise<void> {
    const rows = this.rows;
    this.rows = [];
    await this.writer.insert(this.name, this.columns, rows);
  }
}

async function queryNumber(connection: PoolConnection, sql: string): Promise<number> {
  const [rows] = await connection.query(sql);
  const value = Object.values((rows as Array<Record<string, unknown>>)[0] ?? {})[0];
  return value === null || value === undefined ? 0 : Number(value);
}

async function queryIds(connection: PoolConnection, sql: string, params: unknown[]): Promise<number[]> {
  const [rows] = await connection.query(sql, params);
  return (rows as Array<{ id: unknown }>).map((row) => Number(row.id));
}

/**
 * The instant every table's timeline starts from: the fixed base on an empty database, else just after the latest
 * created_at, so appended rows keep created_at increasing with id.
 */
async function timelineStart(connection: PoolConnection): Promise<number> {
  const latest = TABLES.filter((table) => table !== 'schedules')
    .map((table) => `SELECT MAX(created_at) AS latest FROM ${table}`)
    .join(' UNION ALL ');
  const [rows] = await connection.query(
    `SELECT DATE_FORMAT(MAX(latest), '%Y-%m-%dT%H:%i:%s.%fZ') AS latest FROM (${latest}) AS tables_latest`,
  );
  const text = (rows as Array<{ latest: string | null }>)[0]?.latest;
  if (!text) return BASE_INSTANT;
  const latestMillis = Date.parse(text.replace(/(\.\d{3})\d*Z$/, '$1Z'));
  return Math.max(BASE_INSTANT, Math.floor(latestMillis / SECOND) * SECOND + SECOND);
}

/** Fills the six tables as `options` describe (see SeedOptions); the connection's session settings are restored. */
export async function seedDatabase(pool: Pool, options: SeedOptions, onProgress?: SeedProgress): Promise<SeedSummary> {
  validateSeedOptions(options);
  const startedAt = performance.now();
  const summary: SeedSummary = {
    clinicians: options.clinicians,
    patients: options.patients,
    medicalRecords: options.patients * options.recordsPerPatient,
    events: options.events,
    schedules: options.events * options.slots,
    selections: options.events * options.participants * Math.min(options.picks, options.slots),
    elapsedMs: 0,
  };
  const { clinicians, patients, medicalRecords, events, schedules, selections } = summary;
  const total = clinicians + patients + medicalRecords + events + schedules + selections;
  let done = 0;
  onProgress?.(0, total, 'clinicians');

  const connection = await pool.getConnection();
  try {
    // The rows are consistent by construction, so the per-row foreign and unique key lookups are skipped;
    // TRUNCATE of a table that a foreign key references also needs foreign_key_checks off.
    await connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
    if (selections > 0) {
      const existingPatients = options.reset ? 0 : await queryNumber(connection, 'SELECT COUNT(*) FROM patients');
      if (existingPatients + options.patients < options.participants) {
        throw new RangeError(
          `participants (${options.participants}) exceeds the ${existingPatients + options.patients} patients ` +
            'the database would hold.',
        );
      }
    }
    if (options.reset) {
      for (const table of TABLES) await connection.query(`TRUNCATE TABLE ${table}`);
    }
    const writer = new BatchWriter(connection, (rows, table) => {
      done += rows;
      onProgress?.(done, total, table);
    });
    const start = await timelineStart(connection);
    const nextId = async (table: string) => (await queryNumber(connection, `SELECT MAX(id) FROM ${table}`)) + 1;

    await insertClinicians(writer, options, await nextId('clinicians'), start);
    await writer.flush();
    const clinicianIds = await queryIds(connection, 'SELECT id FROM clinicians ORDER BY id LIMIT 10000', []);

    const firstPatientId = await nextId('patients');
    await insertPatients(writer, options, firstPatientId, start);
    const firstRecordId = await nextId('medical_records');
    await withoutSearchIndex(connection, medicalRecords, async () => {
      await insertRecords(writer, options, { firstPatientId, firstRecordId }, clinicianIds, start);
      await writer.flush();
    });

    const firstEventId = await nextId('events');
    const firstScheduleId = await nextId('schedules');
    await insertEvents(writer, options, firstEventId, clinicianIds, start);
    await insertSchedules(writer, options, firstEventId, firstScheduleId);
    await writer.flush();

    if (selections > 0) {
      const participantIds = await queryIds(connection, 'SELECT id FROM patients ORDER BY id LIMIT ?', [
        options.participants,
      ]);
      const firstSelectionId = await nextId('selections');
      const firstIds = { firstEventId, firstScheduleId, firstSelectionId };
      await insertSelections(writer, options, participantIds, firstIds, start);
      await writer.flush();
    }
  } finally {
    // The connection goes back to the application's pool: it must not keep the relaxed checks.
    const restored = await connection.query('SET SESSION foreign_key_checks = 1, unique_checks = 1').then(
      () => true,
      () => false,
    );
    if (restored) connection.release();
    else connection.destroy();
  }
  summary.elapsedMs = Math.round(performance.now() - startedAt);
  return summary;
}

/** From this many records on, the seeder builds the FULLTEXT index after loading them rather than during. */
const SEARCH_INDEX_REBUILD_ROWS = 50_000;

/** The FULLTEXT indexes of search (migrations 0002 and 0004) and their columns, in index order. */
const SEARCH_INDEXES = [
  { name: RECORD_SEARCH_INDEX.name, columns: RECORD_SEARCH_INDEX.columns.map((column) => column.name) },
  { name: RECORD_SEARCH_OTHER_TEXT.name, columns: [RECORD_SEARCH_OTHER_TEXT.column] },
];

/**
 * Loads records with the search indexes dropped and creates them again afterwards (also when the load fails):
 * InnoDB adds rows to a FULLTEXT index through an 8 MB cache that it flushes as many small segments, and a
 * search then reads every segment (a one-word search over the 1,000,000 bench records took 1.6 s instead of
 * 0.13 s, until an OPTIMIZE TABLE). Built in one pass, an index holds one segment. Small loads keep them.
 */
async function withoutSearchIndex(connection: PoolConnection, rows: number, load: () => Promise<void>): Promise<void> {
  if (rows < SEARCH_INDEX_REBUILD_ROWS) return load();
  const [found] = await connection.query(
    `SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = 'medical_records' AND index_name IN (?)`,
    [SEARCH_INDEXES.map((index) => index.name)],
  );
  const present = new Set((found as { name: string }[]).map((row) => row.name));
  const dropped = SEARCH_INDEXES.filter((index) => present.has(index.name));
  if (dropped.length === 0) return load();
  await connection.query(`ALTER TABLE medical_records ${dropped.map((index) => `DROP INDEX \`${index.name}\``).join(', ')}`);
  try {
    await load();
  } finally {
    // One FULLTEXT index per statement: InnoDB builds only one at a time.
    for (const index of dropped) {
      await connection.query(`CREATE FULLTEXT INDEX \`${index.name}\` ON medical_records (${index.columns.map((column) => `\`${column}\``).join(', ')})`);
    }
  }
}

async function insertClinicians(writer: BatchWriter, options: SeedOptions, firstId: number, start: number) {
  const batch = writer.table('clinicians', ['id', 'name', 'specialty', 'created_at']);
  for (let ordinal = 1; ordinal <= options.clinicians; ordinal += 1) {
    const id = firstId + ordinal - 1;
    const random = rowRandom(options.seed, SALT_CLINICIAN, id);
    const name = `Dr. ${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`;
    const specialty = random() < 0.1 ? null : pick(random, SPECIALTIES);
    await batch.add([id, name, specialty, sqlDateTime(start + ordinal * SECOND)]);
  }
  await batch.end();
}

/** Patient `ordinal` (1-based within this seed) is created at start + ordinal seconds; its records follow in ms. */
function patientInstant(start: number, ordinal: number): number {
  return start + ordinal * SECOND;
}

async function insertPatients(writer: BatchWriter, options: SeedOptions, firstId: number, start: number) {
  const columns = ['id', 'name', 'email', 'birth_date', 'is_active', 'created_at', 'updated_at'];
  const batch = writer.table('patients', columns);
  for (let ordinal = 1; ordinal <= options.patients; ordinal += 1) {
    const id = firstId + ordinal - 1;
    const random = rowRandom(options.seed, SALT_PATIENT, id);
    const firstName = pick(random, FIRST_NAMES);
    const lastName = pick(random, LAST_NAMES);
    const email = random() < 0.1 ? null : `${firstName}.${lastName}.${id}@example.org`.toLowerCase();
    const birthDate = sqlDate(BIRTH_FIRST_DAY + Math.floor(random() * BIRTH_DAYS) * DAY);
    const isActive = random() < 0.9 ? 1 : 0;
    const createdAt = sqlDateTime(patientInstant(start, ordinal));
    await batch.add([id, `${firstName} ${lastName}`, email, birthDate, isActive, createdAt, createdAt]);
  }
  await batch.end();
}

async function insertRecords(
  writer: BatchWriter,
  options: SeedOptions,
  ids: { firstPatientId: number; firstRecordId: number },
  clinicianIds: readonly number[],
  start: number,
) {
  const batch = writer.table(
    'medical_records',
    ['id', 'patient_id', 'author_id', 'diagnosis', 'treatment', 'notes', 'status', 'created_at', 'updated_at'],
    RECORDS_PER_STATEMENT,
  );
  let recordId = ids.firstRecordId;
  for (let ordinal = 1; ordinal <= options.patients; ordinal += 1) {
    const patientId = ids.firstPatientId + ordinal - 1;
    const random = rowRandom(options.seed, SALT_RECORD, patientId);
    const patientCreatedAt = patientInstant(start, ordinal);
    for (let index = 1; index <= options.recordsPerPatient; index += 1) {
      const authorId = clinicianIds.length === 0 || random() < 0.1 ? null : pick(random, clinicianIds);
      const roll = random();
      const status = roll < 0.25 ? 'PENDING' : roll < 0.7 ? 'ACTIVE' : 'CLOSED';
      const diagnosis = pick(random, DIAGNOSES);
      const treatment = random() < 0.05 ? null : pick(random, TREATMENTS);
      const notes = random() < 0.4 ? null : pick(random, NOTES);
      const createdAt = sqlDateTime(patientCreatedAt + index);
      await batch.add([recordId, patientId, authorId, diagnosis, treatment, notes, status, createdAt, createdAt]);
      recordId += 1;
    }
  }
  await batch.end();
}

async function insertEvents(
  writer: BatchWriter,
  options: SeedOptions,
  firstId: number,
  clinicianIds: readonly number[],
  start: number,
) {
  const batch = writer.table('events', ['id', 'title', 'description', 'organizer_id', 'created_at', 'updated_at']);
  for (let ordinal = 1; ordinal <= options.events; ordinal += 1) {
    const id = firstId + ordinal - 1;
    const random = rowRandom(options.seed, SALT_EVENT, id);
    const kind = EVENT_KINDS[(id - 1) % EVENT_KINDS.length] as string;
    const firstDay = sqlDate(eventFirstDay(id));
    const description = `${kind} for registered patients, seven days from ${firstDay}. Please pick your time slots.`;
    const organizerId = clinicianIds.length === 0 ? null : pick(random, clinicianIds);
    const createdAt = sqlDateTime(start + ordinal * SECOND);
    await batch.add([id, `${kind} ${id}`, description, organizerId, createdAt, createdAt]);
  }
  await batch.end();
}

/** Event `id` runs for the 7 days starting 2026-12-01 + (id - 1) weeks, so appended events never overlap. */
function eventFirstDay(eventId: number): number {
  return FIRST_EVENT_DAY + (eventId - 1) * WEEK;
}

async function insertSchedules(writer: BatchWriter, options: SeedOptions, firstEventId: number, firstId: number) {
  const batch = writer.table('schedules', ['id', 'event_id', 'date', 'day', 'time']);
  let scheduleId = firstId;
  for (let ordinal = 0; ordinal < options.events; ordinal += 1) {
    const eventId = firstEventId + ordinal;
    for (let index = 0; index < options.slots; index += 1) {
      const { dayOffset, time } = slotOf(index, options.slots);
      const day = eventFirstDay(eventId) + dayOffset * DAY;
      const weekday = weekdays[(new Date(day).getUTCDay() + 6) % 7];
      await batch.add([scheduleId, eventId, sqlDate(day), weekday, time]);
      scheduleId += 1;
    }
  }
  await batch.end();
}

/** `count` distinct slot indexes of 0..slots-1, ascending (a partial Fisher-Yates shuffle). */
function pickSlots(random: () => number, slots: number, count: number): number[] {
  const indexes = Array.from({ length: slots }, (_, index) => index);
  for (let position = 0; position < count; position += 1) {
    const swap = position + Math.floor(random() * (slots - position));
    [indexes[position], indexes[swap]] = [indexes[swap] as number, indexes[position] as number];
  }
  return indexes.slice(0, count).sort((a, b) => a - b);
}

async function insertSelections(
  writer: BatchWriter,
  options: SeedOptions,
  participantIds: readonly number[],
  ids: { firstEventId: number; firstScheduleId: number; firstSelectionId: number },
  start: number,
) {
  const batch = writer.table('selections', ['id', 'patient_id', 'schedule_id', 'event_id', 'created_at']);
  const picks = Math.min(options.picks, options.slots);
  let ordinal = 0;
  for (let eventOrdinal = 0; eventOrdinal < options.events; eventOrdinal += 1) {
    const eventId = ids.firstEventId + eventOrdinal;
    const eventFirstScheduleId = ids.firstScheduleId + eventOrdinal * options.slots;
    for (const patientId of participantIds) {
      const random = rowRandom(options.seed, SALT_PICKS, eventId, patientId);
      for (const slot of pickSlots(random, options.slots, picks)) {
        ordinal += 1;
        const createdAt = sqlDateTime(start + ordinal * SELECTION_SPACING_MS);
        const selectionId = ids.firstSelectionId + ordinal - 1;
        await batch.add([selectionId, patientId, eventFirstScheduleId + slot, eventId, createdAt]);
      }
    }
  }
  await batch.end();
}
