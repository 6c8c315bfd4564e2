/**
 * Variant: the raw SQL floor. A plain node:http server over a mysql2 pool
 * that answers the benchmark's read scenarios (bench/scenarios.ts, S0..S4, S6)
 * with hand-written SQL and hand-built JSON, byte for byte what the gateway
 * answers for the same request: no Express, no GraphQL parsing, validation or
 * execution, no ORM, no DataLoader, no cache. The gateway's cost above this
 * variant is the price of its layers; this variant's cost is MySQL, the
 * driver and HTTP.
 *
 * It is not a GraphQL server: it recognises a scenario by its exact document
 * text and answers anything else with 400. It answers as an admin or
 * clinician sees the data (every row readable), so it never filters by
 * viewer; a patient token is refused (403) rather than answered wrongly.
 *
 * Environment (the harness' variant contract): PORT, DATABASE_URL,
 * JWT_SECRET, CURSOR_SECRET (default `cursor:${JWT_SECRET}`), DB_POOL_SIZE (10),
 * RAW_SEARCH (`fulltext`, default: S6 through the FULLTEXT index, the floor;
 * `like`: S6 as a naive API would write it, `LIKE '%word%'` on the three
 * columns, the variant search is measured against).
 * `GET /bench/stats` answers `{ "sql": n, "gcMs": g, "cpuMs": c }`, n counting
 * every statement this process sent since start (g and c: ./stats.ts).
 *
 * Deliberately imported from the gateway: the scenario texts, the global-id
 * encoding and the cursor codec, so ids and cursors cannot drift from what
 * the gateway issues. (Those modules load `graphql` and `@apollo/server`
 * through src/errors.ts; nothing of them runs per request.)
 */
import http from 'node:http';
import { jwtVerify } from 'jose';
import mysql from 'mysql2/promise';
import { createCursorCodec, type CursorPosition } from '../../src/relay/cursor.js';
import { parseGlobalId, toGlobalId } from '../../src/relay/global-id.js';
import { QUERIES } from '../scenarios.js';
import { serveVariant } from './serve.js';
import { sendBenchStats } from './stats.js';

interface Settings {
  readonly port: number;
  readonly databaseUrl: string;
  readonly jwtSecret: string;
  readonly cursorSecret: string;
  readonly poolSize: number;
  readonly search: 'fulltext' | 'like';
}

function settings(env: NodeJS.ProcessEnv): Settings {
  const jwtSecret = env.JWT_SECRET;
  if (!jwtSecret) throw new Error('JWT_SECRET must be set (the secret the harness signs its tokens with).');
  const port = Number(env.PORT ?? '4000');
  const poolSize = Number(env.DB_POOL_SIZE ?? '10');
  if (!Number.isInteger(port) || port < 0) throw new Error(`PORT must be an integer >= 0, got "${env.PORT}".`);
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new Error(`DB_POOL_SIZE must be an integer >= 1, got "${env.DB_POOL_SIZE}".`);
  return {
    port,
    databaseUrl: env.DATABASE_URL ?? 'mysql://root@127.0.0.1:3306/gateway',
    jwtSecret,
    cursorSecret: env.CURSOR_SECRET ?? `cursor:${jwtSecret}`,
    poolSize,
    search: env.RAW_SEARCH === 'like' ? 'like' : 'fulltext',
  };
}

const config = settings(process.env);
// Imported once: handing jose the raw secret would import a key on every verification.
const jwtKey = await crypto.subtle.importKey('raw', new TextEncoder().encode(config.jwtSecret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const cursors = createCursorCodec(config.cursorSecret);

// The gateway's connection name for `patients` without a filter: resolvers.ts
// signs `patients|${JSON.stringify(listFilter(undefined))}`, whose keys and
// order are these.
const PATIENTS_CONNECTION = `patients|${JSON.stringify({ isActive: null, nameContains: null, bornAfter: null, bornBefore: null })}`;
const PAGE_SIZE = 20;
const RECORDS_PER_LIST_PATIENT = 5;
const RECORDS_PER_DETAIL = 20;
const BODY_LIMIT_BYTES = 1024 * 1024;

const pool = mysql.createPool({
  uri: config.databaseUrl,
  connectionLimit: config.poolSize,
  // Dates and times travel as the strings MySQL prints: DATE is already the
  // GraphQL Date, DATETIME(3) is one replace away from the ISO DateTime, and
  // no JS Date (nor a session time zone) is ever involved.
  dateStrings: true,
  timezone: 'Z',
  supportBigNumbers: true,
  charset: 'utf8mb4_unicode_ci',
  // Positional rows: no per-row object with named keys to build and read.
  rowsAsArray: true,
});

type Cell = string | number | null;
let statementsSent = 0;

/**
 * Runs one statement (prepared, so MySQL parses each text once per
 * connection) and counts it. The row tuple type is the caller's promise about
 * the SELECT list; the driver cannot check it.
 */
async function sql<Row extends readonly Cell[]>(statement: string, params: (string | number)[]): Promise<Row[]> {
  statementsSent += 1;
  const [rows] = await pool.execute<mysql.RowDataPacket[]>(statement, params);
  return rows as unknown as Row[];
}

// ---------------------------------------------------------------- SQL

/**
 * S1/S4 in one statement: the page of patients (keyset on
 * patients_created_at_id_idx), each patient's records ranked newest first
 * (medical_records_patient_created_at_id_idx) with the count of all of them
 * as a window over the same rows, then the authors of the kept five. A
 * patient without records keeps one row (LEFT JOIN, rn 1, count 0). The page
 * is a CTE joined to the records because MariaDB refuses LIMIT inside
 * `patient_id IN (SELECT …)`. Measured alternatives: the page, then a UNION
 * ALL of 20 `LIMIT 5` index scans with correlated counts, was slower (two
 * round trips); joining every record and trimming to five in JS was about as
 * fast but reads all of a patient's records, so it is only a floor for this
 * data set's ten per patient.
 */
function patientPageSql(afterPosition: boolean): string {
  const keyset = afterPosition ? 'WHERE created_at < ? OR (created_at = ? AND id < ?)' : '';
  return `WITH page AS (
  SELECT id, name, birth_date, created_at FROM patients ${keyset}
  ORDER BY created_at DESC, id DESC LIMIT ${PAGE_SIZE}
)
SELECT t.pid, t.name, t.birth_date, t.cnt, t.rid, t.diagnosis, t.status, c.name
FROM (
  SELECT page.id AS pid, page.name, page.birth_date, page.created_at AS pca,
         m.id AS rid, m.diagnosis, m.status, m.author_id,
         ROW_NUMBER() OVER (PARTITION BY page.id ORDER BY m.created_at DESC, m.id DESC) AS rn,
         COUNT(m.id) OVER (PARTITION BY page.id) AS cnt
  FROM page LEFT JOIN medical_records m ON m.patient_id = page.id
) t
LEFT JOIN clinicians c ON c.id = t.author_id
WHERE t.rn <= ${RECORDS_PER_LIST_PATIENT}
ORDER BY t.pca DESC, t.pid DESC, t.rn`;
}
const PATIENT_PAGE_FIRST = patientPageSql(false);
const PATIENT_PAGE_AFTER = patientPageSql(true);
type PatientPageRow = [pid: number, name: string, birthDate: string, recordCount: number, recordId: number | null, diagnosis: string | null, status: string | null, author: string | null];

/**
 * S2, part one: the patient and its newest records with their authors. The
 * LIMIT sits in the derived table so MySQL stops after 20 index entries
 * whatever the patient's record count; no row at all means no patient.
 */
const PATIENT_DETAIL = `SELECT p.id, p.name, r.id, r.diagnosis, r.status, r.created_at, c.name
FROM patients p
LEFT JOIN (
  SELECT id, diagnosis, status, created_at, author_id FROM medical_records
  WHERE patient_id = ? ORDER BY created_at DESC, id DESC LIMIT ${RECORDS_PER_DETAIL}
) r ON TRUE
LEFT JOIN clinicians c ON c.id = r.author_id
WHERE p.id = ?
ORDER BY r.created_at DESC, r.id DESC`;
type PatientDetailRow = [pid: number, name: string, recordId: number | null, diagnosis: string | null, status: string | null, createdAt: string | null, author: string | null];

/**
 * S2, part two: every selection of the patient with its slot and event, in
 * the gateway's order (date, time, selection id). STRAIGHT_JOIN because
 * MariaDB otherwise starts from all events x slots and probes the patient's
 * unique index once per slot; starting from the patient's selections touches
 * only its own rows.
 */
const PATIENT_SELECTIONS = `SELECT STRAIGHT_JOIN s.id, sc.date, sc.time, e.title
FROM selections s
JOIN schedules sc ON sc.id = s.schedule_id
JOIN events e ON e.id = sc.event_id
WHERE s.patient_id = ?
ORDER BY sc.date, sc.time, s.id`;
type PatientSelectionRow = [selectionId: number, date: string, time: string, title: string];

/**
 * S3, part one: the event's slots in order. LEFT JOIN from the event so an
 * event without slots still answers one row (schedules: []) and a missing
 * event answers none (event: null).
 */
const EVENT_SLOTS = `SELECT sc.id, sc.date, sc.time
FROM events e
LEFT JOIN schedules sc ON sc.event_id = e.id
WHERE e.id = ?
ORDER BY sc.date, sc.time`;
type EventSlotRow = [scheduleId: number | null, date: string | null, time: string | null];

/**
 * S3, part two: every selection of the event (selections_event_patient_idx)
 * with the patient's name, by selection id, which is each slot's order once
 * grouped by slot. Measured against one statement joining slots, selections
 * and patients ordered by date, time, id: that sorts the 5,000 wide joined
 * rows and took about twice as long. selectionCount is the length of a
 * slot's list: an admin reads every selection, so the list is the whole count.
 */
const EVENT_PICKS = `SELECT s.schedule_id, p.name
FROM selections s
JOIN patients p ON p.id = s.patient_id
WHERE s.event_id = ?
ORDER BY s.id`;
type EventPickRow = [scheduleId: number, patientName: string];

// ---------------------------------------------------------------- JSON

// Apollo answers JSON.stringify(result) followed by a newline.
const S0_BODY = '{"data":{"__typename":"Query"}}\n';

/** User text goes through JSON.stringify, as Apollo's serializer does, so escapes are identical. */
const text = JSON.stringify;

/** The gateway's DateTime: drizzle reads DATETIME(3) as UTC and graphql-scalars prints toISOString(). */
function isoDateTime(mysqlDateTime: string): string {
  return `${mysqlDateTime.replace(' ', 'T')}Z`;
}

/** The gateway's LocalTime: `HH:MM` when the seconds are zero (src/modules/scalars.ts). */
function localTime(mysqlTime: string): string {
  return mysqlTime.length === 8 && mysqlTime.endsWith(':00') ? mysqlTime.slice(0, 5) : mysqlTime;
}

function author(name: string | null): string {
  return name === null ? 'null' : `{"name":${text(name)}}`;
}

function patientPageBody(rows: readonly PatientPageRow[]): string {
  let body = '{"data":{"patients":{"nodes":[';
  let current = -1;
  let records = 0;
  for (const [pid, name, birthDate, recordCount, recordId, diagnosis, status, authorName] of rows) {
    if (pid !== current) {
      if (current !== -1) body += ']}},';
      body += `{"id":"${toGlobalId('Patient', pid)}","name":${text(name)},"birthDate":"${birthDate}","recordCount":${recordCount},"records":{"nodes":[`;
      current = pid;
      records = 0;
    }
    if (recordId === null) continue;
    if (records > 0) body += ',';
    body += `{"id":"${toGlobalId('MedicalRecord', recordId)}","diagnosis":${text(diagnosis)},"status":"${status}","author":${author(authorName)}}`;
    records += 1;
  }
  if (current !== -1) body += ']}}';
  return `${body}]}}}\n`;
}

function patientDetailBody(records: readonly PatientDetailRow[], picks: readonly PatientSelectionRow[]): string {
  const head = records[0];
  if (!head) return '{"data":{"patient":null}}\n';
  let body = `{"data":{"patient":{"id":"${toGlobalId('Patient', head[0])}","name":${text(head[1])},"records":{"nodes":[`;
  let first = true;
  for (const [, , recordId, diagnosis, status, createdAt, authorName] of records) {
    if (recordId === null) continue;
    body += `${first ? '' : ','}{"id":"${toGlobalId('MedicalRecord', recordId)}","diagnosis":${text(diagnosis)},"status":"${status}","createdAt":"${isoDateTime(createdAt!)}","author":${author(authorName)}}`;
    first = false;
  }
  body += ']},"selections":[';
  first = true;
  for (const [selectionId, date, time, title] of picks) {
    body += `${first ? '' : ','}{"id":"${toGlobalId('Selection', selectionId)}","schedule":{"date":"${date}","time":"${localTime(time)}","event":{"title":${text(title)}}}}`;
    first = false;
  }
  return `${body}]}}}\n`;
}

function eventPageBody(slots: readonly EventSlotRow[], picks: readonly EventPickRow[]): string {
  if (slots.length === 0) return '{"data":{"event":null}}\n';
  // Each slot's selections as JSON, in selection id order (the rows' order).
  const bySlot = new Map<number, { json: string; count: number }>();
  for (const [scheduleId, patientName] of picks) {
    const pick = `{"patient":{"name":${text(patientName)}}}`;
    const slot = bySlot.get(scheduleId);
    if (slot) {
      slot.json += `,${pick}`;
      slot.count += 1;
    } else {
      bySlot.set(scheduleId, { json: pick, count: 1 });
    }
  }
  let body = '{"data":{"event":{"schedules":[';
  let first = true;
  for (const [scheduleId, date, time] of slots) {
    if (scheduleId === null) break; // the event has no slots: its one row carries only the event
    const slot = bySlot.get(scheduleId);
    body += `${first ? '' : ','}{"date":"${date}","time":"${localTime(time!)}","selectionCount":${slot?.count ?? 0},"selections":[${slot?.json ?? ''}]}`;
    first = false;
  }
  return `${body}]}}}\n`;
}

/**
 * S6: the newest 20 records containing a word, with their patients' names. Through the FULLTEXT index
 * (migration 0002), sorting every match, or with LIKE on every column (RAW_SEARCH=like): what the gateway's
 * search replaces. The LIKE query reads records newest first through medical_records_created_at_id_idx
 * (migration 0003) and stops at the page's end: cheap for a common word, every record for a rare one. The
 * page is found first, then joined to the patients.
 */
function searchSql(where: string): string {
  return `SELECT m.id, m.diagnosis, p.name FROM (
  SELECT id, diagnosis, patient_id, created_at FROM medical_records WHERE ${where}
  ORDER BY created_at DESC, id DESC LIMIT ${PAGE_SIZE}
) m JOIN patients p ON p.id = m.patient_id
ORDER BY m.created_at DESC, m.id DESC`;
}
const SEARCH_FULLTEXT = searchSql('MATCH (diagnosis, treatment, notes) AGAINST (? IN BOOLEAN MODE)');
const SEARCH_LIKE = searchSql('(diagnosis LIKE ? OR treatment LIKE ? OR notes LIKE ?)');
type SearchRow = [recordId: number, diagnosis: string, patientName: string];

function searchBody(rows: readonly SearchRow[]): string {
  const edges = rows.map(([recordId, diagnosis, patientName]) => `{"node":{"id":"${toGlobalId('MedicalRecord', recordId)}","diagnosis":${text(diagnosis)},"patient":{"name":${text(patientName)}}}}`);
  return `{"data":{"searchRecords":{"edges":[${edges.join(',')}]}}}\n`;
}

/** One plain word (the bench searches one); anything else is refused rather than answered unlike the gateway. */
function searchWord(variables: Variables): string {
  const query = variables.query;
  if (typeof query !== 'string' || !/^[A-Za-z]{3,84}$/.test(query)) throw new Refusal(400, 'BAD_USER_INPUT', 'This variant searches one plain word of 3..84 letters.');
  return query.toLowerCase();
}

async function searchPage(word: string): Promise<string> {
  const rows =
    config.search === 'like'
      ? await sql<SearchRow>(SEARCH_LIKE, [`%${word}%`, `%${word}%`, `%${word}%`])
      : await sql<SearchRow>(SEARCH_FULLTEXT, [`+${word}`]);
  return searchBody(rows);
}

// ---------------------------------------------------------------- scenarios

/** A refusal the client caused: answered with its status and a one-error body in Apollo's shape. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Variables = Readonly<Record<string, unknown>>;

function idVariable(variables: Variables, type: 'Patient' | 'Event'): number {
  const value = variables.id;
  const parsed = typeof value === 'string' ? parseGlobalId(value) : null;
  if (parsed?.type !== type) throw new Refusal(400, 'BAD_USER_INPUT', `Variable "$id" must be ${type === 'Event' ? 'an' : 'a'} ${type} id.`);
  return parsed.id;
}

/** The keyset position in `after`, checked exactly as the gateway does (signature, then `[ms, id]` shape). */
function afterVariable(variables: Variables): [createdAt: string, id: number] | null {
  const after = variables.after;
  if (after === undefined || after === null) return null;
  if (typeof after !== 'string') throw new Refusal(400, 'BAD_USER_INPUT', 'Variable "$after" must be a string.');
  let position: CursorPosition;
  try {
    position = cursors.decode(after, PATIENTS_CONNECTION);
  } catch {
    throw new Refusal(400, 'BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list.');
  }
  const [millis, id] = position;
  const at = typeof millis === 'number' ? new Date(millis) : null;
  if (position.length !== 2 || !Number.isSafeInteger(millis) || !Number.isSafeInteger(id) || !at || Number.isNaN(at.getTime())) {
    throw new Refusal(400, 'BAD_USER_INPUT', 'Argument "after" is not a valid cursor for this list: it is malformed.');
  }
  // The literal drizzle sends for a DATETIME(3) bound to a Date: UTC, milliseconds, no zone.
  return [at.toISOString().replace('T', ' ').replace('Z', ''), id as number];
}

async function patientPage(after: [createdAt: string, id: number] | null): Promise<string> {
  const rows = after
    ? await sql<PatientPageRow>(PATIENT_PAGE_AFTER, [after[0], after[0], after[1]])
    : await sql<PatientPageRow>(PATIENT_PAGE_FIRST, []);
  return patientPageBody(rows);
}

async function patientDetail(patientId: number): Promise<string> {
  // Both statements need only the id, so they share one round trip of latency.
  const [records, picks] = await Promise.all([
    sql<PatientDetailRow>(PATIENT_DETAIL, [patientId, patientId]),
    sql<PatientSelectionRow>(PATIENT_SELECTIONS, [patientId]),
  ]);
  return patientDetailBody(records, picks);
}

async function eventPage(eventId: number): Promise<string> {
  // Both statements need only the id, so they share one round trip of latency.
  const [slots, picks] = await Promise.all([sql<EventSlotRow>(EVENT_SLOTS, [eventId]), sql<EventPickRow>(EVENT_PICKS, [eventId])]);
  return eventPageBody(slots, picks);
}

async function answer(query: unknown, variables: Variables): Promise<string> {
  switch (query) {
    case QUERIES.S0:
      return S0_BODY;
    case QUERIES.S1:
      return patientPage(null);
    case QUERIES.S2:
      return patientDetail(idVariable(variables, 'Patient'));
    case QUERIES.S3:
      return eventPage(idVariable(variables, 'Event'));
    case QUERIES.S4:
      return patientPage(afterVariable(variables));
    case QUERIES.S6:
      return searchPage(searchWord(variables));
    default:
      throw new Refusal(400, 'BAD_REQUEST', 'This variant answers only the benchmark documents S0..S4 and S6 (bench/scenarios.ts).');
  }
}

// ---------------------------------------------------------------- HTTP

const BEARER = /^Bearer\s+([A-Za-z0-9_\-.]+)\s*$/i;

/** The gateway's check (HS256, `sub` and `exp` required), limited to the roles that read every row. */
async function authenticate(header: string | undefined): Promise<void> {
  if (header === undefined || header.trim() === '') throw new Refusal(401, 'UNAUTHENTICATED', 'A bearer token is required.');
  const token = BEARER.exec(header)?.[1];
  if (!token) throw new Refusal(401, 'UNAUTHENTICATED', 'The Authorization header must be "Bearer <token>".');
  let role: unknown;
  try {
    ({
      payload: { role },
    } = await jwtVerify(token, jwtKey, { algorithms: ['HS256'], requiredClaims: ['sub', 'exp'] }));
  } catch {
    throw new Refusal(401, 'UNAUTHENTICATED', 'The bearer token was refused.');
  }
  if (role !== 'admin' && role !== 'clinician') throw new Refusal(403, 'FORBIDDEN', 'This variant answers admins and clinicians only.');
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        reject(new Refusal(413, 'BAD_REQUEST', `The body exceeds ${BODY_LIMIT_BYTES} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseRequest(raw: string): { query: unknown; variables: Variables } {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new Refusal(400, 'BAD_REQUEST', 'The body must be JSON.');
  }
  if (typeof body !== 'object' || body === null) throw new Refusal(400, 'BAD_REQUEST', 'The body must be a JSON object.');
  const { query, variables } = body as { query?: unknown; variables?: unknown };
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    throw new Refusal(400, 'BAD_REQUEST', '"variables" must be an object.');
  }
  return { query, variables: (variables ?? {}) as Variables };
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function graphql(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  try {
    // Read the body first even when refusing, so a keep-alive connection stays usable.
    const raw = await readBody(req);
    await authenticate(req.headers.authorization);
    const { query, variables } = parseRequest(raw);
    send(res, 200, await answer(query, variables));
  } catch (error) {
    if (error instanceof Refusal) {
      send(res, error.status, JSON.stringify({ errors: [{ message: error.message, extensions: { code: error.code } }] }));
    } else {
      process.stderr.write(`raw variant: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      send(res, 500, '{"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}');
    }
  }
}

const server = http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/graphql') void graphql(req, res);
  else if (req.method === 'GET' && req.url === '/bench/stats') sendBenchStats(res, statementsSent);
  else send(res, 404, '{"errors":[{"message":"Not found","extensions":{"code":"NOT_FOUND"}}]}');
});

// Fail at start, not on the first measured request, when MySQL is unreachable
// (a handshake only: no statement is sent, so the counter stays at 0).
(await pool.getConnection()).release();
await serveVariant(server, config.port, () => pool.end());
