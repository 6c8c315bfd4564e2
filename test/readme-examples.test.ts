/**
 * The README's GraphQL examples are true: every operation in a ```graphql block of README.md whose comment
 * states a number of statements ("… 4 statements …", "… = 4 statements …") runs against seeded data, with
 * 1 and with 20 rows per list, and sends exactly that many statements (the count `x-sql-statements` reports).
 * An example without a stated count still has to run without errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway } from '../src/testing/index.js';
import { insertClinicians, insertEvent, insertPatients, insertRecords, insertSelections, manyPatients } from './support/fixtures.js';

interface Example {
  readonly name: string;
  readonly text: string;
  /** The statement count its comment states, or null when it states none. */
  readonly statements: number | null;
}

/** The operations of the README's ```graphql blocks, each with the comment lines just above it. */
function readmeExamples(): Example[] {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const examples: Example[] = [];
  for (const block of readme.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    let comment: string[] = [];
    let current: { name: string; lines: string[]; comment: string } | null = null;
    const finish = () => {
      if (!current) return;
      const stated = /(\d+) statements?\b/.exec(current.comment);
      examples.push({ name: current.name, text: current.lines.join('\n'), statements: stated ? Number(stated[1]) : null });
      current = null;
    };
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('#')) {
        finish();
        comment.push(line);
      } else if (/^(query|mutation)\b/.test(line)) {
        finish();
        current = { name: /^(?:query|mutation)\s+(\w+)/.exec(line)?.[1] ?? line.slice(0, 40), lines: [line], comment: comment.join(' ') };
        comment = [];
      } else if (current && line.trim() !== '') current.lines.push(line);
      else if (line.trim() === '') comment = current ? comment : [];
    }
    finish();
  }
  return examples.filter((example) => example.text.startsWith('query'));
}

const EXAMPLES = readmeExamples();

/** One data set: `size` patients (all active), each with `size` records by a clinician, and an event they all picked. */
async function seeded(size: number) {
  const gateway = await createTestGateway({ name: `readme_${size}` });
  const pool = gateway.database.pool;
  const [clinician] = await insertClinicians(pool, ['Dr. Readme']);
  const patients = await insertPatients(pool, manyPatients(size, 'Reader'));
  await insertRecords(
    pool,
    patients.flatMap((patientId) => Array.from({ length: size }, () => ({ patientId, authorId: clinician!, diagnosis: 'Asthma', status: 'ACTIVE' as const }))),
  );
  const { eventId, scheduleIds } = await insertEvent(pool, { title: 'Readme day', organizerId: clinician!, days: 1, slotsPerDay: Math.max(2, size) });
  await insertSelections(pool, patients.flatMap((patientId) => scheduleIds.slice(0, size).map((scheduleId) => ({ patientId, scheduleId, eventId }))));
  const variables = { id: toGlobalId('Event', eventId), ids: [toGlobalId('Patient', patients[0]!), toGlobalId('Event', eventId)], after: null };
  return { gateway, variables };
}

describe('the README’s GraphQL examples', () => {
  const sets: Awaited<ReturnType<typeof seeded>>[] = [];
  beforeAll(async () => {
    sets.push(await seeded(1), await seeded(20));
  });
  afterAll(async () => {
    for (const set of sets) await set.gateway.close();
  });

  it('finds the examples (the parser still reads the README)', () => {
    expect(EXAMPLES.map((example) => example.name)).toEqual(expect.arrayContaining(['PatientList', 'EventPage', 'Nodes', 'Search']));
    expect(EXAMPLES.filter((example) => example.statements !== null).map((example) => example.name)).toEqual(['PatientList', 'EventPage', 'Search']);
  });

  it.each(EXAMPLES.map((example) => [example.name, example] as const))('%s runs the statements it states, with 1 row per list and with 20', async (_name, example) => {
    const counts: number[] = [];
    for (const { gateway, variables } of sets) {
      const result = await gateway.run(example.text, variables);
      expect(result.errors).toBeUndefined();
      counts.push(result.sqlCount);
    }
    expect(counts[0]).toBe(counts[1]);
    if (example.statements !== null) expect(counts[0]).toBe(example.statements);
  });
});
