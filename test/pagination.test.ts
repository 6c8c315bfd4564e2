/**
 * Keyset pagination as the contract promises it (../shared/contract/README.md):
 * - walking every page of `patients` while another connection inserts rows
 *   (newer than everything, and inside the range already walked and still to
 *   walk) never repeats an item and never skips one that existed at the start,
 *   pages keep (createdAt DESC, id DESC) order across created_at ties, and each
 *   page is one SQL statement;
 * - `first` outside 0..100 and forged or foreign cursors are BAD_USER_INPUT
 *   before any SQL runs;
 * - totalCount is batched, a deep page is a keyset `LIMIT first + 1` statement
 *   (no OFFSET), and nested connections (Patient.records, Event.participants)
 *   page the same way.
 */
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { gatewayTest } from './support/fixtures-gateway.js';
import { parseGlobalId, toGlobalId } from '../src/relay/global-id.js';
import { type RunResult, type TestGateway } from '../src/testing/index.js';
import {
  insertEvent,
  insertPatients,
  insertRecords,
  insertSelections,
  type PatientSeed,
  type RecordSeed,
} from './support/fixtures.js';

const PATIENTS_AT_START = 1000;
/** Patients sharing one created_at, so page boundaries fall inside ties (37 is not a multiple of 6). */
const TIE_GROUP_SIZE = 6;
const PAGE_SIZE = 37;
const WALK_START = Date.parse('2025-03-01T00:00:00.000Z');
const SECOND = 1000;

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

interface PatientEdge {
  cursor: string;
  node: { id: string; createdAt: string };
}

interface PatientsPage {
  patients: { edges: PatientEdge[]; pageInfo: PageInfo };
}

/** A row's place in a newest-first list. */
interface Position {
  readonly createdAt: number;
  readonly id: number;
}

const PATIENTS_PAGE = `
  query PatientsPage($first: Int, $after: String) {
    patients(first: $first, after: $after) {
      edges { cursor node { id createdAt } }
      pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    }
  }`;

const PAGE_INFO = 'pageInfo { hasNextPage endCursor hasPreviousPage startCursor }';

function rowIdOf(globalId: string): number {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`Not a global id: ${globalId}`);
  return parsed.id;
}

function positionOf(edge: PatientEdge): Position {
  return { createdAt: Date.parse(edge.node.createdAt), id: rowIdOf(edge.node.id) };
}

/** True when `a` comes strictly before `b` in (createdAt DESC, id DESC). */
function comesBefore(a: Position, b: Position): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}

function newestFirst(positions: Position[]): Position[] {
  return [...positions].sort((a, b) => (comesBefore(a, b) ? -1 : comesBefore(b, a) ? 1 : 0));
}

function expectNoErrors(result: RunResult): void {
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
}

function errorCodeOf(result: RunResult): unknown {
  return result.errors?.[0]?.extensions?.code;
}

/** This file's gateway (its own database), shared by every test and hook here. */
const test = gatewayTest('pagination');
let gw: TestGateway;
/** A second connection, outside every operation's SQL trace: the "other client" that inserts while we page. */
let otherClient: mysql.Pool;

test.beforeAll(async ({ gateway }) => {
  gw = gateway;
  otherClient = mysql.createPool({ uri: gw.databaseUrl, connectionLimit: 2, timezone: 'Z', dateStrings: true });
  const seeds: PatientSeed[] = Array.from({ length: PATIENTS_AT_START }, (_, index) => ({
    name: `Walker ${index + 1}`,
    isActive: index % 4 !== 0,
    createdAt: WALK_START + Math.floor(index / TIE_GROUP_SIZE) * SECOND,
  }));
  await insertPatients(otherClient, seeds);
});

afterAll(async () => {
  await otherClient?.end();
});

async function allPatientPositions(): Promise<Position[]> {
  const [rows] = await otherClient.query<mysql.RowDataPacket[]>('SELECT id, created_at FROM patients');
  // DATETIME(3) holds UTC; read as a string 'YYYY-MM-DD HH:MM:SS.mmm'.
  return rows.map((row) => ({
    id: Number(row.id),
    createdAt: Date.parse(`${String(row.created_at).replace(' ', 'T')}Z`),
  }));
}

/** Inserts patients at the given instants through the other connection; returns their positions. */
async function insertPatientsAt(instants: number[], label: string): Promise<Position[]> {
  const ids = await insertPatients(
    otherClient,
    instants.map((createdAt, index) => ({ name: `${label} ${index + 1}`, createdAt })),
  );
  return ids.map((id, index) => ({ id, createdAt: instants[index] as number }));
}

describe('walking every page of patients while another client inserts', () => {
  test('never repeats an item, never skips one that existed at the start, and keeps the order', async () => {
    const atStart = await allPatientPositions();
    expect(atStart.length).toBeGreaterThanOrEqual(PATIENTS_AT_START);
    const startOrder = newestFirst(atStart);
    const newestAtStart = startOrder[0] as Position;

    const pages: PatientEdge[][] = [];
    const pageInfos: PageInfo[] = [];
    const sqlCounts: number[] = [];
    const insertedAfterCursor: Position[] = [];
    const insertedBeforeCursor: Position[] = [];
    let newerThanEverything = newestAtStart.createdAt + 3600 * SECOND;
    let after: string | null = null;

    for (let pageNumber = 1; pageNumber <= 200; pageNumber += 1) {
      const result: RunResult<PatientsPage> = await gw.run<PatientsPage>(PATIENTS_PAGE, { first: PAGE_SIZE, after });
      expectNoErrors(result);
      const connection = result.data!.patients;
      pages.push(connection.edges);
      pageInfos.push(connection.pageInfo);
      sqlCounts.push(result.sqlCount);
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;

      // Between two page reads, another client inserts rows on both sides of the cursor.
      const cursor = positionOf(connection.edges[connection.edges.length - 1] as PatientEdge);
      const stillToWalk = startOrder.filter((position) => comesBefore(cursor, position));
      const instants = [
        // Five newer than everything (created "now").
        ...Array.from({ length: 5 }, () => (newerThanEverything += SECOND)),
        // Inside the range already walked: between the cursor's instant and the next newer one.
        cursor.createdAt + SECOND / 2,
        // The cursor's own instant with a higher id: sorts just before the cursor, already walked.
        cursor.createdAt,
      ];
      if (stillToWalk.length > 0) {
        const ahead = stillToWalk[Math.min(50, stillToWalk.length - 1)] as Position;
        // Inside the range still to walk: just older than the cursor, and tied with a row further on.
        instants.push(cursor.createdAt - SECOND / 2, ahead.createdAt);
      }
      for (const position of await insertPatientsAt(instants, `Inserted after page ${pageNumber}`)) {
        (comesBefore(cursor, position) ? insertedAfterCursor : insertedBeforeCursor).push(position);
      }
    }

    expect(pages.length, 'the walk took more pages than the rows at the start fill').toBeGreaterThan(
      Math.ceil(atStart.length / PAGE_SIZE),
    );
    expect(insertedBeforeCursor.length).toBeGreaterThan(0);
    expect(insertedAfterCursor.length).toBeGreaterThan(0);
    const seen = pages.flat().map(positionOf);
    const seenIds = seen.map((position) => position.id);

    expect(pageInfos[pageInfos.length - 1]?.hasNextPage, 'the walk ended on a last page').toBe(false);
    expect(new Set(seenIds).size, 'no item was seen twice').toBe(seenIds.length);
    const seenIdSet = new Set(seenIds);
    const skipped = atStart.filter((position) => !seenIdSet.has(position.id));
    expect(skipped, 'every patient that existed at the start was seen').toEqual([]);
    const outOfOrder = seen.filter(
      (position, index) => index > 0 && !comesBefore(seen[index - 1] as Position, position),
    );
    expect(outOfOrder, 'every item follows the previous one in (createdAt DESC, id DESC)').toEqual([]);
    const wronglySeen = insertedBeforeCursor.filter((position) => seenIdSet.has(position.id));
    expect(wronglySeen, 'rows inserted before the cursor never show up').toEqual([]);
    // Keyset continues strictly after the cursor, so rows inserted there are met later, in order.
    expect(seen).toEqual(newestFirst([...atStart, ...insertedAfterCursor]));

    const pageStatementCounts = new Set(sqlCounts);
    expect(pageStatementCounts, 'every page is one statement (no count: totalCount is not selected)').toEqual(
      new Set([1]),
    );
    expect(pageInfos[0]?.hasPreviousPage, 'the first page has nothing before it').toBe(false);
    expect(pageInfos.slice(1).every((info) => info.hasPreviousPage)).toBe(true);
    expect(pageInfos.slice(0, -1).every((info) => info.hasNextPage)).toBe(true);
    pages.forEach((edges, index) => {
      const info = pageInfos[index] as PageInfo;
      if (index < pages.length - 1) expect(edges).toHaveLength(PAGE_SIZE);
      expect(info.startCursor).toBe(edges[0]?.cursor ?? null);
      expect(info.endCursor).toBe(edges[edges.length - 1]?.cursor ?? null);
    });

    // The ties really straddled page boundaries, so the id tiebreak decided where pages split.
    const boundariesInsideTies = pages.slice(1).filter((edges, index) => {
      const previous = pages[index] as PatientEdge[];
      const lastOfPrevious = previous[previous.length - 1];
      const firstOfThis = edges[0];
      return (
        lastOfPrevious !== undefined &&
        firstOfThis !== undefined &&
        positionOf(lastOfPrevious).createdAt === positionOf(firstOfThis).createdAt
      );
    });
    expect(boundariesInsideTies.length).toBeGreaterThan(0);
  });
});

describe('the page size argument', () => {
  test('first: 0 returns no edges and says more rows exist', async () => {
    const result = await gw.run<PatientsPage>(PATIENTS_PAGE, { first: 0 });
    expectNoErrors(result);
    expect(result.data!.patients.edges).toEqual([]);
    expect(result.data!.patients.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: null,
      endCursor: null,
    });
  });

  test('first: 100 returns a full page of 100 in one statement', async () => {
    const result = await gw.run<PatientsPage>(PATIENTS_PAGE, { first: 100 });
    expectNoErrors(result);
    expect(result.data!.patients.edges).toHaveLength(100);
    expect(result.data!.patients.pageInfo.hasNextPage).toBe(true);
    expect(result.sqlCount).toBe(1);
  });

  test.each([-1, 101])('first: %i is BAD_USER_INPUT before any SQL runs', async (first) => {
    const result = await gw.run(PATIENTS_PAGE, { first });
    expect(errorCodeOf(result)).toBe('BAD_USER_INPUT');
    expect(result.sqlCount).toBe(0);
  });
});

describe('forged and foreign cursors', () => {
  const RECORDS_PAGE = `
    query RecordsPage($patientId: ID!, $after: String) {
      patient(id: $patientId) { records(first: 2, after: $after) { nodes { id } } }
    }`;
  let validPatientsCursor: string;
  let patientA: number;
  let patientB: number;

  beforeAll(async () => {
    const page = await gw.run<PatientsPage>(PATIENTS_PAGE, { first: 3 });
    expectNoErrors(page);
    validPatientsCursor = page.data!.patients.pageInfo.endCursor!;
    [patientA, patientB] = (await insertPatients(otherClient, [
      { name: 'Cursor owner A', createdAt: WALK_START - 10 * SECOND },
      { name: 'Cursor owner B', createdAt: WALK_START - 9 * SECOND },
    ])) as [number, number];
    await insertRecords(
      otherClient,
      [patientA, patientB].flatMap((patientId) =>
        (['ACTIVE', 'CLOSED', 'ACTIVE', 'CLOSED', 'ACTIVE'] as const).map((status) => ({ patientId, status })),
      ),
    );
  });

  function expectRejectedBeforeSql(result: RunResult): void {
    expect(errorCodeOf(result), `answered ${JSON.stringify(result.errors ?? result.data)}`).toBe('BAD_USER_INPUT');
    expect(result.sqlCount, 'statements sent before the cursor was refused').toBe(0);
  }

  test('rejects an empty string (a malformed cursor, not "no cursor")', async () => {
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: '' }));
  });

  test('rejects a random string', async () => {
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: 'bm90LWEtY3Vyc29y' }));
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: 'this is not a cursor.at all' }));
  });

  test('rejects a truncated valid cursor', async () => {
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: validPatientsCursor.slice(0, -3) }));
    expectRejectedBeforeSql(
      await gw.run(PATIENTS_PAGE, { first: 5, after: validPatientsCursor.slice(0, validPatientsCursor.indexOf('.')) }),
    );
  });

  test('rejects a valid cursor with one character of its payload changed', async () => {
    const dot = validPatientsCursor.indexOf('.');
    const at = Math.floor(dot / 2);
    const original = validPatientsCursor.charAt(at);
    const replacement = original === 'A' ? 'B' : 'A';
    const altered = `${validPatientsCursor.slice(0, at)}${replacement}${validPatientsCursor.slice(at + 1)}`;
    expect(altered).not.toBe(validPatientsCursor);
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: altered }));
  });

  test('rejects a cursor of events used on patients', async () => {
    await insertEvent(otherClient, { title: 'Cursor source', days: 1, slotsPerDay: 1 });
    const events = await gw.run<{ events: { pageInfo: PageInfo } }>(`{ events(first: 1) { ${PAGE_INFO} } }`);
    expectNoErrors(events);
    const eventsCursor = events.data!.events.pageInfo.endCursor;
    expect(eventsCursor).toEqual(expect.any(String));
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: eventsCursor }));
  });

  test("rejects a cursor of patient A's records used on patient B's records, after only loading patient B", async () => {
    const ofA = await gw.run<{ patient: { records: { nodes: unknown[]; pageInfo: PageInfo } } }>(
      `query ($patientId: ID!) { patient(id: $patientId) { records(first: 2) { nodes { id } ${PAGE_INFO} } } }`,
      { patientId: toGlobalId('Patient', patientA) },
    );
    expectNoErrors(ofA);
    const recordsCursorOfA = ofA.data!.patient.records.pageInfo.endCursor;
    expect(recordsCursorOfA).toEqual(expect.any(String));

    const onB = await gw.run(RECORDS_PAGE, { patientId: toGlobalId('Patient', patientB), after: recordsCursorOfA });
    expect(errorCodeOf(onB), JSON.stringify(onB.errors)).toBe('BAD_USER_INPUT');
    expect(onB.sqlCount, 'only the statement loading patient B').toBe(1);

    const onA = await gw.run(RECORDS_PAGE, { patientId: toGlobalId('Patient', patientA), after: recordsCursorOfA });
    expectNoErrors(onA);
  });

  test('rejects a records cursor of one status used with another status or none, after loading the patient', async () => {
    const recordsWithStatus = `
      query ($patientId: ID!, $after: String, $status: RecordStatus) {
        patient(id: $patientId) { records(first: 2, after: $after, status: $status) { nodes { id } ${PAGE_INFO} } }
      }`;
    const patientId = toGlobalId('Patient', patientA);
    const active = await gw.run<{ patient: { records: { pageInfo: PageInfo } } }>(recordsWithStatus, {
      patientId,
      status: 'ACTIVE',
    });
    expectNoErrors(active);
    const activeCursor = active.data!.patient.records.pageInfo.endCursor;
    expect(activeCursor).toEqual(expect.any(String));

    for (const status of ['CLOSED', null]) {
      const misused = await gw.run(recordsWithStatus, { patientId, status, after: activeCursor });
      expect(errorCodeOf(misused), `status ${status}: ${JSON.stringify(misused.errors)}`).toBe('BAD_USER_INPUT');
      expect(misused.sqlCount, 'only the statement loading the patient').toBe(1);
    }
    expectNoErrors(await gw.run(recordsWithStatus, { patientId, status: 'ACTIVE', after: activeCursor }));
  });

  test('rejects a participants cursor of one event used on another event, after only loading that event', async () => {
    const [first, second] = [
      await insertEvent(otherClient, { title: 'Cursor event 1', days: 1, slotsPerDay: 2 }),
      await insertEvent(otherClient, { title: 'Cursor event 2', days: 1, slotsPerDay: 2 }),
    ];
    await insertSelections(
      otherClient,
      [first, second].flatMap(({ eventId, scheduleIds }) =>
        [patientA, patientB].map((patientId) => ({ patientId, eventId, scheduleId: scheduleIds[0] as number })),
      ),
    );
    const participants = `
      query ($eventId: ID!, $after: String) {
        event(id: $eventId) { participants(first: 1, after: $after) { nodes { id } ${PAGE_INFO} } }
      }`;
    const ofFirst = await gw.run<{ event: { participants: { pageInfo: PageInfo } } }>(participants, {
      eventId: toGlobalId('Event', first.eventId),
    });
    expectNoErrors(ofFirst);
    const cursorOfFirst = ofFirst.data!.event.participants.pageInfo.endCursor;
    expect(cursorOfFirst).toEqual(expect.any(String));

    const onSecond = await gw.run(participants, { eventId: toGlobalId('Event', second.eventId), after: cursorOfFirst });
    expect(errorCodeOf(onSecond), JSON.stringify(onSecond.errors)).toBe('BAD_USER_INPUT');
    expect(onSecond.sqlCount, 'only the statement loading the event').toBe(1);
  });

  test('rejects a cursor of patients(filter: { isActive: true }) used without the filter, and the reverse', async () => {
    const filteredPage = `query ($after: String, $isActive: Boolean) {
      patients(first: 2, after: $after, filter: { isActive: $isActive }) { nodes { id } ${PAGE_INFO} }
    }`;
    const filtered = await gw.run<PatientsPage>(filteredPage, { isActive: true });
    expectNoErrors(filtered);
    const filteredCursor = filtered.data!.patients.pageInfo.endCursor;
    expect(filteredCursor).toEqual(expect.any(String));
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: filteredCursor }));
    expectRejectedBeforeSql(await gw.run(filteredPage, { isActive: false, after: filteredCursor }));
    expectRejectedBeforeSql(await gw.run(filteredPage, { isActive: true, after: validPatientsCursor }));
    expectNoErrors(await gw.run(filteredPage, { isActive: true, after: filteredCursor }));
  });

  test('rejects a hand-made base64url JSON position without a signature', async () => {
    const position = Buffer.from(JSON.stringify([WALK_START, 500]), 'utf8').toString('base64url');
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: position }));
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: `${position}.` }));
    const borrowedSignature = validPatientsCursor.slice(validPatientsCursor.indexOf('.'));
    expectRejectedBeforeSql(await gw.run(PATIENTS_PAGE, { first: 5, after: `${position}${borrowedSignature}` }));
  });
});

describe('totalCount', () => {
  test('is batched: page, count, every records page and every records count are one statement each', async () => {
    const farFuture = Date.parse('2031-01-01T00:00:00.000Z');
    const newestIds = await insertPatients(
      otherClient,
      Array.from({ length: 5 }, (_, index) => ({
        name: `Counted ${index + 1}`,
        createdAt: farFuture + index * SECOND,
      })),
    );
    const recordsPerPatient = [0, 1, 2, 3, 7];
    const records: RecordSeed[] = newestIds.flatMap((patientId, index) =>
      Array.from({ length: recordsPerPatient[index] as number }, () => ({ patientId })),
    );
    await insertRecords(otherClient, records);

    const result = await gw.run<{
      patients: { totalCount: number; nodes: { id: string; records: { totalCount: number } }[] };
    }>('{ patients(first: 5) { totalCount nodes { id records(first: 2) { totalCount } } } }');
    expectNoErrors(result);
    // The records pages' window count is their totalCount: no statement of its own.
    expect(result.sqlCount, 'page + count + records pages').toBe(3);

    const [[countRow]] = await otherClient.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS total FROM patients');
    expect(result.data!.patients.totalCount).toBe(Number(countRow?.total));
    const newestFirstIds = [...newestIds].reverse();
    expect(result.data!.patients.nodes.map((node) => rowIdOf(node.id))).toEqual(newestFirstIds);
    const recordTotals = result.data!.patients.nodes.map((node) => node.records.totalCount);
    expect(recordTotals).toEqual([...recordsPerPatient].reverse());
  });
});

describe('a deep page', () => {
  test('is the first page statement plus a keyset predicate, with LIMIT first + 1 and no OFFSET', async () => {
    let after: string | null = null;
    let firstPage: RunResult<PatientsPage> | undefined;
    let pageTwenty: RunResult<PatientsPage> | undefined;
    let lastOfPageNineteen: Position | undefined;
    for (let pageNumber = 1; pageNumber <= 20; pageNumber += 1) {
      const result: RunResult<PatientsPage> = await gw.run<PatientsPage>(
        PATIENTS_PAGE,
        { first: PAGE_SIZE, after },
        { captureStatements: true },
      );
      expectNoErrors(result);
      const edges = result.data!.patients.edges;
      expect(edges).toHaveLength(PAGE_SIZE);
      if (pageNumber === 1) firstPage = result;
      if (pageNumber === 19) lastOfPageNineteen = positionOf(edges[edges.length - 1] as PatientEdge);
      if (pageNumber === 20) pageTwenty = result;
      after = result.data!.patients.pageInfo.endCursor;
    }

    expect(firstPage!.statements).toHaveLength(1);
    expect(pageTwenty!.statements).toHaveLength(1);
    const first = firstPage!.statements[0]!;
    const deep = pageTwenty!.statements[0]!;
    for (const statement of [first, deep]) {
      expect(statement.sql).toMatch(/\blimit\b/i);
      expect(statement.sql).not.toMatch(/\boffset\b/i);
      expect(statement.params[statement.params.length - 1]).toBe(PAGE_SIZE + 1);
    }
    expect(first.params).toEqual([PAGE_SIZE + 1]);
    expect(first.sql).not.toMatch(/\bwhere\b/i);

    const keysetClause = /\s+where\s+(.*)\s+order by/i.exec(deep.sql);
    expect(keysetClause, deep.sql).not.toBeNull();
    expect(keysetClause![1]).toMatch(/created_at.*<\s*\?/i);
    expect(keysetClause![1]).toMatch(/`id`\s*<\s*\?/i);
    expect(deep.sql.replace(keysetClause![0], ' order by')).toBe(first.sql);
    // The predicate continues after the last row of page 19, by created_at then id.
    expect(deep.params).toContain(lastOfPageNineteen!.id);
    expect(deep.params).not.toContain(19 * PAGE_SIZE);
  });
});

describe('nested pagination', () => {
  test('walks every record of one patient three at a time, newest first, two statements per page', async () => {
    const [patientId] = (await insertPatients(otherClient, [
      { name: 'Many records', createdAt: WALK_START - 60 * SECOND },
    ])) as [number];
    const recordsAt = WALK_START - 30 * SECOND;
    // Eleven records; four share one instant so a page boundary falls inside the tie.
    const instants = [0, 1, 2, 2, 2, 2, 3, 4, 5, 6, 7].map((step) => recordsAt + step * SECOND);
    const recordIds = await insertRecords(
      otherClient,
      instants.map((createdAt, index) => ({
        patientId,
        createdAt,
        status: index % 2 === 0 ? 'ACTIVE' : 'CLOSED',
      })),
    );
    const expectedOrder = newestFirst(recordIds.map((id, index) => ({ id, createdAt: instants[index] as number })));

    interface RecordsPage {
      patient: {
        records: { edges: { cursor: string; node: { id: string; createdAt: string } }[]; pageInfo: PageInfo };
      };
    }
    const seen: Position[] = [];
    const pageInfos: PageInfo[] = [];
    let after: string | null = null;
    for (let pageNumber = 1; pageNumber <= 20; pageNumber += 1) {
      const result: RunResult<RecordsPage> = await gw.run<RecordsPage>(
        `query ($id: ID!, $after: String) {
          patient(id: $id) { records(first: 3, after: $after) { edges { cursor node { id createdAt } } ${PAGE_INFO} } }
        }`,
        { id: toGlobalId('Patient', patientId), after },
      );
      expectNoErrors(result);
      expect(result.sqlCount, `page ${pageNumber}: the patient, then its records page`).toBe(2);
      const { edges, pageInfo } = result.data!.patient.records;
      seen.push(...edges.map((edge) => ({ id: rowIdOf(edge.node.id), createdAt: Date.parse(edge.node.createdAt) })));
      pageInfos.push(pageInfo);
      expect(pageInfo.startCursor).toBe(edges[0]?.cursor ?? null);
      expect(pageInfo.endCursor).toBe(edges[edges.length - 1]?.cursor ?? null);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }

    expect(seen).toEqual(expectedOrder);
    expect(pageInfos.map((info) => info.hasPreviousPage)).toEqual([false, true, true, true]);
    expect(pageInfos.map((info) => info.hasNextPage)).toEqual([true, true, true, false]);
  });

  test('walks every participant of an event two at a time, ordered by patient id', async () => {
    const participantIds = await insertPatients(
      otherClient,
      Array.from({ length: 8 }, (_, index) => ({
        name: `Participant ${index + 1}`,
        createdAt: WALK_START - 120 * SECOND,
      })),
    );
    const { eventId, scheduleIds } = await insertEvent(otherClient, { title: 'Walked event', days: 3, slotsPerDay: 2 });
    const [bystander, ...participants] = participantIds as [number, ...number[]];
    void bystander; // has no selection in this event, so is no participant
    // Inserted in reverse patient order, some patients with several slots: the order must come from the patient id.
    const selections = [...participants].reverse().flatMap((patientId, index) =>
      scheduleIds.slice(0, 1 + (index % 3)).map((scheduleId) => ({ patientId, scheduleId, eventId })),
    );
    await insertSelections(otherClient, selections);

    interface ParticipantsPage {
      event: { participants: { nodes: { id: string }[]; pageInfo: PageInfo } };
    }
    const seen: number[] = [];
    const pageInfos: PageInfo[] = [];
    let after: string | null = null;
    for (let pageNumber = 1; pageNumber <= 20; pageNumber += 1) {
      const result: RunResult<ParticipantsPage> = await gw.run<ParticipantsPage>(
        `query ($id: ID!, $after: String) {
          event(id: $id) { participants(first: 2, after: $after) { nodes { id } ${PAGE_INFO} } }
        }`,
        { id: toGlobalId('Event', eventId), after },
      );
      expectNoErrors(result);
      expect(result.sqlCount, `page ${pageNumber}: the event, its participant page, the patients`).toBe(3);
      const { nodes, pageInfo } = result.data!.event.participants;
      seen.push(...nodes.map((node) => rowIdOf(node.id)));
      pageInfos.push(pageInfo);
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }

    expect(seen).toEqual([...participants].sort((a, b) => a - b));
    expect(pageInfos.map((info) => info.hasPreviousPage)).toEqual([false, true, true, true]);
    expect(pageInfos.map((info) => info.hasNextPage)).toEqual([true, true, true, false]);
  });
});
