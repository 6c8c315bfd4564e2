/**
 * Hand-made rows for resolver tests, inserted with plain multi-row SQL on the
 * test gateway's pool (outside any operation's trace, so they never count).
 * Timestamps are explicit and distinct so orderings are exact.
 */
import type { Pool, ResultSetHeader } from 'mysql2/promise';

const BASE = Date.parse('2026-01-01T00:00:00.000Z');

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for DATETIME(3). */
export function sqlTime(millis: number): string {
  return new Date(millis).toISOString().replace('T', ' ').replace('Z', '');
}

async function insertRows(pool: Pool, table: string, columns: string[], rows: unknown[][]): Promise<number[]> {
  if (rows.length === 0) return [];
  const ids: number[] = [];
  for (let start = 0; start < rows.length; start += 2000) {
    const chunk = rows.slice(start, start + 2000);
    const [result] = await pool.query<ResultSetHeader>(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ?`,
      [chunk],
    );
    for (let index = 0; index < chunk.length; index += 1) ids.push(result.insertId + index);
  }
  return ids;
}

export interface PatientSeed {
  name?: string;
  email?: string | null;
  birthDate?: string;
  isActive?: boolean;
  createdAt?: number;
}

let clock = 0;
/** A fresh, strictly increasing instant for created_at columns. */
export function nextInstant(): number {
  clock += 1000;
  return BASE + clock;
}

export function insertClinicians(pool: Pool, names: string[]): Promise<number[]> {
  return insertRows(
    pool,
    'clinicians',
    ['name', 'specialty', 'created_at'],
    names.map((name, index) => [name, index % 2 === 0 ? 'General practice' : null, sqlTime(nextInstant())]),
  );
}

export function insertPatients(pool: Pool, patients: PatientSeed[]): Promise<number[]> {
  return insertRows(
    pool,
    'patients',
    ['name', 'email', 'birth_date', 'is_active', 'created_at', 'updated_at'],
    patients.map((patient, index) => {
      const created = sqlTime(patient.createdAt ?? nextInstant());
      return [
        patient.name ?? `Patient ${index + 1}`,
        patient.email === undefined ? `patient${index + 1}@example.org` : patient.email,
        patient.birthDate ?? '1980-05-17',
        patient.isActive ?? true,
        created,
        created,
      ];
    }),
  );
}

export function manyPatients(count: number, prefix = 'Patient'): PatientSeed[] {
  return Array.from({ length: count }, (_, index) => ({ name: `${prefix} ${index + 1}` }));
}

export interface RecordSeed {
  patientId: number;
  authorId?: number | null;
  diagnosis?: string;
  /** Default 'Rest'. */
  treatment?: string | null;
  notes?: string | null;
  status?: 'PENDING' | 'ACTIVE' | 'CLOSED';
  createdAt?: number;
}

export function insertRecords(pool: Pool, records: RecordSeed[]): Promise<number[]> {
  return insertRows(
    pool,
    'medical_records',
    ['patient_id', 'author_id', 'diagnosis', 'treatment', 'notes', 'status', 'created_at', 'updated_at'],
    records.map((record, index) => {
      const created = sqlTime(record.createdAt ?? nextInstant());
      return [
        record.patientId,
        record.authorId ?? null,
        record.diagnosis ?? `Diagnosis ${index + 1}`,
        record.treatment === undefined ? 'Rest' : record.treatment,
        record.notes ?? null,
        record.status ?? 'ACTIVE',
        created,
        created,
      ];
    }),
  );
}

export async function insertEvent(
  pool: Pool,
  event: { title: string; organizerId?: number | null; days: number; slotsPerDay: number; firstDate?: string },
): Promise<{ eventId: number; scheduleIds: number[] }> {
  const [eventId] = await insertRows(
    pool,
    'events',
    ['title', 'description', 'organizer_id', 'created_at', 'updated_at'],
    [[event.title, `About ${event.title}`, event.organizerId ?? null, sqlTime(nextInstant()), sqlTime(nextInstant())]],
  );
  const weekdays = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
  const first = Date.parse(`${event.firstDate ?? '2026-12-07'}T00:00:00Z`);
  const slots: unknown[][] = [];
  for (let day = 0; day < event.days; day += 1) {
    const date = new Date(first + day * 86_400_000);
    for (let slot = 0; slot < event.slotsPerDay; slot += 1) {
      // 15-minute slots from 07:00; denser days use 5-minute slots so they stay within the day.
      const minutes = 7 * 60 + slot * (event.slotsPerDay > 48 ? 5 : 15);
      const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
      slots.push([eventId, date.toISOString().slice(0, 10), weekdays[date.getUTCDay()], time]);
    }
  }
  const scheduleIds = await insertRows(pool, 'schedules', ['event_id', 'date', 'day', 'time'], slots);
  return { eventId: eventId as number, scheduleIds };
}

export function insertSelections(
  pool: Pool,
  selections: { patientId: number; scheduleId: number; eventId: number }[],
): Promise<number[]> {
  return insertRows(
    pool,
    'selections',
    ['patient_id', 'schedule_id', 'event_id', 'created_at'],
    selections.map((selection) => [selection.patientId, selection.scheduleId, selection.eventId, sqlTime(nextInstant())]),
  );
}
