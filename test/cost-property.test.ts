/**
 * The cost estimate is never below what runs (contract: Limits). A property
 * test with fast-check: random query documents over the schema (literals and
 * variables, declared defaults, explicit nulls, named fragments spread once
 * or twice, inline fragments, aliases, @skip/@include) run against seeded
 * data, and for each the estimate of src/limits/analysis.ts, with the
 * request's variables, is at least the number of objects in the answer.
 *
 * The seeded data stays within the SDL's @listSize assumptions (an event has
 * at most 100 schedules, a schedule 20 selections, a patient 50), which are
 * the contract's assumptions about list sizes; everything sized by an
 * argument (`first`, `ids`) is exact.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import fc from 'fast-check';
import { getOperationAST, parse } from 'graphql';
import { describe, expect } from 'vitest';
import { analyzeOperation } from '../src/limits/analysis.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { loadTypeDefs } from '../src/schema.js';
import type { TestGateway } from '../src/testing/index.js';
import { gatewayTest } from './support/fixtures-gateway.js';
import { insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections } from './support/fixtures.js';

/** Every object in an answer: what the cost counts (each object-typed field value, list items included). */
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countObjects(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Object.values(value).reduce<number>((sum, item) => sum + countObjects(item), 0);
}

interface Ids {
  patients: string[];
  events: string[];
  records: string[];
}

/** A document under construction: its variable definitions, values and fragments. */
class DocumentBuilder {
  private readonly definitions: string[] = [];
  readonly variables: Record<string, unknown> = {};
  private readonly fragments: string[] = [];
  private counter = 0;

  variable(type: string, declaredDefault: string | undefined, value: unknown | undefined): string {
    const name = `v${(this.counter += 1)}`;
    this.definitions.push(`$${name}: ${type}${declaredDefault === undefined ? '' : ` = ${declaredDefault}`}`);
    if (value !== undefined) this.variables[name] = value;
    return `$${name}`;
  }

  fragment(onType: string, body: string): string {
    const name = `F${(this.counter += 1)}`;
    this.fragments.push(`fragment ${name} on ${onType} { ${body} }`);
    return name;
  }

  text(selection: string): string {
    const header = this.definitions.length > 0 ? `query Random(${this.definitions.join(', ')})` : 'query Random';
    return [`${header} { ${selection} }`, ...this.fragments].join('\n');
  }
}

/** A random decision source over a fast-check stream of integers, so the document is shrinkable. */
class Choices {
  private index = 0;
  constructor(private readonly values: readonly number[]) {}
  int(max: number): number {
    const value = this.values[this.index % this.values.length] ?? 0;
    this.index += 1;
    return value % (max + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length - 1)]!;
  }
  chance(outOf: number): boolean {
    return this.int(outOf - 1) === 0;
  }
}

/** A `first:` argument: absent, a literal (null included), or a variable with or without a default, sent or not, null or not. */
function firstArgument(choices: Choices, builder: DocumentBuilder): string {
  switch (choices.int(5)) {
    case 0:
      return '';
    case 1:
      return `first: ${choices.int(6)}`;
    case 2:
      return 'first: null';
    case 3: {
      const declared = choices.chance(2) ? String(choices.int(4)) : undefined;
      const sent = choices.pick([undefined, null, choices.int(6)]);
      return `first: ${builder.variable('Int', declared, sent)}`;
    }
    default: {
      const declared = choices.chance(2) ? 'null' : undefined;
      return `first: ${builder.variable('Int', declared, choices.pick([null, undefined]))}`;
    }
  }
}

const args = (items: string[]) => (items.filter(Boolean).length > 0 ? `(${items.filter(Boolean).join(', ')})` : '');

/** `@skip`/`@include`, with a literal or a variable, or nothing. */
function directive(choices: Choices, builder: DocumentBuilder): string {
  if (!choices.chance(4)) return '';
  const name = choices.pick(['skip', 'include']);
  const condition = choices.chance(2) ? String(choices.chance(2)) : builder.variable('Boolean!', undefined, choices.chance(2));
  return ` @${name}(if: ${condition})`;
}

type TypeName = 'Patient' | 'MedicalRecord' | 'Clinician' | 'Event' | 'Schedule' | 'Selection' | 'Viewer';

const SCALARS: Record<TypeName, string[]> = {
  Patient: ['id', 'name', 'email', 'birthDate', 'version'],
  MedicalRecord: ['id', 'diagnosis', 'status'],
  Clinician: ['id', 'name'],
  Event: ['id', 'title', 'participantCount'],
  Schedule: ['id', 'date', 'time', 'selectionCount'],
  Selection: ['id', 'createdAt'],
  Viewer: ['role', 'subject'],
};

function connection(choices: Choices, builder: DocumentBuilder, nodeType: TypeName, depth: number): string {
  const parts = [choices.chance(2) ? 'totalCount' : '', choices.chance(2) ? 'pageInfo { hasNextPage endCursor }' : ''];
  const body = selection(choices, builder, nodeType, depth + 1);
  parts.push(choices.chance(2) ? `nodes { ${body} }` : `edges { cursor node { ${body} } }`);
  return parts.filter(Boolean).join(' ');
}

/** A random selection set on `type`, `depth` levels below the root. */
function selection(choices: Choices, builder: DocumentBuilder, type: TypeName, depth: number): string {
  const fields: string[] = [choices.pick(SCALARS[type])];
  const nested = depth < 4 ? choices.int(2) : 0;
  for (let index = 0; index < nested; index += 1) {
    const alias = choices.chance(3) ? `a${choices.int(50)}: ` : '';
    const field = compositeField(choices, builder, type, depth);
    if (!field) continue;
    const condition = directive(choices, builder);
    fields.push(condition ? `...${condition} { ${alias}${field} }` : `${alias}${field}`);
  }
  let body = fields.join(' ');
  if (choices.chance(4)) {
    const name = builder.fragment(type, body);
    body = choices.chance(2) ? `...${name} ...${name}` : `...${name}`;
  } else if (choices.chance(5)) {
    body = `... on ${type} { ${body} }`;
  }
  return body;
}

function compositeField(choices: Choices, builder: DocumentBuilder, type: TypeName, depth: number): string | null {
  switch (type) {
    case 'Patient':
      return choices.pick([
        () => `records${args([firstArgument(choices, builder), choices.chance(3) ? 'status: ACTIVE' : ''])} { ${connection(choices, builder, 'MedicalRecord', depth)} }`,
        () => `selections { ${selection(choices, builder, 'Selection', depth + 1)} }`,
        () => `recordCount`,
      ])();
    case 'MedicalRecord':
      return choices.pick([
        () => `patient { ${selection(choices, builder, 'Patient', depth + 1)} }`,
        () => `author { ${selection(choices, builder, 'Clinician', depth + 1)} }`,
      ])();
    case 'Event':
      return choices.pick([
        () => `schedules { ${selection(choices, builder, 'Schedule', depth + 1)} }`,
        () => `participants${args([firstArgument(choices, builder)])} { ${connection(choices, builder, 'Patient', depth)} }`,
        () => `organizer { ${selection(choices, builder, 'Clinician', depth + 1)} }`,
      ])();
    case 'Schedule':
      return choices.pick([
        () => `selections { ${selection(choices, builder, 'Selection', depth + 1)} }`,
        () => `event { ${selection(choices, builder, 'Event', depth + 1)} }`,
      ])();
    case 'Selection':
      return choices.pick([
        () => `patient { ${selection(choices, builder, 'Patient', depth + 1)} }`,
        () => `schedule { ${selection(choices, builder, 'Schedule', depth + 1)} }`,
      ])();
    case 'Viewer':
      return `patient { ${selection(choices, builder, 'Patient', depth + 1)} }`;
    default:
      return null;
  }
}

function rootField(choices: Choices, builder: DocumentBuilder, ids: Ids): string {
  return choices.pick([
    () => `patients${args([firstArgument(choices, builder)])} { ${connection(choices, builder, 'Patient', 1)} }`,
    () => `events${args([firstArgument(choices, builder)])} { ${connection(choices, builder, 'Event', 1)} }`,
    () => `patient(id: "${choices.pick(ids.patients)}") { ${selection(choices, builder, 'Patient', 2)} }`,
    () => `event(id: "${choices.pick(ids.events)}") { ${selection(choices, builder, 'Event', 2)} }`,
    () => `record(id: "${choices.pick(ids.records)}") { ${selection(choices, builder, 'MedicalRecord', 2)} }`,
    () => {
      const count = choices.int(5);
      const picked = Array.from({ length: count }, () => choices.pick([...ids.patients, ...ids.events, ...ids.records]));
      const list = choices.chance(2) ? JSON.stringify(picked) : builder.variable('[ID!]!', undefined, picked);
      return `nodes(ids: ${list}) { id ... on Patient { ${selection(choices, builder, 'Patient', 2)} } ... on Event { ${selection(choices, builder, 'Event', 2)} } }`;
    },
    () => `viewer { ${selection(choices, builder, 'Viewer', 2)} }`,
  ])();
}

/**
 * This file's gateway (its own database), shared by every test and hook here. No limit refuses anything
 * here: every random document runs, so every estimate is compared with an answer.
 */
const test = gatewayTest('cost_property', { env: { MAX_COST: '100000000', MAX_DEPTH: '50', MAX_ALIASES: '1000', MAX_DIRECTIVES: '1000' } });

describe('the cost estimate is never below the number of objects returned', () => {
  let gw: TestGateway;
  const ids: Ids = { patients: [], events: [], records: [] };

  test.beforeAll(async ({ gateway }) => {
    gw = gateway;
    const pool = gw.database.pool;
    const [clinician] = (await insertClinicians(pool, ['Dr. Property'])) as [number];
    const patientIds = await insertPatients(pool, Array.from({ length: 25 }, (_, index) => ({ name: `Property Patient ${index}` })));
    const recordIds = await insertRecords(
      pool,
      patientIds.flatMap((patientId, index) =>
        Array.from({ length: index % 13 }, () => ({ patientId, authorId: index % 2 === 0 ? clinician : null })),
      ),
    );
    for (let event = 0; event < 4; event += 1) {
      const { eventId, scheduleIds } = await insertEvent(pool, { title: `Property Event ${event}`, organizerId: clinician, days: 2, slotsPerDay: 3 + event });
      ids.events.push(toGlobalId('Event', eventId));
      // Each patient picks a few schedules: at most 20 selections per schedule, 50 per patient.
      await insertSelections(
        pool,
        patientIds.slice(0, 15).flatMap((patientId, index) =>
          scheduleIds.filter((_, slot) => (slot + index) % 3 === 0).map((scheduleId) => ({ patientId, scheduleId, eventId })),
        ),
      );
    }
    ids.patients.push(...patientIds.map((id) => toGlobalId('Patient', id)), toGlobalId('Patient', 999_999));
    ids.records.push(...recordIds.slice(0, 20).map((id) => toGlobalId('MedicalRecord', id)));
  });

  test('holds for random documents with literals, variables, defaults, nulls, fragments and @skip/@include', { timeout: 120_000 }, async () => {
    const schema = makeExecutableSchema({ typeDefs: loadTypeDefs() });
    let documents = 0;
    let objects = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(1000), { minLength: 20, maxLength: 200 }), async (stream) => {
        const choices = new Choices(stream);
        const builder = new DocumentBuilder();
        const roots = Array.from({ length: 1 + choices.int(2) }, (_, index) => `r${index}: ${rootField(choices, builder, ids)}`);
        const text = builder.text(roots.join(' '));
        const document = parse(text);
        const { cost } = analyzeOperation(schema, document, getOperationAST(document)!, builder.variables);
        const result = await gw.run(text, builder.variables);
        const returned = countObjects(Object.values(result.data ?? {}));
        documents += 1;
        objects += returned;
        if (result.errors?.some((error) => error.extensions?.code === 'INTERNAL_SERVER_ERROR')) {
          throw new Error(`INTERNAL_SERVER_ERROR for ${text} with ${JSON.stringify(builder.variables)}`);
        }
        if (returned > cost) throw new Error(`estimated ${cost}, returned ${returned} objects: ${text} with ${JSON.stringify(builder.variables)}`);
      }),
      { numRuns: 300, seed: 20261202, verbose: true },
    );
    console.log(`[cost-property] ${documents} documents, ${objects} objects returned in all`);
    // Not vacuous: the documents returned data.
    expect(objects).toBeGreaterThan(documents);
  });
});
