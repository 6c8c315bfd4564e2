/**
 * Query.searchRecords: full-text search over diagnosis, treatment and notes (the FULLTEXT index of
 * migration 0002). What words match, how operators and bad input are treated, both orders walked page by
 * page (and while records are written), access on every path with cold and warm caches, invalidation by
 * record writes, cost, and statement counts that do not depend on the number of matches.
 */
import { describe, expect } from 'vitest';
import { createRequestDb } from '../src/db/request-db.js';
import { newSqlTrace } from '../src/db/sql-counter.js';
import { readFullTextRules, searchReads } from '../src/modules/search/repository.js';
import { toGlobalId } from '../src/relay/global-id.js';
import { createTestGateway, type Caller, type RunResult, type TestGateway } from '../src/testing/index.js';
import { gatewaysTest } from './support/fixtures-gateway.js';
import { CREATE_RECORD_ID, DELETE_RECORDS, insertClinicians, insertPatients, insertRecords, manyPatients } from './support/index.js';

const SEARCH = `query ($query: String!, $first: Int, $after: String, $status: RecordStatus, $patientId: ID, $orderBy: RecordSearchOrder) {
  searchRecords(query: $query, first: $first, after: $after, status: $status, patientId: $patientId, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor score node { id diagnosis createdAt patient { id name } author { name } } }
  }
}`;

interface SearchPage {
  searchRecords: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
    edges: { cursor: string; score: number; node: { id: string; diagnosis: string; createdAt: string; patient: { id: string; name: string } } }[];
  };
}

/**
 * This file's gateways (each its own database), shared by every test and hook here: `gateway`, seeded
 * below, which most tests search; `walk`, written to while a walk pages through it; `cached`, with the
 * caches on; `limited`, with MAX_COST 200.
 */
const test = gatewaysTest('search', { gateway: {}, walk: {}, cached: { cache: true }, limited: { env: { MAX_COST: '200' } } });
let gateway: TestGateway;
let ada = 0;
let bob = 0;
let cleo = 0;
let doctor = 0;
const recordId = (id: number) => toGlobalId('MedicalRecord', id);
const ids: Record<string, number> = {};

async function search(variables: Record<string, unknown>, as: Caller = 'admin') {
  return gateway.run<SearchPage>(SEARCH, variables, { as });
}

/** Every page of a search, `first` at a time: the ids in the order shown, and the pages' sizes. */
async function walk(gw: TestGateway, variables: Record<string, unknown>, between?: (page: number) => Promise<unknown>) {
  const shown: string[] = [];
  const pages: string[][] = [];
  let after: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const result: RunResult<SearchPage> = await gw.run<SearchPage>(SEARCH, { ...variables, after });
    expect(result.errors).toBeUndefined();
    const connection = result.data!.searchRecords;
    const onPage = connection.edges.map((edge) => edge.node.id);
    pages.push(onPage);
    shown.push(...onPage);
    if (!connection.pageInfo.hasNextPage) return { shown, pages };
    after = connection.pageInfo.endCursor;
    await between?.(page);
  }
  throw new Error('the walk did not end within 100 pages');
}

test.beforeAll(async ({ gateway: created }) => {
  gateway = created;
  const pool = gateway.database.pool;
  doctor = (await insertClinicians(pool, ['Dr. Search']))[0]!;
  [ada, bob, cleo] = (await insertPatients(pool, [{ name: 'Ada Search' }, { name: 'Bob Search' }, { name: 'Cleo Search' }])) as [number, number, number];
  const named = async (name: string, seed: Parameters<typeof insertRecords>[1][number]) => {
    ids[name] = (await insertRecords(pool, [seed]))[0]!;
  };
  await named('adaAsthma', { patientId: ada, authorId: doctor, diagnosis: 'Asthma', treatment: 'Inhaled corticosteroid twice daily and a rescue inhaler as needed.' });
  await named('bobAsthma', { patientId: bob, authorId: doctor, diagnosis: 'Asthma, exercise induced', treatment: 'Rescue inhaler before exercise.', status: 'CLOSED' });
  await named('adaCovid', { patientId: ada, diagnosis: 'COVID-19', treatment: 'Rest and fluids.', notes: 'Symptoms improved since the last visit.' });
  await named('bobDiabetes', { patientId: bob, diagnosis: 'Type 2 diabetes mellitus', treatment: 'Metformin 500 mg twice daily.', notes: 'Discussed metformin side effects.' });
  await named('cleoGout', { patientId: cleo, diagnosis: 'Gout', treatment: null, notes: "Crohn's disease ruled out; C++ programmer with a (very) stressful job." });
  await named('cleoCjk', { patientId: cleo, diagnosis: '喘息の治療', treatment: null });
  // A long walk: 23 records that mention "wheezing", with repeated words so scores differ, and ties.
  const wheezing = Array.from({ length: 23 }, (_, index) => ({
    patientId: [ada, bob, cleo][index % 3]!,
    diagnosis: `Wheezing ${'wheezing '.repeat(index % 4)}episode ${index}`.trim(),
    status: (index % 2 === 0 ? 'ACTIVE' : 'PENDING') as 'ACTIVE' | 'PENDING',
  }));
  ids.firstWheezing = (await insertRecords(pool, wheezing))[0]!;
  // Whole words as the built-in parser splits them, in ASCII text (tested by pattern on a walk) and in text
  // that is not (tested by MATCH on migration 0004's index): the collation folds accents and expansions there.
  await insertRecords(pool, [
    { patientId: ada, diagnosis: 'Bronchospasm, acute' },
    { patientId: bob, diagnosis: 'Bronchospasmodic cough' },
    { patientId: cleo, diagnosis: 'Registry bronchospasm_x' },
    { patientId: ada, diagnosis: 'Ruled out non-bronchospasm causes', notes: "The bronchospasm's trigger: BRONCHOSPASM." },
    { patientId: bob, diagnosis: 'Brönchospasm after a visit', notes: 'Résumé of the strasse incident' },
    { patientId: cleo, diagnosis: 'Bronchospasm after the café', treatment: 'Walk along the Straße daily' },
    { patientId: ada, diagnosis: 'bronchospasm2 trial', treatment: 'CAFE closed' },
    { patientId: bob, diagnosis: "Asked about bronchospasm's onset" },
    { patientId: cleo, diagnosis: "O'bronchospasm follow-up", notes: '(bronchospasm)' },
    { patientId: ada, diagnosis: 'x.bronchospasm.y', treatment: '"bronchospasm"' },
  ]);
  // Filler, so that no searched word occurs in most records (InnoDB's relevance gives such words weight 0).
  await insertRecords(pool, Array.from({ length: 40 }, (_, index) => ({ patientId: cleo, diagnosis: `Routine check ${index}` })));
});

describe('what a search finds', () => {
  test('finds records containing every word, in diagnosis, treatment or notes, best match first', async () => {
    const result = await search({ query: 'inhaler' });
    expect(result.errors).toBeUndefined();
    const edges = result.data!.searchRecords.edges;
    expect(edges.map((edge) => edge.node.id).sort()).toEqual([recordId(ids.adaAsthma!), recordId(ids.bobAsthma!)].sort());
    expect(result.data!.searchRecords.totalCount).toBe(2);
    // Every word must occur: "asthma exercise" is only Bob's record.
    const both = await search({ query: 'asthma exercise' });
    expect(both.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.bobAsthma!)]);
    // Notes count too, case does not matter, and the patient and author come along.
    const notes = await search({ query: 'METFORMIN' });
    expect(notes.data!.searchRecords.edges).toEqual([
      expect.objectContaining({ node: expect.objectContaining({ id: recordId(ids.bobDiabetes!), patient: { id: toGlobalId('Patient', bob), name: 'Bob Search' } }) }),
    ]);
    expect(notes.data!.searchRecords.edges[0]!.score).toBeGreaterThan(0);
  });

  test('takes search operators as text, never as operators or a syntax error', async () => {
    for (const query of ['+inhaler', '-inhaler', '"inhaler', 'inhaler*', '(inhaler)', '~inhaler', '<inhaler>', '@inhaler', 'inhaler"\'\\', "inhaler'); DROP TABLE medical_records; --"]) {
      const result = await search({ query });
      expect(result.errors, query).toBeUndefined();
      expect(result.data!.searchRecords.totalCount, query).toBe(query.includes('DROP') ? 0 : 2);
    }
    // "drop", "table", "records" are words like any other: nothing contains all of them.
    const [rows] = await gateway.database.pool.query('select count(*) as count from medical_records');
    expect(Number((rows as { count: number }[])[0]!.count)).toBeGreaterThan(60);
  });

  test("leaves out words the index cannot hold (shorter than the database's minimum, stopwords) instead of requiring them", async () => {
    // "COVID-19": "19" is shorter than innodb_ft_min_token_size (3), so "covid" alone decides.
    const covid = await search({ query: 'COVID-19' });
    expect(covid.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.adaCovid!)]);
    // "the", "with" and "about" are InnoDB stopwords: a query of nothing else finds nothing, with no statement and no error.
    const stopwords = await search({ query: 'the with about' });
    expect(stopwords.errors).toBeUndefined();
    expect(stopwords.data!.searchRecords).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false } });
    expect(stopwords.sqlCount).toBe(0);
    // Apostrophes and "++" separate words: "Crohn's" is "crohn" (and "s", too short).
    const crohn = await search({ query: "crohn's" });
    expect(crohn.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.cleoGout!)]);
  });

  test('matches CJK text only as whole runs of 3 or more characters on MariaDB (no ngram parser)', async () => {
    const whole = await search({ query: '喘息の治療' });
    expect(whole.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.cleoCjk!)]);
    const part = await search({ query: '喘息' });
    expect(part.errors).toBeUndefined();
    expect(part.data!.searchRecords.totalCount).toBe(0);
  });

  test('narrows by status and by patient', async () => {
    const closed = await search({ query: 'asthma', status: 'CLOSED' });
    expect(closed.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.bobAsthma!)]);
    const adas = await search({ query: 'asthma', patientId: toGlobalId('Patient', ada) });
    expect(adas.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.adaAsthma!)]);
    expect(adas.data!.searchRecords.totalCount).toBe(1);
  });
});

describe('bad input is BAD_USER_INPUT before any SQL', () => {
  const cases: Record<string, Record<string, unknown>> = {
    'an empty query': { query: '' },
    'a query of spaces': { query: '   ' },
    'more than 200 characters': { query: 'a'.repeat(201) },
    'only operators': { query: '+-<>()~*"@' },
    'a lone surrogate': { query: 'asthma \ud800' },
    'first over 100': { query: 'asthma', first: 101 },
    'a negative first': { query: 'asthma', first: -1 },
    'a patientId of another type': { query: 'asthma', patientId: toGlobalId('Event', 1) },
    'a malformed cursor': { query: 'asthma', after: 'nonsense' },
  };
  for (const [name, variables] of Object.entries(cases)) {
    test(name, async () => {
      const result = await search(variables);
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0]!.message).not.toMatch(/sql|syntax|mysql|maria/i);
      expect(result.sqlCount).toBe(0);
    });
  }

  test('200 characters are accepted (astral characters count once)', async () => {
    const result = await search({ query: `${'😀'.repeat(190)} inhaler` });
    expect(result.errors).toBeUndefined();
  });

  test("refuses another search's cursor and a cursor of the other order", async () => {
    const first = await search({ query: 'wheezing', first: 2 });
    const cursor = first.data!.searchRecords.pageInfo.endCursor;
    for (const variables of [
      { query: 'inhaler', first: 2, after: cursor },
      { query: 'wheezing', first: 2, after: cursor, orderBy: 'NEWEST' },
      { query: 'wheezing', first: 2, after: cursor, status: 'ACTIVE' },
      { query: 'wheezing', first: 2, after: `${cursor!.slice(0, -2)}AA` },
    ]) {
      const result = await search(variables);
      expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    // The same words spelled otherwise are the same search.
    const same = await search({ query: 'WHEEZING!', first: 2, after: cursor });
    expect(same.errors).toBeUndefined();
  });
});

describe('walking the pages', () => {
  test('RELEVANCE: every match once, by score then newest, ties included', async () => {
    const { shown } = await walk(gateway, { query: 'wheezing', first: 4 });
    expect(shown).toHaveLength(23);
    expect(new Set(shown).size).toBe(23);
    const all = await search({ query: 'wheezing', first: 100 });
    const edges = all.data!.searchRecords.edges;
    expect(edges.map((edge) => edge.node.id)).toEqual(shown);
    // Ties exist (the same text length and word count) and are ordered newest (highest id) first.
    const scores = edges.map((edge) => edge.score);
    expect(new Set(scores).size).toBeLessThan(scores.length);
    for (let index = 1; index < edges.length; index += 1) {
      expect(scores[index]!).toBeLessThanOrEqual(scores[index - 1]!);
    }
  });

  test('NEWEST: createdAt DESC, id DESC, every match once', async () => {
    const { shown } = await walk(gateway, { query: 'wheezing', first: 5, orderBy: 'NEWEST' });
    expect(new Set(shown).size).toBe(23);
    const all = await search({ query: 'wheezing', first: 100, orderBy: 'NEWEST' });
    const created = all.data!.searchRecords.edges.map((edge) => Date.parse(edge.node.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(all.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual(shown);
  });

  test('while records are written: NEWEST shows every record that existed once; RELEVANCE ends and shows every one at least once', async ({ walk: writer }) => {
    const pool = writer.database.pool;
    const [patient] = await insertPatients(pool, manyPatients(1, 'Walker'));
    await insertRecords(pool, Array.from({ length: 30 }, () => ({ patientId: patient!, diagnosis: 'Routine visit' })));
    const existing = (await insertRecords(pool, Array.from({ length: 12 }, (_, index) => ({ patientId: patient!, diagnosis: `Palpitations ${'palpitations '.repeat(index % 3)}`.trim() })))).map(recordId);
    const addMatches = () => insertRecords(pool, Array.from({ length: 3 }, () => ({ patientId: patient!, diagnosis: 'Palpitations at night' })));

    const newest = await walk(writer, { query: 'palpitations', first: 3, orderBy: 'NEWEST' }, addMatches);
    // New records are newer than any cursor: not shown; the existing ones exactly once each.
    expect(newest.shown.filter((id) => existing.includes(id)).sort()).toEqual([...existing].sort());
    expect(new Set(newest.shown).size).toBe(newest.shown.length);
    expect(newest.shown.every((id) => existing.includes(id))).toBe(true);

    // Each insert lowers every score of the word together: the walk goes on below where the cursor's
    // record ranks now, so every existing match is shown once, the walk ends, and a record inserted
    // during it shows up only while it ranks below the cursor.
    const relevance = await walk(writer, { query: 'palpitations', first: 3 }, addMatches);
    expect(relevance.shown.filter((id) => existing.includes(id)).sort()).toEqual([...existing].sort());
    expect(new Set(relevance.shown).size).toBe(relevance.shown.length);
    expect(relevance.shown.length).toBeGreaterThan(existing.length);
  });
});

describe('access', () => {
  test('a patient finds only their own records, whatever patientId says', async () => {
    const own = await search({ query: 'asthma' }, { patientId: ada });
    expect(own.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([recordId(ids.adaAsthma!)]);
    expect(own.data!.searchRecords.totalCount).toBe(1);
    const other = await search({ query: 'asthma', patientId: toGlobalId('Patient', bob) }, { patientId: ada });
    expect(other.errors).toBeUndefined();
    expect(other.data!.searchRecords).toMatchObject({ totalCount: 0, edges: [] });
    expect(other.sqlCount).toBe(0);
    const narrowed = await search({ query: 'asthma', patientId: toGlobalId('Patient', ada) }, { patientId: ada });
    expect(narrowed.data!.searchRecords.totalCount).toBe(1);
  });

  test('without a token: UNAUTHENTICATED', async () => {
    const result = await search({ query: 'asthma' }, null);
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['UNAUTHENTICATED']);
  });
});

describe('with caches on', () => {
  let cached: TestGateway;
  test.beforeAll(async ({ cached: created }) => {
    cached = created;
    const pool = cached.database.pool;
    const [one, two] = await insertPatients(pool, [{ name: 'Warm One' }, { name: 'Warm Two' }]);
    await insertRecords(pool, [
      { patientId: one!, diagnosis: 'Bronchitis' },
      { patientId: two!, diagnosis: 'Bronchitis, acute' },
      ...Array.from({ length: 10 }, () => ({ patientId: two!, diagnosis: 'Filler' })),
    ]);
    ids.warmOne = one!;
    ids.warmTwo = two!;
  });

  test('a warm repeat runs no SQL, and a patient never gets what an admin warmed', async () => {
    const cold = await cached.run<SearchPage>(SEARCH, { query: 'bronchitis' });
    expect(cold.data!.searchRecords.totalCount).toBe(2);
    expect(cold.sqlCount).toBe(2); // the page (with its count) and the patients
    const warm = await cached.run<SearchPage>(SEARCH, { query: 'bronchitis' });
    expect(warm.data).toEqual(cold.data);
    expect(warm.sqlCount).toBe(0);
    for (const round of ['cold', 'warm']) {
      const patient = await cached.run<SearchPage>(SEARCH, { query: 'bronchitis' }, { as: { patientId: ids.warmOne! } });
      expect(patient.data!.searchRecords.edges.map((edge) => edge.node.patient.id), round).toEqual([toGlobalId('Patient', ids.warmOne!)]);
      expect(patient.data!.searchRecords.totalCount, round).toBe(1);
    }
  });

  test('any record write invalidates search results: the next search sees it', async () => {
    await cached.run(SEARCH, { query: 'emphysema' });
    const created = await cached.run<{ createRecord: { id: string } }>(
      CREATE_RECORD_ID,
      { input: { patientId: toGlobalId('Patient', ids.warmOne!), diagnosis: 'Emphysema', notes: 'Follow-up' } },
    );
    expect(created.errors).toBeUndefined();
    const after = await cached.run<SearchPage>(SEARCH, { query: 'emphysema' });
    expect(after.data!.searchRecords.edges.map((edge) => edge.node.id)).toEqual([created.data!.createRecord.id]);
    const updated = await cached.run(
      'mutation ($input: UpdateRecordInput!) { updateRecord(input: $input) { id } }',
      { input: { id: created.data!.createRecord.id, expectedVersion: 1, diagnosis: 'Pleurisy' } },
    );
    expect(updated.errors).toBeUndefined();
    expect((await cached.run<SearchPage>(SEARCH, { query: 'emphysema' })).data!.searchRecords.totalCount).toBe(0);
    expect((await cached.run<SearchPage>(SEARCH, { query: 'pleurisy' })).data!.searchRecords.totalCount).toBe(1);
    await cached.run(DELETE_RECORDS, { ids: [created.data!.createRecord.id] });
    expect((await cached.run<SearchPage>(SEARCH, { query: 'pleurisy' })).data!.searchRecords.totalCount).toBe(0);
  });
});

describe('the two plans of a page (src/modules/search/plan.ts)', () => {
  test('sorting every match and walking the newest records give the same rows, for every filter, cursor and size', async () => {
    const reads = searchReads(createRequestDb(gateway.database, newSqlTrace(), null));
    const queries = [
      ['routine'], ['check'], ['wheezing'], ['wheezing', 'episode'], ['asthma'], ['inhaler'], ['metformin'], ['zzzabsent'],
      ['bronchospasm'], ['bronchospasm', 'cafe'], ['strasse'], ['straße'], ['cafe'], ['café'], ['resume'], ['bronchospasm_x'],
    ];
    let compared = 0;
    for (const words of queries) {
      for (const status of [null, 'ACTIVE', 'PENDING'] as const) {
        for (const patientId of [null, ada, cleo]) {
          const filter = { words, status, patientId };
          const everything = await reads.page(filter, 'NEWEST', null, 1000, { score: false, matched: false });
          const positions = [null, ...[1, 4].flatMap((index) => (everything[index] ? [{ createdAt: everything[index]!.createdAt, id: everything[index]!.id }] : []))];
          for (const after of positions) {
            for (const limit of [1, 4, 100]) {
              const sorted = await reads.page(filter, 'NEWEST', after, limit, { score: false, matched: false }, { access: 'fulltext', learn: false });
              // A walk tests by pattern where the index splits whole words (as here), and by MATCH alone otherwise.
              for (const byPattern of [true, false]) {
                const walked = await reads.page({ ...filter, byPattern }, 'NEWEST', after, limit, { score: false, matched: false }, { access: 'walk', learn: false });
                expect(walked.map((row) => row.id), JSON.stringify({ filter, byPattern, after, limit })).toEqual(sorted.map((row) => row.id));
                compared += 1;
              }
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(1200);
    // What the pattern and MATCH decide between them (the walk) is what the index alone decides: whole words,
    // accents and expansions folded where the text is not ASCII.
    const found = async (words: string[]) => {
      const rows = await reads.page({ words, status: null, patientId: null, byPattern: true }, 'NEWEST', null, 100, { score: false, matched: false }, { access: 'walk', learn: false });
      return rows.map((row) => row.diagnosis).sort();
    };
    expect(await found(['bronchospasm'])).toEqual(
      [
        'Brönchospasm after a visit',
        'Bronchospasm after the café',
        'Bronchospasm, acute',
        'Ruled out non-bronchospasm causes',
        "Asked about bronchospasm's onset",
        "O'bronchospasm follow-up",
        'x.bronchospasm.y',
      ].sort(),
    );
    expect(await found(['strasse'])).toEqual(['Brönchospasm after a visit', 'Bronchospasm after the café'].sort());
    expect(await found(['cafe'])).toEqual(['Bronchospasm after the café', 'bronchospasm2 trial'].sort());
    // A patient's search walks in either order: RELEVANCE pages, with scores and counts, are the same too.
    for (const words of queries) {
      for (const patientId of [ada, bob, cleo]) {
        const filter = { words, status: null, patientId, byPattern: true };
        const both = { score: true, matched: true };
        const sorted = await reads.page(filter, 'RELEVANCE', null, 100, both, { access: 'fulltext', learn: false });
        const walked = await reads.page(filter, 'RELEVANCE', null, 100, both, { access: 'walk', learn: false });
        const shape = (rows: typeof sorted) => rows.map((row) => [row.id, row.score, Number(row.matched)]);
        expect(shape(walked), JSON.stringify(filter)).toEqual(shape(sorted));
        const second = sorted[1] ? { score: sorted[1].score!, id: sorted[1].id } : null;
        if (second) {
          const after = (access: 'fulltext' | 'walk') => reads.page(filter, 'RELEVANCE', second, 100, { score: true, matched: false }, { access, learn: false });
          expect((await after('walk')).map((row) => row.id)).toEqual((await after('fulltext')).map((row) => row.id));
        }
      }
    }
    // A learning page is the same page, with the number of matches and the table's size.
    const learned = await reads.page({ words: ['wheezing'], status: null, patientId: null }, 'NEWEST', null, 4, { score: false, matched: false }, { access: 'fulltext', learn: true });
    expect(learned).toHaveLength(4);
    expect(Number(learned[0]!.matched)).toBe(23);
    expect(learned[0]!.corpus).toBeDefined();
  });

  test('reads the server’s FULLTEXT rules: its token sizes and stopwords, and an index that splits whole words', async () => {
    const rules = await readFullTextRules(gateway.database.instrumented);
    expect(rules).toMatchObject({ minWordLength: 3, maxWordLength: 84, wholeWords: true });
    expect(rules.stopwords.has('the')).toBe(true);
  });

  test('a common word’s NEWEST pages walk once the first page learned it is common; one statement either way', async () => {
    const query = `query ($after: String) { searchRecords(query: "routine", first: 3, after: $after, orderBy: NEWEST) { pageInfo { endCursor } nodes { id } } }`;
    const pages: string[][] = [];
    const statements: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page += 1) {
      const result: RunResult<{ searchRecords: { pageInfo: { endCursor: string }; nodes: { id: string }[] } }> = await gateway.run(query, { after }, { captureStatements: true });
      expect(result.errors).toBeUndefined();
      expect(result.sqlCount).toBe(1);
      statements.push(result.statements[0]!.sql);
      pages.push(result.data!.searchRecords.nodes.map((node) => node.id));
      after = result.data!.searchRecords.pageInfo.endCursor;
    }
    // The first page sorted every match and counted them; the later ones walked.
    expect(statements[0]).toMatch(/count\(\*\) over \(\)/);
    expect(statements[0]).not.toMatch(/\+ 0 > 0/);
    expect(statements.slice(1).every((sql) => /\+ 0 > 0/.test(sql))).toBe(true);
    // An ASCII word: records whose text is ASCII are tested by pattern, only the others by MATCH on their own index.
    expect(statements.slice(1).every((sql) => /regexp/.test(sql) && /match\(`medical_records`\.`search_other_text`\)/.test(sql))).toBe(true);
    // The same rows as one page sorted by the index.
    const all = await gateway.run<{ searchRecords: { nodes: { id: string }[] } }>(`{ searchRecords(query: "routine", first: 9, orderBy: NEWEST) { totalCount nodes { id } } }`);
    expect(pages.flat()).toEqual(all.data!.searchRecords.nodes.map((node) => node.id));
    // A patient's search walks that patient's records.
    const own = await gateway.run(`{ searchRecords(query: "routine", first: 3, orderBy: NEWEST, patientId: "${toGlobalId('Patient', cleo)}") { nodes { id } } }`, {}, { captureStatements: true });
    expect(own.sqlCount).toBe(1);
    expect(own.statements[0]!.sql).toMatch(/\+ 0 > 0/);
  });
});

describe('cost and statements', () => {
  test('reads the score and the match count only when the operation asks for them', async () => {
    const statementOf = async (selection: string, orderBy: string) => {
      const result = await gateway.run(`{ searchRecords(query: "asthma", first: 5, orderBy: ${orderBy}) { ${selection} } }`, {}, { captureStatements: true });
      expect(result.errors).toBeUndefined();
      expect(result.sqlCount).toBe(1);
      return result.statements[0]!.sql;
    };
    // The first NEWEST page of words this process has not seen also counts them, once (plan.ts learns
    // whether to walk); the next one reads neither.
    await statementOf('edges { node { id } }', 'NEWEST');
    const bare = await statementOf('edges { node { id } }', 'NEWEST');
    expect(bare).not.toMatch(/natural language mode/);
    expect(bare).not.toMatch(/over \(\)/);
    const full = await statementOf('totalCount edges { score node { id } }', 'NEWEST');
    expect(full).toMatch(/natural language mode/);
    expect(full).toMatch(/count\(\*\) over \(\)/);
    // RELEVANCE orders by the score, so it always reads it.
    expect(await statementOf('nodes { id }', 'RELEVANCE')).toMatch(/natural language mode/);
  });

  test('the README’s search example: the page with its count in one statement, the patients in one more', async () => {
    const result = await gateway.run<SearchPage>(
      `query Search { searchRecords(query: "asthma", first: 20) { totalCount pageInfo { hasNextPage endCursor } edges { score node { id diagnosis patient { name } } } } }`,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.searchRecords.totalCount).toBeGreaterThan(0);
    expect(result.sqlCount).toBe(2);
  });

  test('costs what @listSize says: first × what each record selects', async ({ limited }) => {
    const query = 'query ($first: Int) { searchRecords(query: "asthma", first: $first) { nodes { id patient { name } } } }';
    // 1 + first × (record 1 + patient 1): 201 for 100.
    const over = await limited.run(query, { first: 100 });
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'COST_LIMIT_EXCEEDED', limit: 200, value: 201 });
    expect(over.sqlCount).toBe(0);
    expect((await limited.run(query, { first: 99 })).errors).toBeUndefined();
  });

  test('the same statements for 1 match and for 100', async () => {
    const counts: number[] = [];
    // A fresh database for each size, made and dropped in turn by the loop (so not a fixture).
    for (const matches of [1, 100]) {
      const shape = await createTestGateway({ name: `search-n${matches}` });
      try {
        const pool = shape.database.pool;
        const clinicians = await insertClinicians(pool, Array.from({ length: matches }, (_, index) => `Dr. ${index}`));
        const patients = await insertPatients(pool, manyPatients(matches));
        await insertRecords(pool, [
          ...patients.map((patientId, index) => ({ patientId, authorId: clinicians[index]!, diagnosis: 'Sinusitis', notes: `Visit ${index}` })),
          ...Array.from({ length: 200 }, () => ({ patientId: patients[0]!, diagnosis: 'Routine' })),
        ]);
        const result = await shape.run<SearchPage>(
          `{ searchRecords(query: "sinusitis", first: 100) { totalCount edges { score node { id patient { name recordCount records(first: 2) { nodes { id } } } author { name } } } } }`,
        );
        expect(result.errors).toBeUndefined();
        expect(result.data!.searchRecords.edges).toHaveLength(matches);
        expect(result.data!.searchRecords.totalCount).toBe(matches);
        counts.push(result.sqlCount);
      } finally {
        await shape.close();
      }
    }
    // The page with its count; the authors; the patients; their record counts; their records pages.
    expect(counts).toEqual([5, 5]);
  });
});
