/**
 * Fuzzing over real HTTP (global fetch against listening gateways), and what
 * the logs hold while being fuzzed.
 *
 * 1. No client input yields a 5xx (other than 503 SERVICE_UNAVAILABLE) or an
 *    INTERNAL_SERVER_ERROR. A fixed table of known hostile requests runs first,
 *    with the cache on and off (two operations without operationName, an
 *    unknown operationName, subscriptions, an explicit null for a defaulted
 *    variable used where null is not allowed, writes by a clinician token whose
 *    clinician does not exist), and setSelections racing deleteEvent for the
 *    same event (each request is valid on its own; the loser must be told
 *    NOT_FOUND). Then a few thousand requests built with
 *    fast-check from a fixed seed (printed; FUZZ_SEED overrides it) go to a
 *    development gateway and a production gateway (trusted documents only, so
 *    mostly their variables are fuzzed), both with the cache on as in
 *    production: random documents built from the schema the gateway serves
 *    (root fields, literal and variable arguments of right and wrong types,
 *    nulls, huge numbers, empty strings, lone surrogates, global ids of every
 *    shape, nested selections, named and inline fragments, @skip/@include,
 *    aliases, several operations, subscriptions, mutations), random variables,
 *    malformed bodies, GET with random search parameters, random content types
 *    and headers, and bearer tokens of every role and of every refused kind.
 *    Each response must be JSON (the development landing page aside), every
 *    error must carry extensions.code, none INTERNAL_SERVER_ERROR, and the
 *    status is under 500 unless it is 503 with SERVICE_UNAVAILABLE. Every
 *    failing request is reported, not only the first, with its index in the
 *    seeded sample. Random requests are hostile (every kind of wrongness) or
 *    calm (wrongness rare), so that many reach the resolvers and MySQL.
 *
 * 2. Logs never hold patient data: a gateway logging at trace level into a
 *    buffer serves rows, variables, documents and failing writes that carry a
 *    marker string, and the marker never reaches a log line; GET lines carry no
 *    query string. Database failures are provoked for real (a foreign key, and
 *    triggers that refuse marked rows with the row's text in the server's
 *    message), and the test asserts that their error lines were logged, so it
 *    cannot pass on an empty log.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import zlib from 'node:zlib';
import fc from 'fast-check';
import {
  buildSchema,
  GraphQLBoolean,
  GraphQLNonNull,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  typeFromAST,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLInterfaceType,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';
import { SignJWT, type JWTPayload } from 'jose';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { loadTypeDefs } from '../src/schema.js';
import { createTestGateway, type TestGateway } from '../src/testing/index.js';
import { b64, CREATE_PATIENT_ID, CREATE_RECORD_ID, DELETE_EVENT, insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections, PRODUCTION_SECRET, SET_SELECTIONS_ID } from './support/index.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const DEVELOPMENT_RUNS = 2000;
const PRODUCTION_RUNS = 1500;
const LOG_BURST_RUNS = 300;
const CONCURRENCY = 16;
const MARKER = 'Mk9PrivateMarker';

console.info(`fuzz.test.ts: fast-check seed ${SEED} (set FUZZ_SEED to change it; the same seed sends the same requests)`);

// ---------------------------------------------------------------- gateways and their data

interface Ids {
  clinicians: number[];
  patients: number[];
  records: number[];
  events: number[];
  schedules: number[];
  selections: number[];
}

interface Target {
  gw: TestGateway;
  url: string;
  production: boolean;
  tokens: Record<TokenKind, string | undefined>;
  world: World;
}

const TOKEN_KINDS = [
  'none',
  'admin',
  'clinician',
  'unknownClinician',
  'patient',
  'unknownPatient',
  'expired',
  'badSignature',
  'wrongRole',
  'patientWithoutPatientId',
  'clinicianWithPatientSub',
  'futureIat',
  'tooLongLived',
  'algNone',
  'garbage',
  'basic',
  'empty',
] as const;
type TokenKind = (typeof TOKEN_KINDS)[number];

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function tokensFor(gw: TestGateway, ids: Ids): Promise<Record<TokenKind, string | undefined>> {
  const now = Math.floor(Date.now() / 1000);
  const sign = async (claims: JWTPayload, secret = gw.config.jwtSecret) =>
    `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(secret))}`;
  const admin = { sub: 'fuzz-admin', role: 'admin', iat: now, exp: now + 3600 };
  return {
    none: undefined,
    admin: await gw.authorizationFor('admin'),
    clinician: await gw.authorizationFor({ clinicianId: ids.clinicians[0]! }),
    unknownClinician: await gw.authorizationFor({ clinicianId: 987_654 }),
    patient: await gw.authorizationFor({ patientId: ids.patients[0]! }),
    unknownPatient: await gw.authorizationFor({ patientId: 987_655 }),
    expired: await sign({ ...admin, iat: now - 7200, exp: now - 60 }),
    badSignature: await sign(admin, 'another-secret-that-is-long-enough-0123456789'),
    wrongRole: await sign({ ...admin, role: 'root' }),
    patientWithoutPatientId: await sign({ ...admin, role: 'patient' }),
    clinicianWithPatientSub: await sign({ ...admin, role: 'clinician', sub: toGlobalId('Patient', ids.patients[0]!) }),
    futureIat: await sign({ ...admin, iat: now + 3600, exp: now + 7200 }),
    tooLongLived: await sign({ ...admin, exp: now + 10 * 365 * 86_400 }),
    algNone: `Bearer ${b64(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64(JSON.stringify(admin))}.`,
    garbage: 'Bearer a.b.c',
    basic: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
    empty: '',
  };
}

/** Rows whose text carries `label` (the marker, for the log gateway). */
async function seed(gw: TestGateway, label: string): Promise<Ids> {
  const pool = gw.database.pool;
  const clinicians = await insertClinicians(pool, [`Dr. ${label} Grey`, `Dr. ${label} Hope`]);
  const patients = await insertPatients(
    pool,
    Array.from({ length: 6 }, (_, index) => ({ name: `${label} Patient ${index}`, email: `${label.toLowerCase()}.${index}@example.org` })),
  );
  const records = await insertRecords(
    pool,
    patients.flatMap((patientId, index) => [
      { patientId, authorId: clinicians[index % 2]!, diagnosis: `${label} influenza ${index}` },
      { patientId, authorId: null, diagnosis: `${label} fracture ${index}`, status: 'CLOSED' as const },
    ]),
  );
  await pool.query('UPDATE medical_records SET treatment = ?, notes = ?', [`${label} rest`, `${label} notes`]);
  const first = await insertEvent(pool, { title: `${label} vaccination day`, organizerId: clinicians[0]!, days: 2, slotsPerDay: 3 });
  const second = await insertEvent(pool, { title: `${label} open house`, organizerId: null, days: 1, slotsPerDay: 2 });
  const selections = await insertSelections(pool, [
    { patientId: patients[0]!, scheduleId: first.scheduleIds[0]!, eventId: first.eventId },
    { patientId: patients[0]!, scheduleId: first.scheduleIds[1]!, eventId: first.eventId },
    { patientId: patients[1]!, scheduleId: first.scheduleIds[0]!, eventId: first.eventId },
    { patientId: patients[2]!, scheduleId: second.scheduleIds[0]!, eventId: second.eventId },
  ]);
  return {
    clinicians,
    patients,
    records,
    events: [first.eventId, second.eventId],
    schedules: [...first.scheduleIds, ...second.scheduleIds],
    selections,
  };
}

const TABLES = ['clinicians', 'events', 'medical_records', 'patients', 'schedules', 'selections'] as const;
type Table = (typeof TABLES)[number];

async function rowCounts(gw: TestGateway): Promise<Record<Table, number>> {
  const [rows] = await gw.database.pool.query<RowDataPacket[]>(
    `SELECT ${TABLES.map((table) => `(SELECT COUNT(*) FROM \`${table}\`) AS \`${table}\``).join(', ')}`,
  );
  return Object.fromEntries(TABLES.map((table) => [table, Number(rows[0]![table])])) as Record<Table, number>;
}

// ---------------------------------------------------------------- the world the generators draw from

interface TrustedDocument {
  readonly hash: string;
  readonly text: string;
  readonly name: string | undefined;
  readonly variables: readonly { readonly name: string; readonly type: GraphQLInputType }[];
}

interface World {
  readonly ids: Ids;
  readonly trusted: readonly TrustedDocument[];
  /** Cursors the gateway handed out (a few of them, for `after:` arguments). */
  readonly cursors: readonly string[];
  /** When set, three quarters of the generated text carries it. */
  readonly marker?: string;
}

/** The schema the gateways serve (schema/*.graphql), so the documents follow it as it changes. */
const SCHEMA = buildSchema(loadTypeDefs().join('\n'));

function trustedDocuments(manifestPath: string): TrustedDocument[] {
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, string>;
  return Object.entries(manifest).map(([hash, text]) => {
    const operation = parse(text).definitions.find((definition): definition is OperationDefinitionNode => definition.kind === 'OperationDefinition')!;
    return {
      hash,
      text,
      name: operation.name?.value,
      variables: (operation.variableDefinitions ?? []).map((definition) => ({
        name: definition.variable.name.value,
        type: typeFromAST(SCHEMA, definition.type as never) as GraphQLInputType,
      })),
    };
  });
}

const uniformInteger = (min: number, max: number) => fc.noBias(fc.integer({ min, max }));

/**
 * Decisions drawn from fast-check (fc.gen), so a seed replays the same requests. A request is
 * hostile (every kind of wrongness at its full rate) or calm (wrongness rare, so that most calm
 * requests get past the transport and validation and reach the resolvers and the database).
 */
class Dice {
  hostile = true;
  constructor(private readonly g: fc.GeneratorValue) {}
  /** A chance of making the request wrong: full in a hostile request, a tenth of it in a calm one. */
  harm(percent: number): boolean {
    return this.int(0, 999) < (this.hostile ? percent * 10 : percent);
  }
  /** One of `items`; from the first `valid` ones only, unless hostile (or by a small chance). */
  pickValidMostly<T>(items: readonly T[], valid: number): T {
    return this.harm(50) ? this.pick(items) : this.pick(items.slice(0, valid));
  }
  /** Uniform: fast-check's integers lean towards their bounds, which would skew every chance below. */
  int(min: number, max: number): number {
    return this.g(uniformInteger, min, max);
  }
  chance(percent: number): boolean {
    return this.int(0, 99) < percent;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }
  /** Free text of any kind: printable graphemes, any code point, or ASCII with controls. */
  anyText(maxLength: number): string {
    return this.g(fc.string, { unit: this.pick(['grapheme', 'binary', 'binary-ascii'] as const), maxLength });
  }
}

const LONE_SURROGATES = ['\ud800', '\udfff', 'a\ud83d', '\ude00b', 'x\udbff\udbffy'];
const TRICKY_TEXT = [
  '',
  ' ',
  '  padded  ',
  '\t\n',
  'Ada Lovelace',
  'flu',
  "'; DROP TABLE patients; --",
  '" OR 1=1 --',
  "x') OR ('1'='1",
  '100% _of_ %',
  'back\\slash\\',
  'nul\u0000byte',
  'bell\u0007\u001b[31mred',
  '👩‍⚕️😀𝕏',
  '\u202eabc\u200f',
  'one\u2028two',
  '+flu -cold',
  '"flu',
  'flu*',
  '@@version',
  '(a OR b)',
  '~x <y >z',
  '$var',
  '{ __typename }',
  '__proto__',
  'constructor',
  'null',
  'NaN',
  '-1',
  '1e309',
];
const INTS = [0, 1, -1, 2, 5, 20, 99, 100, 101, 1000, 2_147_483_647, 2_147_483_648, -2_147_483_648, -2_147_483_649, 1.5, 2 ** 53 + 2, 1e21];
const DATES = [
  '1990-01-01',
  '2026-12-07',
  '2000-02-29',
  '1900-02-29',
  '1990-02-30',
  '0000-01-01',
  '0001-01-01',
  '0999-12-31',
  '1000-01-01',
  '9999-12-31',
  '10000-01-01',
  '1990-1-1',
  '1990-01-01T00:00:00Z',
  'yesterday',
  '',
  '2026-13-01',
  '2999-01-01',
];
const TIMES = ['09:00', '09:00:00', '23:59:59', '00:00', '24:00', '23:59:60', '09:30:00.123', '09:30:00.123456789', '9:00', '09:60', '', '12:00Z', '12:00:00+01:00', 'noon'];
const DATE_TIMES = ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z', '2026-01-01', 'now', '', '2026-02-30T00:00:00Z'];
const EMAILS = ['ada@example.org', 'ADA@EXAMPLE.ORG', 'a+b@example.org', 'bad', '', '@', 'a@b', `${'a'.repeat(250)}@example.org`, '"quoted"@example.org', "'--@x.org", 'ü@example.org'];
const NODE_TYPES = ['Patient', 'MedicalRecord', 'Event', 'Schedule', 'Selection', 'Clinician'] as const;

function rowIdsOf(type: (typeof NODE_TYPES)[number], ids: Ids): number[] {
  switch (type) {
    case 'Patient':
      return ids.patients;
    case 'MedicalRecord':
      return ids.records;
    case 'Event':
      return ids.events;
    case 'Schedule':
      return ids.schedules;
    case 'Selection':
      return ids.selections;
    default:
      return ids.clinicians;
  }
}

function text(d: Dice, w: World): string {
  if (w.marker && d.chance(75)) {
    return d.pick([w.marker, `Ada ${w.marker}`, `${w.marker}'; DROP TABLE patients; --`, `+${w.marker} -x`, `${w.marker}\u0000`, `${w.marker}${'x'.repeat(250)}`]);
  }
  const roll = d.int(0, 99);
  if (roll < 40) return d.pick(TRICKY_TEXT);
  if (roll < 48) return d.pick(LONE_SURROGATES);
  if (roll < 50) return d.pick(['x'.repeat(201), 'é'.repeat(300), '😀'.repeat(20_000), 'y'.repeat(70_000)]);
  if (roll < 56 && w.cursors.length > 0) return d.pick(w.cursors);
  return d.anyText(30);
}

function globalId(d: Dice, w: World): string | number {
  const roll = d.int(0, 99);
  if (roll < 60 || !d.harm(50)) {
    const type = d.pick(NODE_TYPES);
    const ids = rowIdsOf(type, w.ids);
    return toGlobalId(type, !d.harm(20) && ids.length > 0 ? d.pick(ids) : d.pick([1, 2, 987_654_321, 2_147_483_647, 2 ** 53 - 1]));
  }
  if (roll < 78) {
    const type = d.pick([...NODE_TYPES, 'Nope', 'patient', '', 'Viewer', 'PageInfo', 'Query']);
    return b64(`${type}:${d.pick(['0', '-1', '01', '1.5', '1e3', 'abc', ' 1', '1\n', '99999999999999999999', '9007199254740993', '', '1:2', "1' OR '1'='1"])}`);
  }
  if (roll < 92) {
    return d.pick(['', 'Patient:1', '***', 'UGF0aWVudDox==', 'UGF0+aWVu/dDox', 'A'.repeat(1000), '\u0000', '😀', ...LONE_SURROGATES, `${toGlobalId('Patient', 1)}\u0000`]);
  }
  if (roll < 96) return d.pick([1, 0, -1, 12_345, 2 ** 31, 1.5]);
  return text(d, w);
}

function scalarValue(name: string, d: Dice, w: World): unknown {
  switch (name) {
    case 'ID':
      return globalId(d, w);
    case 'Int':
      return d.pickValidMostly(INTS, 7);
    case 'Float':
      return d.pick([0, 1.5, -1e308, 1e308]);
    case 'Boolean':
      return d.chance(50);
    case 'Date':
      return d.pickValidMostly(DATES, 3);
    case 'LocalTime':
      return d.pickValidMostly(TIMES, 4);
    case 'DateTime':
      return d.pickValidMostly(DATE_TIMES, 2);
    case 'EmailAddress':
      return w.marker && d.chance(50) ? `${w.marker}.${d.int(0, 99)}@example.org` : d.pickValidMostly(EMAILS, 3);
    default:
      return text(d, w);
  }
}

/** An own enumerable key, `__proto__` included (plain assignment would set the prototype instead). */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function nestedArrays(levels: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < levels; level += 1) value = [value];
  return value;
}

function wrongValue(d: Dice, w: World): unknown {
  const choices: (() => unknown)[] = [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 2,
    () => 1e308,
    () => '',
    () => text(d, w),
    () => [],
    () => [null],
    () => [1, 'a'],
    () => ({}),
    () => ({ a: 1 }),
    () => nestedArrays(d.pick([10, 62, 70])),
    () => globalId(d, w),
  ];
  return d.pick(choices)();
}

/** A JSON value for an input type: mostly of that type, sometimes null, of another type, or over a bound. */
function inputValue(type: GraphQLInputType, d: Dice, w: World, depth = 0): unknown {
  if (depth > 6) return null;
  if (d.harm(5)) return wrongValue(d, w);
  if (isNonNullType(type)) return d.harm(3) ? null : valueOf(type.ofType as GraphQLInputType, d, w, depth);
  return d.chance(5) ? null : valueOf(type, d, w, depth);
}

/** A value of a nullable type, never null itself. */
function valueOf(type: GraphQLInputType, d: Dice, w: World, depth: number): unknown {
  if (isListType(type)) {
    const item = type.ofType as GraphQLInputType;
    if (d.chance(10)) return inputValue(item, d, w, depth + 1); // one value where a list is expected (coerced)
    if (d.harm(3)) {
      const size = d.pick([101, 1001]);
      const named = getNamedType(item);
      if (named.name === 'ID') return Array.from({ length: size }, (_, index) => toGlobalId(d.pick(NODE_TYPES), index + 1));
      return Array.from({ length: size }, () => inputValue(item, d, w, depth + 1));
    }
    return Array.from({ length: d.pick([0, 1, 1, 2, 3, 5]) }, () => inputValue(item, d, w, depth + 1));
  }
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const required = isNonNullType(field.type) && field.defaultValue === undefined;
      if (d.chance(required ? 92 : 50)) value[field.name] = inputValue(field.type, d, w, depth + 1);
    }
    if (d.harm(6)) defineKey(value, d.pick(['extra', '__proto__', 'constructor', 'id', '']), wrongValue(d, w));
    return value;
  }
  if (isEnumType(type)) return !d.harm(10) ? d.pick(type.getValues()).name : d.pick(['active', 'NOPE', '', 1, 'ACTIVE ']);
  return scalarValue(type.name, d, w);
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** A JSON value as a GraphQL literal (enum values bare, where the type says so). */
function literal(value: unknown, type: GraphQLInputType | undefined): string {
  if (value === null || value === undefined) return 'null';
  const nullable = type && isNonNullType(type) ? (type.ofType as GraphQLInputType) : type;
  const named = type ? getNamedType(type) : undefined;
  if (typeof value === 'string') return named && isEnumType(named) && NAME.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '0';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : nullable;
    return `[${value.map((entry) => literal(entry, item)).join(', ')}]`;
  }
  const fields = named && isInputObjectType(named) ? named.getFields() : {};
  const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => NAME.test(key));
  return `{${entries.map(([key, entry]) => `${key}: ${literal(entry, fields[key]?.type)}`).join(', ')}}`;
}

// ---------------------------------------------------------------- random documents over the schema

class DocumentBuilder {
  private definitions: string[] = [];
  readonly values: Record<string, unknown> = {};
  readonly fragments: string[] = [];
  private counter = 0;
  /** Fields still allowed in the document, so documents stay within a few hundred tokens. */
  budget = 40;

  constructor(
    private readonly d: Dice,
    private readonly w: World,
  ) {}

  startOperation(): void {
    this.definitions = [];
  }

  header(): string {
    return this.definitions.length > 0 ? `(${this.definitions.join(', ')})` : '';
  }

  /** Declares a variable for a position of `type` (sometimes nullable with a default, or of another type) and sends a value. */
  variable(type: GraphQLInputType): string {
    const { d, w } = this;
    const name = `v${(this.counter += 1)}`;
    let declaredType = type;
    let declared = String(type);
    let defaultText = '';
    const roll = d.int(0, 99);
    if (roll < 15 && isNonNullType(type)) {
      // Valid: a nullable variable with a default may stand in a non-null position.
      declaredType = type.ofType as GraphQLInputType;
      declared = String(declaredType);
      defaultText = ` = ${literal(inputValue(declaredType, d, w), declaredType)}`;
    } else if (roll < 25 && !isNonNullType(type)) {
      defaultText = ` = ${literal(inputValue(type, d, w), type)}`;
    } else if (roll < 30 && d.harm(100)) {
      declared = d.pick(['String', 'Int', 'ID', '[ID]', 'Boolean!', 'Nope', 'PatientFilter', 'CreatePatientInput!', '[[ID!]!]']);
    }
    this.definitions.push(`$${name}: ${declared}${defaultText}`);
    const send = d.int(0, 99);
    if (send < 80) this.values[name] = inputValue(declaredType, d, w);
    else if (send < 90) this.values[name] = null;
    return `$${name}`;
  }

  alias(): string {
    return `a${(this.counter += 1)}`;
  }

  fragment(onType: string, body: string): string {
    const name = `F${(this.counter += 1)}`;
    this.fragments.push(`fragment ${name} on ${onType} ${body}`);
    return name;
  }
}

function argumentText(type: GraphQLInputType, d: Dice, w: World, b: DocumentBuilder, depth = 0): string {
  if (depth < 3 && d.chance(depth === 0 ? 30 : 12)) return b.variable(type);
  const nullable = isNonNullType(type) ? (type.ofType as GraphQLInputType) : type;
  if (!d.harm(8)) {
    if (isInputObjectType(nullable) && d.chance(60)) {
      const parts: string[] = [];
      for (const field of Object.values(nullable.getFields())) {
        const required = isNonNullType(field.type) && field.defaultValue === undefined;
        if (d.chance(required ? 92 : 45)) parts.push(`${field.name}: ${argumentText(field.type, d, w, b, depth + 1)}`);
      }
      if (d.harm(4)) parts.push(`nope: ${literal(wrongValue(d, w), undefined)}`);
      return `{${parts.join(', ')}}`;
    }
    if (isListType(nullable) && d.chance(40)) {
      const item = nullable.ofType as GraphQLInputType;
      return `[${Array.from({ length: d.int(0, 3) }, () => argumentText(item, d, w, b, depth + 1)).join(', ')}]`;
    }
  }
  return literal(inputValue(type, d, w), type);
}

function directives(d: Dice, w: World, b: DocumentBuilder): string {
  if (!d.chance(10)) return '';
  if (d.harm(3)) return ' @nope';
  if (d.harm(3)) return ' @skip';
  const condition = d.chance(50) ? String(d.chance(50)) : !d.harm(15) ? b.variable(new GraphQLNonNull(GraphQLBoolean)) : literal(wrongValue(d, w), undefined);
  return ` @${d.pick(['skip', 'include'])}(if: ${condition})`;
}

type Composite = GraphQLObjectType | GraphQLInterfaceType;

function selectionSet(type: Composite, d: Dice, w: World, b: DocumentBuilder, depth: number, maxDepth: number): string {
  const count = d.int(1, 4);
  const items: string[] = [];
  for (let index = 0; index < count && b.budget > 0; index += 1) items.push(selection(type, d, w, b, depth, maxDepth));
  return `{ ${items.length > 0 ? items.join(' ') : '__typename'} }`;
}

function fieldText(field: GraphQLField<unknown, unknown>, d: Dice, w: World, b: DocumentBuilder, depth: number, maxDepth: number): string {
  b.budget -= 1;
  // Calm documents alias fields with arguments apart (two `patient(id:)` with different ids would not validate).
  const alias = d.hostile
    ? d.chance(15)
      ? `${d.pick(['a', 'b', 'id', 'name'])}${d.int(0, 3)}: `
      : ''
    : field.args.length > 0 || d.chance(10)
      ? `${b.alias()}: `
      : '';
  const args: string[] = [];
  for (const arg of field.args) {
    const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
    if (d.chance(required ? 95 : 40)) args.push(`${arg.name}: ${argumentText(arg.type, d, w, b)}`);
  }
  if (d.harm(3)) args.push(`nope: ${literal(wrongValue(d, w), undefined)}`);
  const argsText = args.length > 0 ? `(${args.join(', ')})` : '';
  const named = getNamedType(field.type);
  let sub = '';
  if (isObjectType(named) || isInterfaceType(named)) {
    if (!d.harm(2)) sub = ` ${selectionSet(named, d, w, b, depth + 1, maxDepth)}`;
  } else if (d.harm(1)) {
    sub = ' { id }';
  }
  return `${alias}${field.name}${argsText}${directives(d, w, b)}${sub}`;
}

function selection(type: Composite, d: Dice, w: World, b: DocumentBuilder, depth: number, maxDepth: number): string {
  const roll = d.int(0, 99);
  if (roll < 6) return d.chance(20) ? 'typename: __typename' : '__typename';
  if (roll < 10) return `...${b.fragment(type.name, selectionSet(type, d, w, b, depth, maxDepth))}${directives(d, w, b)}`;
  if (roll < 15) {
    const possible: Composite[] = isInterfaceType(type) ? [type, ...SCHEMA.getPossibleTypes(type)] : [type];
    if (d.harm(10)) possible.push(SCHEMA.getType(d.pick(['Patient', 'Event', 'Viewer', 'Query'])) as GraphQLObjectType);
    const on = d.chance(20) ? '' : ` on ${d.pick(possible).name}`;
    const target = on === '' ? type : (SCHEMA.getType(on.slice(4)) as Composite);
    return `...${on}${directives(d, w, b)} ${selectionSet(target, d, w, b, depth, maxDepth)}`;
  }
  if (roll < 17 && d.harm(100)) return d.pick(['nope', 'password', 'id(x: 1)', '__schema { types { name } }']);
  const fields = Object.values(type.getFields());
  const leaves = fields.filter((field) => isLeafType(getNamedType(field.type)));
  const field = depth >= maxDepth && leaves.length > 0 ? d.pick(leaves) : d.pick(fields);
  return fieldText(field, d, w, b, depth, maxDepth);
}

interface RandomDocument {
  readonly query: string;
  readonly variables: Record<string, unknown>;
  readonly operationNames: readonly string[];
  readonly mutation: boolean;
}

function randomDocument(d: Dice, w: World): RandomDocument {
  const b = new DocumentBuilder(d, w);
  const count = d.chance(12) ? d.int(2, 3) : 1;
  const operations: string[] = [];
  const names: string[] = [];
  let mutation = false;
  for (let index = 0; index < count; index += 1) {
    const roll = d.int(0, 99);
    const kind = roll < 78 ? 'query' : roll < 96 ? 'mutation' : 'subscription';
    mutation ||= kind === 'mutation';
    const name = count > 1 || d.chance(50) ? d.pick([`Op${index}`, `Op${index}`, `Op${index}`, 'Op0', 'query']) : undefined;
    if (name) names.push(name);
    b.startOperation();
    const root = kind === 'mutation' ? SCHEMA.getMutationType()! : SCHEMA.getQueryType()!;
    const maxDepth = d.int(1, 7);
    const rootCount = kind === 'mutation' ? (d.chance(85) ? 1 : 2) : d.int(1, 3);
    const fields: string[] = [];
    for (let field = 0; field < rootCount; field += 1) {
      fields.push(
        d.chance(3)
          ? d.pick(['__schema { queryType { name } }', '__type(name: "Patient") { fields { name } }', '__typename'])
          : fieldText(d.pick(Object.values(root.getFields())), d, w, b, 1, maxDepth),
      );
    }
    const header = b.header();
    const shorthand = kind === 'query' && !name && header === '' && count === 1 && d.chance(30);
    operations.push(shorthand ? `{ ${fields.join(' ')} }` : `${kind}${name ? ` ${name}` : ''}${header} { ${fields.join(' ')} }`);
  }
  let query = [...operations, ...b.fragments].join('\n');
  if (d.harm(4)) query = mutilate(query, d);
  return { query, variables: b.values, operationNames: names, mutation };
}

/** A document broken by hand: cut short, a stray character, an unbalanced brace. */
function mutilate(query: string, d: Dice): string {
  const at = d.int(0, Math.max(0, query.length - 1));
  switch (d.int(0, 4)) {
    case 0:
      return query.slice(0, at);
    case 1:
      return `${query.slice(0, at)}${d.pick(['{', '}', '(', '"', '$', '@', '\u0000', '\ud800', '#', '...', '!'])}${query.slice(at)}`;
    case 2:
      return `${query}}`;
    case 3:
      return query.replace('{', '(');
    default:
      return `${query}\n${query}`;
  }
}

// ---------------------------------------------------------------- requests

interface FuzzRequest {
  readonly label: string;
  readonly method: string;
  /** The query string, without `?` ('' for none). */
  readonly search: string;
  readonly headers: Record<string, string>;
  readonly token: TokenKind;
  readonly body?: string | Buffer;
}

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'application/JSON',
  'application/json;charset=UTF-8',
  'text/plain',
  'application/graphql',
  'application/graphql-response+json',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  '%%%/',
  'application/',
  'application/xml',
  '',
];
const ACCEPTS = ['application/json', 'text/html', 'application/graphql-response+json', '*/*', 'application/xml', 'text/html, application/json;q=0.9', ''];

function pickToken(d: Dice): TokenKind {
  const roll = d.int(0, 99);
  if (!d.hostile) return roll < 50 ? 'admin' : roll < 68 ? 'clinician' : roll < 86 ? 'patient' : d.pick(TOKEN_KINDS);
  if (roll < 35) return 'admin';
  if (roll < 45) return 'clinician';
  if (roll < 55) return 'patient';
  if (roll < 63) return 'none';
  return d.pick(TOKEN_KINDS);
}

function headersFor(d: Dice, w: World, kind: 'post' | 'get' | 'other'): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!d.hostile) {
    if (kind !== 'get') headers['content-type'] = d.pick(['application/json', 'application/json; charset=utf-8']);
    else if (!d.chance(10)) headers['apollo-require-preflight'] = 'true';
    if (d.chance(10)) headers.accept = d.pick(['application/json', 'application/graphql-response+json', '*/*']);
    if (d.chance(5)) headers['idempotency-key'] = d.pick(['k1', 'k2', w.marker ?? 'k3']);
    return headers;
  }
  if (kind !== 'get' || d.chance(15)) {
    const contentType = d.chance(80) ? 'application/json' : d.pick(CONTENT_TYPES);
    if (contentType !== '' || d.chance(50)) headers['content-type'] = contentType;
  }
  if (kind === 'get' ? d.chance(75) : d.chance(15)) headers[d.pick(['apollo-require-preflight', 'x-apollo-operation-name'])] = d.pick(['true', '1', 'Op0', '']);
  if (d.chance(25)) headers.accept = d.pick(ACCEPTS);
  if (d.chance(8)) headers['idempotency-key'] = d.pick(['k1', 'k2', 'x'.repeat(300), ' ', w.marker ?? 'k3']);
  if (d.chance(5)) headers['x-request-id'] = d.pick(['abc', 'a b', '../..', 'x'.repeat(200), '']);
  if (d.chance(4)) headers['x-forwarded-for'] = d.pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1', '']);
  return headers;
}

type Envelope = Record<string, unknown>;

function randomEnvelope(d: Dice, w: World): { envelope: Envelope; mutation: boolean } {
  if (d.harm(2)) return { envelope: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(d.anyText(10)) } } }, mutation: false };
  const doc = randomDocument(d, w);
  const envelope: Envelope = { query: doc.query };
  const variables = { ...doc.variables };
  if (d.harm(10)) defineKey(variables, d.pick(['extra', '__proto__', 'v99', '']), wrongValue(d, w));
  if (Object.keys(variables).length > 0 || d.chance(30)) envelope.variables = variables;
  if (d.harm(4)) envelope.variables = d.pick<unknown>(['{}', [], 1, null, 'x', [variables], true]);
  const names = doc.operationNames;
  const operationName =
    names.length > 1 ? (d.harm(30) ? d.pick([undefined, 'Nope', '']) : d.pick(names)) : d.harm(15) ? d.pick(['Nope', '']) : d.chance(20) ? names[0] : undefined;
  if (operationName !== undefined) envelope.operationName = operationName;
  if (d.harm(3)) envelope.operationName = d.pick<unknown>([1, null, {}, [], true]);
  if (d.harm(3)) envelope.query = d.pick<unknown>([1, null, '', [], { kind: 'Document' }, true]);
  if (d.harm(6)) {
    envelope.extensions = d.pick<() => unknown>([
      () => ({ persistedQuery: { version: 1, sha256Hash: sha256(doc.query) } }),
      () => ({ persistedQuery: { version: 1, sha256Hash: sha256('another document') } }),
      () => ({ persistedQuery: { version: 2, sha256Hash: sha256(doc.query) } }),
      () => ({ persistedQuery: { version: 1, sha256Hash: sha256(doc.query).toUpperCase() } }),
      () => ({ persistedQuery: 'x' }),
      () => 'x',
      () => [],
      () => ({ foo: 1 }),
      () => null,
    ])();
  }
  if (d.harm(3)) envelope.documentId = d.pick<unknown>([`sha256:${sha256(doc.query)}`, 'sha256:abc', 42, '', null, `sha256:${d.pick(w.trusted).hash}`]);
  return { envelope, mutation: doc.mutation };
}

/** A trusted document by hash with fuzzed variables (and sometimes a query text, an operationName, a second hash). */
function trustedEnvelope(d: Dice, w: World): { envelope: Envelope; mutation: boolean } {
  const doc = d.pick(w.trusted);
  const variables: Record<string, unknown> = {};
  for (const variable of doc.variables) {
    const roll = d.int(0, 99);
    if (roll < 80) variables[variable.name] = inputValue(variable.type, d, w);
    else if (roll < 88) variables[variable.name] = null;
  }
  if (d.harm(10)) defineKey(variables, d.pick(['extra', '__proto__', 'input', 'id']), wrongValue(d, w));
  const envelope: Envelope = { variables };
  if (d.harm(5)) envelope.variables = d.pick<unknown>([[], 1, null, 'x', true]);
  const apq = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });
  switch (d.hostile ? d.int(0, 9) : d.int(0, 7)) {
    case 0:
    case 1:
    case 2:
    case 3:
      envelope.extensions = apq(doc.hash);
      break;
    case 4:
    case 5:
    case 6:
      envelope.documentId = `sha256:${doc.hash}`;
      break;
    case 7:
      envelope.extensions = apq(doc.hash);
      envelope.documentId = `sha256:${doc.hash}`;
      break;
    case 8:
      envelope.extensions = apq(doc.hash);
      envelope.documentId = `sha256:${d.pick(w.trusted).hash}`;
      break;
    default:
      envelope.documentId = `sha256:${doc.hash.slice(0, -1)}${doc.hash.endsWith('0') ? '1' : '0'}`;
  }
  if (d.chance(5)) envelope.query = doc.text;
  if (d.harm(8)) envelope.query = d.pick([`${doc.text} `, d.pick(w.trusted).text, '{ __typename }']);
  if (d.chance(5)) envelope.operationName = doc.name;
  if (d.harm(12)) envelope.operationName = d.pick<unknown>(['Nope', '', 1, null]);
  return { envelope, mutation: doc.text.startsWith('mutation') };
}

function searchFor(envelope: Envelope, d: Dice, w: World): string {
  const params = new URLSearchParams();
  for (const name of ['query', 'variables', 'operationName', 'extensions', 'documentId']) {
    const value = envelope[name];
    if (value !== undefined) params.append(name, typeof value === 'string' ? value : JSON.stringify(value));
  }
  const roll = d.hostile ? d.int(0, 99) : 99;
  if (roll < 3) params.append('query', '{ __typename }');
  else if (roll < 14) params.set('variables', d.pick(['{bad', '[1]', 'null', '""', '1', '{"a":', `{"x":"${w.marker ?? 'y'}`]));
  else if (roll < 18) params.append(d.pick(['foo', 'Query', 'variables[]', '']), text(d, w));
  else if (roll < 20) params.set('extensions', d.pick(['{bad', '[]', '"x"', '{"persistedQuery":1}']));
  const search = params.toString();
  return roll >= 20 && roll < 23 ? `${search}&%zz=%&=&&` : search;
}

function rawBody(d: Dice, w: World, envelope: Envelope): { body: string | Buffer; label: string } {
  const json = JSON.stringify(envelope);
  switch (d.int(0, 13)) {
    case 0:
      return { body: json.slice(0, d.int(0, Math.max(0, json.length - 1))), label: 'truncated JSON' };
    case 1:
      return { body: `${json}${d.pick([' x', '}', ',', '\u0000', json])}`, label: 'JSON with trailing garbage' };
    case 2:
      return { body: `[${json}]`, label: 'a batch of one' };
    case 3:
      return { body: `[${json},${json}]`, label: 'a batch of two' };
    case 4:
      return { body: d.pick(['null', 'true', '42', '"x"', '{}', '[]', '', '  ']), label: 'a bare JSON value' };
    case 5:
      return { body: fc.sample(fc.json(), { seed: d.int(0, 1e9), numRuns: 1 })[0]!, label: 'random JSON' };
    case 6:
      return { body: d.anyText(60), label: 'random text' };
    case 7: {
      const levels = d.pick([62, 63, 64, 65, 1000]);
      return { body: `{"query":"{ __typename }","variables":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}`, label: `variables nested ${levels} deep` };
    }
    case 8:
      return {
        body: JSON.stringify({
          query: d.pick<unknown>([1, true, [], {}, null, 'query']),
          variables: d.pick<unknown>(['x', 1, [], null]),
          operationName: d.pick<unknown>([1, {}, [], null]),
          extensions: d.pick<unknown>(['x', 1, [], null, { persistedQuery: { version: '1' } }]),
        }),
        label: 'fields of the wrong type',
      };
    case 9:
      return {
        body: Buffer.concat([Buffer.from('{"query":"{ __typename }","variables":{"x":"'), Buffer.from(d.pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf]])), Buffer.from('"}}')]),
        label: 'invalid UTF-8',
      };
    case 10:
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), label: 'a byte order mark' };
    case 11:
      return { body: `{"query":"{ __typename }","query":${JSON.stringify(envelope.query ?? null)},"variables":{"a":1},"variables":null}`, label: 'duplicate keys' };
    case 12:
      return { body: `{"query":"{ __typename }","variables":{"pad":"${'x'.repeat(1_100_000)}"}}`, label: 'over 1 MB' };
    default:
      return { body: JSON.stringify({ ...envelope, query: text(d, w) }), label: 'a query that is random text' };
  }
}

function randomRequest(d: Dice, w: World, production: boolean): FuzzRequest {
  d.hostile = d.chance(40);
  const trusted = d.chance(production ? 70 : 10);
  const { envelope, mutation } = trusted ? trustedEnvelope(d, w) : randomEnvelope(d, w);
  const token = pickToken(d);
  const what = `${trusted ? 'trusted' : 'random'} ${mutation ? 'mutation' : 'operation'}`;
  const roll = d.hostile ? d.int(0, 99) : d.int(0, 84);
  // A calm mutation goes by POST (GET is for queries).
  if (roll < 58 || (roll < 85 && mutation && !d.hostile)) {
    const headers = headersFor(d, w, 'post');
    let body: string | Buffer = JSON.stringify(envelope);
    if (d.harm(3)) {
      headers['content-encoding'] = d.pick(['gzip', 'deflate', 'x-unknown', 'identity']);
      if (headers['content-encoding'] === 'gzip' && d.chance(70)) body = zlib.gzipSync(Buffer.from(body));
    }
    return { label: `POST ${what}`, method: 'POST', search: '', headers, token, body };
  }
  if (roll < 85) return { label: `GET ${what}`, method: 'GET', search: searchFor(envelope, d, w), headers: headersFor(d, w, 'get'), token };
  if (roll < 97) {
    const { body, label } = rawBody(d, w, envelope);
    return { label: `POST ${label}`, method: 'POST', search: '', headers: headersFor(d, w, 'post'), token, body };
  }
  const method = d.pick(['PUT', 'DELETE', 'PATCH']);
  return { label: `${method} ${what}`, method, search: '', headers: headersFor(d, w, 'other'), token, body: JSON.stringify(envelope) };
}

/** `runs` requests from the seed, generated before any is sent. */
function sampleRequests(w: World, production: boolean, seed: number, runs: number): FuzzRequest[] {
  return fc.sample(
    fc.gen().map((g) => randomRequest(new Dice(g), w, production)),
    { seed, numRuns: runs },
  );
}

// ---------------------------------------------------------------- sending and judging

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function send(target: Target, request: FuzzRequest): Promise<Answer> {
  const headers = { ...request.headers };
  const authorization = target.tokens[request.token];
  if (authorization !== undefined) headers.authorization = authorization;
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
  const response = await fetch(`${target.url}${request.search === '' ? '' : `?${request.search}`}`, {
    method: request.method,
    headers,
    ...(body !== undefined ? { body } : {}),
    redirect: 'manual',
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

/** What is wrong with an answer under the invariants of part 1 (empty when nothing is). */
function problemsOf(request: FuzzRequest, answer: Answer, production: boolean): string[] {
  const problems: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    // The contract: GET /graphql with Accept: text/html in development is the Sandbox landing page
    // (Apollo serves it whatever the search string holds).
    const landingPage =
      !production &&
      request.method === 'GET' &&
      answer.status === 200 &&
      answer.contentType.startsWith('text/html') &&
      (request.headers.accept ?? '').includes('text/html');
    if (!landingPage) problems.push(`the body is not JSON (${answer.contentType || 'no content type'})`);
    if (answer.status >= 500) problems.push(`HTTP ${answer.status}`);
    return problems;
  }
  const errors = (body as { errors?: unknown } | null)?.errors;
  const list = Array.isArray(errors) ? (errors as { extensions?: { code?: unknown } }[]) : [];
  if (errors !== undefined && !Array.isArray(errors)) problems.push('`errors` is not an array');
  const codes = list.map((error) => error?.extensions?.code);
  if (codes.some((code) => typeof code !== 'string')) problems.push('an error without extensions.code');
  if (codes.includes('INTERNAL_SERVER_ERROR')) problems.push('INTERNAL_SERVER_ERROR');
  if (answer.status >= 500 && !(answer.status === 503 && codes.includes('SERVICE_UNAVAILABLE'))) problems.push(`HTTP ${answer.status}`);
  return problems;
}

interface Failure {
  readonly index: number;
  readonly problems: readonly string[];
  readonly request: FuzzRequest;
  readonly answer: Answer | undefined;
}

const clip = (value: string, max: number) => (value.length > max ? `${value.slice(0, max)}… (${value.length} chars)` : value);

function describeRequest(request: FuzzRequest): string {
  const body =
    request.body === undefined
      ? ''
      : typeof request.body === 'string'
        ? ` body=${JSON.stringify(clip(request.body, 1200))}`
        : ` body=<${request.body.length} bytes, base64 ${clip(request.body.toString('base64'), 400)}>`;
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${clip(value, 60)}`)
    .join('; ');
  return `${request.method} /graphql${request.search === '' ? '' : `?${clip(request.search, 1200)}`} token=${request.token} headers={${headers}}${body}`;
}

/** The codes and first message of a JSON answer, for grouping and statistics. */
function errorSummary(answer: Answer): string {
  try {
    const errors = (JSON.parse(answer.text) as { errors?: { message?: string; extensions?: { code?: unknown } }[] }).errors ?? [];
    return errors.length === 0 ? 'no errors' : `${[...new Set(errors.map((error) => String(error.extensions?.code)))].join('+')}: ${clip(String(errors[0]?.message), 100)}`;
  } catch {
    return `${answer.text.length} bytes, not JSON`;
  }
}

function report(failures: readonly Failure[], total: number, what: string): string {
  if (failures.length === 0) return '';
  const groups = new Map<string, number>();
  for (const failure of failures) {
    const key = `${failure.problems.join(', ')} | ${failure.answer ? `HTTP ${failure.answer.status} ${failure.answer.contentType || 'no content type'} ${errorSummary(failure.answer)}` : 'no answer'}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const lines = [
    `${failures.length} of ${total} ${what} requests broke an invariant (fast-check seed ${SEED}; the request index is its position in fc.sample):`,
    'Kinds:',
    ...[...groups].map(([key, count]) => `  ${count} x ${key}`),
    'Every failing request:',
    ...failures.slice(0, 300).map(
      (failure) =>
        `  #${failure.index} [${failure.request.label}] ${failure.problems.join(', ')}\n    request: ${describeRequest(failure.request)}\n    answer: ${
          failure.answer ? `HTTP ${failure.answer.status} ${clip(failure.answer.text, 600)}` : 'none'
        }`,
    ),
    ...(failures.length > 300 ? [`  … and ${failures.length - 300} more`] : []),
  ];
  return lines.join('\n');
}

/** Sends every request (CONCURRENCY at a time) and returns the ones that broke an invariant, with their answers. */
async function fuzz(target: Target, requests: readonly FuzzRequest[]): Promise<{ failures: Failure[]; unavailable: number; outcomes: string }> {
  const failures: Failure[] = [];
  const kinds = new Map<string, number>();
  let unavailable = 0;
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const index = next;
      next += 1;
      const request = requests[index]!;
      let answer: Answer | undefined;
      try {
        answer = await send(target, request);
      } catch (error) {
        failures.push({ index, problems: [`no HTTP answer: ${String((error as Error).cause ?? error)}`], request, answer: undefined });
        continue;
      }
      if (answer.status === 503) unavailable += 1;
      const kind = `${answer.status} ${errorSummary(answer).split(':')[0]}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const problems = problemsOf(request, answer, target.production);
      if (problems.length > 0) failures.push({ index, problems, request, answer });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  failures.sort((left, right) => left.index - right.index);
  const outcomes = [...kinds]
    .sort((left, right) => right[1] - left[1])
    .slice(0, 14)
    .map(([kind, count]) => `${count} x ${kind}`)
    .join('; ');
  return { failures, unavailable, outcomes };
}

async function makeTarget(gw: TestGateway, label: string, production: boolean, marker?: string): Promise<Target> {
  const ids = await seed(gw, label);
  const { url } = await gw.gateway.listen();
  const tokens = await tokensFor(gw, ids);
  const cursors: string[] = [];
  if (!production) {
    for (const query of ['{ patients(first: 1) { pageInfo { endCursor } } }', '{ events(first: 1) { pageInfo { endCursor } } }']) {
      const { data } = await gw.run<Record<string, { pageInfo: { endCursor: string | null } }>>(query);
      const cursor = Object.values(data ?? {})[0]?.pageInfo.endCursor;
      if (cursor) cursors.push(cursor);
    }
  }
  const world: World = { ids, trusted: trustedDocuments(gw.config.persistedDocumentsPath), cursors, ...(marker ? { marker } : {}) };
  return { gw, url, production, tokens, world };
}

// ---------------------------------------------------------------- the fixed cases

const REQUEST_ERRORS = ['BAD_REQUEST', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE'];
const CREATE_EVENT = 'mutation ($input: CreateEventInput!) { createEvent(input: $input) { id title } }';

interface FixedCase {
  readonly name: string;
  readonly token?: TokenKind;
  readonly method?: 'GET';
  readonly envelope: Envelope;
  /** The HTTP status, or the statuses the contract allows. */
  readonly status: number | readonly number[];
  /** Every error's code is one of these (and there is at least one error). */
  readonly codes: readonly string[];
  /** Tables whose row counts the request must not change. */
  readonly unchanged?: readonly Table[];
}

/** The known hostile requests; `label` goes into every text they send (the marker, for the log gateway). */
function fixedCases(label: string, ids: Ids): FixedCase[] {
  const patientId = toGlobalId('Patient', ids.patients[0]!);
  const slots = [{ date: '2026-12-07', time: '09:00' }];
  return [
    { name: 'two operations without operationName', envelope: { query: 'query A { __typename } query B { viewer { role } }' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'two operations with an empty operationName', envelope: { query: 'query A { __typename } query B { viewer { role } }', operationName: '' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'an unknown operationName', envelope: { query: 'query A { __typename }', operationName: 'Nope' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'an unknown operationName among two operations', envelope: { query: 'query A { __typename } query B { __typename }', operationName: 'C' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'an unknown operationName by GET', method: 'GET', envelope: { query: 'query A { __typename }', operationName: 'Nope' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'a subscription', envelope: { query: 'subscription { __typename }' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'a named subscription over a Query field', envelope: { query: 'subscription S { patients(first: 1) { totalCount } }' }, status: 400, codes: REQUEST_ERRORS },
    { name: 'a subscription picked by operationName next to a query', envelope: { query: 'query Q { __typename } subscription S { __typename }', operationName: 'S' }, status: 400, codes: REQUEST_ERRORS },
    // Apollo refuses every non-query over GET with 405 before the plugins see the operation (the project pins
    // 405 for a mutation by GET, test/hostile-input.test.ts); the error table says 400 for a subscription.
    { name: 'a subscription by GET', method: 'GET', envelope: { query: 'subscription { __typename }' }, status: [400, 405], codes: REQUEST_ERRORS },
    {
      name: 'null for a defaulted variable used where null is not allowed (patient(id:))',
      envelope: { query: 'query ($id: ID = "UGF0aWVudDox") { patient(id: $id) { name } }', variables: { id: null } },
      status: 400,
      codes: ['BAD_REQUEST'],
    },
    {
      name: 'the same null by GET',
      method: 'GET',
      envelope: { query: 'query ($id: ID = "UGF0aWVudDox") { patient(id: $id) { name } }', variables: { id: null } },
      status: 400,
      codes: ['BAD_REQUEST'],
    },
    {
      name: 'null for a defaulted variable in a non-null list item (nodes(ids: [$id]))',
      envelope: { query: `query ($id: ID = "${patientId}") { nodes(ids: [$id]) { id } }`, variables: { id: null } },
      status: 400,
      codes: ['BAD_REQUEST'],
    },
    {
      name: 'null for a defaulted variable used inside a fragment',
      envelope: { query: `query ($id: ID = "${patientId}") { ...F } fragment F on Query { patient(id: $id) { name } }`, variables: { id: null } },
      status: 400,
      codes: ['BAD_REQUEST'],
    },
    {
      name: 'null for a defaulted variable in @skip(if:)',
      envelope: { query: 'query ($b: Boolean = false) { viewer @skip(if: $b) { role } }', variables: { b: null } },
      status: 400,
      codes: ['BAD_REQUEST'],
    },
    {
      name: 'null for a defaulted variable in a non-null input field of a mutation',
      envelope: {
        query: `mutation ($t: String = "${label} fixed") { createEvent(input: { title: $t, slots: [{ date: "2026-12-07", time: "09:00" }] }) { id } }`,
        variables: { t: null },
      },
      status: 400,
      codes: ['BAD_REQUEST'],
      unchanged: ['events', 'schedules'],
    },
    {
      name: 'createEvent by a clinician token whose clinician does not exist',
      token: 'unknownClinician',
      envelope: { query: CREATE_EVENT, variables: { input: { title: `${label} unknown organizer`, description: `${label} about`, slots } } },
      status: 200,
      codes: ['FORBIDDEN'],
      unchanged: ['events', 'schedules'],
    },
    {
      name: 'createRecord by a clinician token whose clinician does not exist',
      token: 'unknownClinician',
      envelope: {
        query: CREATE_RECORD_ID,
        variables: { input: { patientId, diagnosis: `${label} by nobody`, notes: `${label} notes` } },
      },
      status: 200,
      codes: ['FORBIDDEN'],
      unchanged: ['medical_records'],
    },
    {
      name: 'createPatient by a clinician token whose clinician does not exist',
      token: 'unknownClinician',
      envelope: {
        query: CREATE_PATIENT_ID,
        variables: { input: { name: `${label} Nobody`, email: `${label.toLowerCase()}@example.org`, birthDate: '1990-01-01' } },
      },
      status: 200,
      codes: ['FORBIDDEN'],
      unchanged: ['patients'],
    },
  ];
}

/** Sends a fixed case twice (cold, then with whatever the first run warmed) and checks both answers. */
async function runFixedCase(target: Target, fixed: FixedCase): Promise<void> {
  const before = fixed.unchanged ? await rowCounts(target.gw) : undefined;
  for (const attempt of ['first', 'second']) {
    const request: FuzzRequest =
      fixed.method === 'GET'
        ? {
            label: fixed.name,
            method: 'GET',
            search: new URLSearchParams(
              Object.entries(fixed.envelope).map(([name, value]): [string, string] => [name, typeof value === 'string' ? value : JSON.stringify(value)]),
            ).toString(),
            headers: { 'apollo-require-preflight': 'true' },
            token: fixed.token ?? 'admin',
          }
        : { label: fixed.name, method: 'POST', search: '', headers: { 'content-type': 'application/json' }, token: fixed.token ?? 'admin', body: JSON.stringify(fixed.envelope) };
    const answer = await send(target, request);
    const context = `${attempt} run: HTTP ${answer.status} ${answer.text}`;
    expect(problemsOf(request, answer, target.production), context).toEqual([]);
    expect([fixed.status].flat(), context).toContain(answer.status);
    const body = JSON.parse(answer.text) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.length ?? 0, context).toBeGreaterThan(0);
    for (const error of body.errors ?? []) expect(fixed.codes, context).toContain(error.extensions?.code);
  }
  if (before) {
    const after = await rowCounts(target.gw);
    for (const table of fixed.unchanged ?? []) expect(after[table], `rows of ${table}`).toBe(before[table]);
  }
}

// ---------------------------------------------------------------- the gateways

let development: Target;
let developmentUncached: Target;
let production: Target;
let logged: Target;
/** Every line the log gateway wrote, as written. */
const logLines: string[] = [];
const gateways: TestGateway[] = [];

beforeAll(async () => {
  const created = (gw: Promise<TestGateway>) => gw.then((ready) => (gateways.push(ready), ready));
  const [developmentGw, uncachedGw, productionGw, loggedGw] = await Promise.all([
    created(createTestGateway({ name: 'fuzz_dev', cache: true, env: { NODE_ENV: 'development', RATE_LIMIT_COST_PER_MINUTE: '0' } })),
    created(createTestGateway({ name: 'fuzz_nocache', cache: false, env: { NODE_ENV: 'development', RATE_LIMIT_COST_PER_MINUTE: '0' } })),
    created(createTestGateway({ name: 'fuzz_prod', cache: true, env: { NODE_ENV: 'production', JWT_SECRET: PRODUCTION_SECRET } })),
    created(createTestGateway({
      name: 'fuzz_logs',
      cache: true,
      // SLOW_REQUEST_MS=0: every request is "slow", so each gets the one line a slow or failed request gets
      // (the happy path logs nothing), and every request line can be checked.
      env: { NODE_ENV: 'development', LOG_LEVEL: 'trace', RATE_LIMIT_COST_PER_MINUTE: '0', SLOW_REQUEST_MS: '0' },
      logDestination: { write: (line: string) => void logLines.push(line) },
    })),
  ]);
  [development, developmentUncached, production, logged] = await Promise.all([
    makeTarget(developmentGw, 'Fuzz', false),
    makeTarget(uncachedGw, 'Fuzz', false),
    makeTarget(productionGw, 'Fuzz', true),
    makeTarget(loggedGw, MARKER, false, MARKER),
  ]);
});

afterAll(async () => {
  await Promise.all(gateways.map((gw) => gw.close()));
});

// ---------------------------------------------------------------- 1. no client input is a server fault

describe.each([
  { cache: 'on', target: () => development },
  { cache: 'off', target: () => developmentUncached },
])('known hostile requests, with the cache $cache', ({ target }) => {
  it.each(fixedCases('Fuzz', { clinicians: [1], patients: [1], records: [1], events: [1], schedules: [1], selections: [1] }).map((fixed) => ({ name: fixed.name })))(
    'answers $name as the contract says (and the same when repeated), writing nothing',
    async ({ name }) => {
      const fixed = fixedCases('Fuzz', target().world.ids).find((candidate) => candidate.name === name)!;
      await runFixedCase(target(), fixed);
    },
  );
});

describe.each([
  { cache: 'on', target: () => development },
  { cache: 'off', target: () => developmentUncached },
])('writes racing each other, with the cache $cache', ({ target }) => {
  const request = (envelope: Envelope): FuzzRequest => ({
    label: 'race',
    method: 'POST',
    search: '',
    headers: { 'content-type': 'application/json' },
    token: 'admin',
    body: JSON.stringify(envelope),
  });
  const post = (envelope: Envelope) => send(target(), request(envelope));

  it('answers setSelections racing deleteEvent for the same event with NOT_FOUND or success, never INTERNAL_SERVER_ERROR', async () => {
    const problems: string[] = [];
    for (let round = 0; round < 8; round += 1) {
      const created = await post({
        query: 'mutation ($input: CreateEventInput!) { createEvent(input: $input) { id schedules { id } } }',
        variables: { input: { title: `Race ${round}`, slots: [{ date: '2026-12-07', time: '09:00' }, { date: '2026-12-07', time: '09:15' }, { date: '2026-12-08', time: '09:00' }] } },
      });
      const event = (JSON.parse(created.text) as { data: { createEvent: { id: string; schedules: { id: string }[] } } }).data.createEvent;
      const racing = [
        { query: DELETE_EVENT, variables: { id: event.id } },
        ...target().world.ids.patients.slice(0, 3).map((patient) => ({
          query: SET_SELECTIONS_ID,
          variables: { input: { eventId: event.id, patientId: toGlobalId('Patient', patient), scheduleIds: event.schedules.map((schedule) => schedule.id) } },
        })),
      ].map(request);
      const answers = await Promise.all(racing.map((sent) => send(target(), sent)));
      answers.forEach((answer, index) => {
        const sent = racing[index]!;
        const found = problemsOf(sent, answer, false);
        const codes = ((JSON.parse(answer.text) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((error) => error.extensions?.code);
        if (codes.some((code) => code !== 'NOT_FOUND')) found.push(`codes ${codes.join(', ')}`);
        if (found.length > 0) problems.push(`round ${round}: ${found.join(', ')}\n    request: ${describeRequest(sent)}\n    answer: HTTP ${answer.status} ${clip(answer.text, 400)}`);
      });
    }
    expect(problems, `${problems.length} answers broke an invariant:\n${problems.join('\n')}`).toEqual([]);
  });
});

describe('known hostile requests in production (trusted documents)', () => {
  it('refuses createEvent by a clinician token whose clinician does not exist with FORBIDDEN, writing nothing', async () => {
    const hash = production.world.trusted.find((doc) => doc.name === 'CreateEvent')!.hash;
    await runFixedCase(production, {
      name: 'createEvent by an unknown clinician, by hash',
      token: 'unknownClinician',
      envelope: { extensions: { persistedQuery: { version: 1, sha256Hash: hash } }, variables: { input: { title: 'Nobody', slots: [{ date: '2026-12-07', time: '09:00' }] } } },
      status: 200,
      codes: ['FORBIDDEN'],
      unchanged: ['events', 'schedules'],
    });
  });

  it('refuses a random document with PERSISTED_QUERY_REQUIRED (400), not a server error', async () => {
    await runFixedCase(production, {
      name: 'two operations without operationName',
      envelope: { query: 'query A { __typename } query B { __typename }' },
      status: 400,
      codes: ['PERSISTED_QUERY_REQUIRED'],
    });
  });
});

describe('random requests (fast-check)', () => {
  it(`never answers a development gateway's ${DEVELOPMENT_RUNS} random requests with a 5xx or INTERNAL_SERVER_ERROR`, async () => {
    const requests = sampleRequests(development.world, false, SEED, DEVELOPMENT_RUNS);
    const { failures, unavailable, outcomes } = await fuzz(development, requests);
    console.info(`development fuzz, most frequent answers: ${outcomes}`);
    if (unavailable > 0) console.info(`development fuzz: ${unavailable} answers were 503 SERVICE_UNAVAILABLE`);
    expect(failures.length, report(failures, requests.length, 'development')).toBe(0);
  });

  it(`never answers a production gateway's ${PRODUCTION_RUNS} random requests (mostly trusted documents with fuzzed variables) with a 5xx or INTERNAL_SERVER_ERROR`, async () => {
    const requests = sampleRequests(production.world, true, SEED + 1, PRODUCTION_RUNS);
    const { failures, unavailable, outcomes } = await fuzz(production, requests);
    console.info(`production fuzz, most frequent answers: ${outcomes}`);
    if (unavailable > 0) console.info(`production fuzz: ${unavailable} answers were 503 SERVICE_UNAVAILABLE`);
    expect(failures.length, report(failures, requests.length, 'production')).toBe(0);
  });

  it('still serves afterwards: /healthz is 200 and a patient reads back', async () => {
    for (const target of [development, production]) {
      const health = await fetch(target.url.replace(/\/graphql$/, '/healthz'));
      expect(health.status).toBe(200);
    }
    const answer = await send(development, {
      label: 'health',
      method: 'POST',
      search: '',
      headers: { 'content-type': 'application/json' },
      token: 'admin',
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(JSON.parse(answer.text)).toMatchObject({ data: { viewer: { role: 'ADMIN' } } });
    expect(JSON.parse(answer.text).errors).toBeUndefined();
  });
});

// ---------------------------------------------------------------- 2. the logs never hold patient data

describe('logs never hold patient data (LOG_LEVEL=trace)', () => {
  const marker = MARKER.toLowerCase();

  /** Lines written since `from`, parsed. */
  const linesSince = (from: number) => logLines.slice(from).map((line) => JSON.parse(line) as Record<string, any>);

  function expectNoMarker(from: number): void {
    const offending = logLines.slice(from).filter((line) => line.toLowerCase().includes(marker));
    expect(offending.map((line) => clip(line, 1500)), `log lines holding "${MARKER}"`).toEqual([]);
  }

  /** Waits (bounded) until the HTTP front has logged `count` more requests: it logs on 'finish', which may follow the client's read. */
  async function requestLinesSince(from: number, count: number): Promise<Record<string, any>[]> {
    const requestLines = () => linesSince(from).filter((line) => line.requestId && line.path);
    await vi.waitFor(() => expect(requestLines().length).toBeGreaterThanOrEqual(count), { timeout: 5000, interval: 20 });
    return requestLines();
  }

  const post = (envelope: Envelope, token: TokenKind = 'admin') =>
    send(logged, { label: 'log', method: 'POST', search: '', headers: { 'content-type': 'application/json' }, token, body: JSON.stringify(envelope) });
  const get = (search: string, token: TokenKind = 'admin') =>
    send(logged, { label: 'log', method: 'GET', search, headers: { 'apollo-require-preflight': 'true' }, token });
  const params = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

  it('seeded marked rows that reads return (so the marker is there to leak)', async () => {
    const from = logLines.length;
    const patientId = toGlobalId('Patient', logged.world.ids.patients[0]!);
    const eventId = toGlobalId('Event', logged.world.ids.events[0]!);
    const reads = [
      { query: '{ patients(first: 10) { nodes { id name email records(first: 5) { nodes { diagnosis treatment notes } } } } }' },
      { query: 'query ($id: ID!) { patient(id: $id) { name email selections { schedule { event { title } } } } }', variables: { id: patientId } },
      { query: 'query ($id: ID!) { event(id: $id) { title organizer { name } schedules { selections { patient { name email } } } } }', variables: { id: eventId } },
      { query: 'query ($f: PatientFilter) { patients(filter: $f) { totalCount nodes { name } } }', variables: { f: { nameContains: MARKER } } },
    ];
    for (const round of ['cold', 'warm']) {
      for (const read of reads) {
        const answer = await post(read);
        expect(answer.status, `${round}: ${answer.text}`).toBe(200);
        expect(answer.text.toLowerCase(), round).toContain(marker);
        expect(JSON.parse(answer.text).errors, round).toBeUndefined();
      }
    }
    await requestLinesSince(from, reads.length * 2);
    expectNoMarker(from);
  });

  it('logs no marker while the known hostile requests carry it (the unknown-clinician createEvent included)', async () => {
    const from = logLines.length;
    const cases = fixedCases(MARKER, logged.world.ids);
    for (const fixed of cases) await runFixedCase(logged, fixed);
    await requestLinesSince(from, cases.length * 2);
    expectNoMarker(from);
  });

  it('logs no marker, and no query string, for GET requests with the marker in variables, literals and search parameters', async () => {
    const from = logLines.length;
    const filter = 'query ($f: PatientFilter) { patients(filter: $f) { nodes { name email } } }';
    const searches = [
      params({ query: filter, variables: JSON.stringify({ f: { nameContains: MARKER } }) }),
      params({ query: `{ patients(filter: { nameContains: "${MARKER}" }) { nodes { name } } }` }),
      params({ query: filter, variables: `{"f":{"nameContains":"${MARKER}"` }),
      params({ query: 'query ($id: ID!) { patient(id: $id) { name } }', variables: JSON.stringify({ id: { x: MARKER } }) }),
      params({ query: 'query ($id: ID!) { patient(id: $id) { name } }', variables: JSON.stringify({ id: MARKER }) }),
      params({ query: `{ patients(after: "${MARKER}") { totalCount } }` }),
      params({ query: '{ __typename }', [MARKER]: MARKER }),
      params({
        documentId: `sha256:${logged.world.trusted.find((doc) => doc.name === 'PatientList')!.hash}`,
        variables: JSON.stringify({ filter: { nameContains: MARKER } }),
      }),
      params({ query: `mutation { createPatient(input: { name: "${MARKER}", birthDate: "1990-01-01" }) { id } }` }),
    ];
    for (const search of searches) {
      const answer = await get(search);
      expect(answer.status, answer.text).toBeLessThan(500);
    }
    const lines = await requestLinesSince(from, searches.length);
    const gets = lines.filter((line) => line.method === 'GET');
    expect(gets.length).toBeGreaterThanOrEqual(searches.length);
    for (const line of gets) {
      expect(line.path, JSON.stringify(line)).toBe('/graphql');
      expect(line.url).toBeUndefined();
    }
    const withQueryString = logLines.slice(from).filter((line) => /[?&](query|variables|documentId|extensions)=/.test(line));
    expect(withQueryString.map((line) => clip(line, 500))).toEqual([]);
    expectNoMarker(from);
  });

  it('logs the database failures of marked writes by their code and statement shape, never their values or the server message', async () => {
    const pool = logged.gw.database.pool;
    // Triggers that refuse marked rows with the row's own text in MySQL's message: a database fault the
    // gateway cannot foresee, so it is logged (with the message and bound values withheld) and masked.
    for (const [table, column, timing] of [
      ['medical_records', 'diagnosis', 'INSERT'],
      ['patients', 'name', 'INSERT'],
      ['patients', 'name', 'UPDATE'],
    ] as const) {
      await pool.query(
        `CREATE TRIGGER fuzz_refuse_${table}_${timing.toLowerCase()} BEFORE ${timing} ON ${table} FOR EACH ROW BEGIN
           DECLARE reason VARCHAR(120);
           IF NEW.${column} LIKE '%trigger-refusal%' THEN
             SET reason = LEFT(CONCAT('refused ', NEW.${column}), 120);
             SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = reason;
           END IF;
         END`,
      );
    }
    const from = logLines.length;
    const patientId = toGlobalId('Patient', logged.world.ids.patients[1]!);
    const writes: { name: string; envelope: Envelope; code: string }[] = [
      {
        name: 'createRecord for a patient that does not exist (a foreign-key failure)',
        envelope: {
          query: CREATE_RECORD_ID,
          variables: { input: { patientId: toGlobalId('Patient', 987_654_321), diagnosis: `${MARKER} orphan`, notes: `${MARKER} notes` } },
        },
        code: 'NOT_FOUND',
      },
      {
        name: 'setSelections for a patient that does not exist',
        envelope: {
          query: SET_SELECTIONS_ID,
          variables: { input: { patientId: toGlobalId('Patient', 987_654_321), eventId: toGlobalId('Event', logged.world.ids.events[0]!), scheduleIds: [] } },
        },
        code: 'NOT_FOUND',
      },
      {
        name: 'createRecord refused by a trigger',
        envelope: {
          query: CREATE_RECORD_ID,
          variables: { input: { patientId, diagnosis: `${MARKER} trigger-refusal`, treatment: `${MARKER} rest` } },
        },
        code: 'INTERNAL_SERVER_ERROR',
      },
      {
        name: 'createPatient refused by a trigger',
        envelope: {
          query: CREATE_PATIENT_ID,
          variables: { input: { name: `${MARKER} trigger-refusal`, email: `${marker}.new@example.org`, birthDate: '1990-01-01' } },
        },
        code: 'INTERNAL_SERVER_ERROR',
      },
      {
        // The server's message then spans two lines: a log that drops only the first line of a stack keeps the second.
        name: 'createPatient refused by a trigger, the marker after a line break',
        envelope: {
          query: CREATE_PATIENT_ID,
          variables: { input: { name: `Line one\n${MARKER} trigger-refusal`, birthDate: '1990-01-01' } },
        },
        code: 'INTERNAL_SERVER_ERROR',
      },
      {
        name: 'updatePatient refused by a trigger',
        envelope: {
          query: 'mutation ($input: UpdatePatientInput!) { updatePatient(input: $input) { id } }',
          variables: { input: { id: patientId, expectedVersion: 1, name: `${MARKER} trigger-refusal` } },
        },
        code: 'INTERNAL_SERVER_ERROR',
      },
    ];
    for (const write of writes) {
      const answer = await post(write.envelope);
      const body = JSON.parse(answer.text) as { errors?: { message: string; extensions?: { code?: string } }[] };
      expect(body.errors?.map((error) => error.extensions?.code), `${write.name}: ${answer.text}`).toEqual([write.code]);
      expect(answer.text.toLowerCase(), `${write.name}: the answer`).not.toContain('trigger-refusal');
    }
    await requestLinesSince(from, writes.length);
    const lines = linesSince(from);
    // Not vacuous: each trigger refusal was logged as an error, with the driver's code and the statement's shape.
    const databaseErrors = lines.filter((line) => line.level >= 50 && /"errno":1644\b/.test(JSON.stringify(line)));
    expect(databaseErrors.length, 'error lines carrying the database error (errno 1644, ER_SIGNAL_EXCEPTION)').toBeGreaterThanOrEqual(4);
    for (const line of databaseErrors) expect(JSON.stringify(line)).toMatch(/"statement":"(insert|update) /);
    expectNoMarker(from);
  });

  it(`logs no marker while ${LOG_BURST_RUNS} fuzz requests carry it in documents, variables and headers`, async () => {
    const from = logLines.length;
    const requests = sampleRequests(logged.world, false, SEED + 2, LOG_BURST_RUNS);
    const carrying = requests.filter((request) => `${request.search}${request.body ?? ''}${Object.values(request.headers).join('')}`.includes(MARKER));
    expect(carrying.length, 'requests that carry the marker').toBeGreaterThan(LOG_BURST_RUNS / 5);
    await fuzz(logged, requests);
    const lines = await requestLinesSince(from, LOG_BURST_RUNS);
    expect(lines.some((line) => line.method === 'GET')).toBe(true);
    for (const line of lines.filter((entry) => entry.method === 'GET')) expect(line.path).toBe('/graphql');
    // Trace level really is on: the limits plugin's debug line for each accepted operation.
    expect(linesSince(from).some((line) => line.level <= 20)).toBe(true);
    expectNoMarker(from);
  });
});
