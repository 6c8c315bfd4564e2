/**
 * The record-search planner's choices (src/modules/search/plan.ts), without a database: which pages sort
 * every match and which walk the newest records, what it learns from a page's rows, and when it forgets.
 */
import { describe, expect, it } from 'vitest';
import { SearchPlanner, type SearchPlanKey } from '../../src/modules/search/plan.js';

const page = (overrides: Partial<SearchPlanKey> = {}, words = ['asthma']): SearchPlanKey => ({
  filter: { words, status: null, patientId: null },
  order: 'NEWEST',
  after: null,
  limit: 21,
  reads: { score: false, matched: false },
  ...overrides,
});
const rows = (count: number, learned: { matched: number; corpus: number }) =>
  Array.from({ length: count }, (_, index) => ({ id: index + 1, ...learned })) as never[];

describe('SearchPlanner', () => {
  it('sorts every match for RELEVANCE and for a first page that counts them, and walks a patient’s own records in either order', () => {
    const planner = new SearchPlanner({ memory: 10, ttlSeconds: 60 });
    expect(planner.choose(page({ order: 'RELEVANCE' }))).toEqual({ access: 'fulltext', learn: false });
    expect(planner.choose(page({ reads: { score: false, matched: true } }))).toEqual({ access: 'fulltext', learn: false });
    const patients = { words: ['asthma'], status: null, patientId: 7 };
    expect(planner.choose(page({ filter: patients }))).toEqual({ access: 'walk', learn: false });
    expect(planner.choose(page({ filter: patients, order: 'RELEVANCE', reads: { score: true, matched: true } }))).toEqual({ access: 'walk', learn: false });
  });

  it('learns words never seen with a sorting page, then walks for common words and keeps sorting for rare ones', () => {
    const planner = new SearchPlanner({ memory: 10, ttlSeconds: 60 });
    const common = page();
    const first = planner.choose(common);
    expect(first).toEqual({ access: 'fulltext', learn: true });
    // 31,000 of 1,000,000: 31,000² >= 3 × 21 × 1,000,000.
    planner.observe(common, first, rows(21, { matched: 31_000, corpus: 1_000_000 }));
    expect(planner.choose(common)).toEqual({ access: 'walk', learn: false });
    // The same words after a cursor, and with another page size, walk too.
    expect(planner.choose({ ...common, after: { createdAt: '2026-01-01 00:00:00.000', id: 5 } })).toEqual({ access: 'walk', learn: false });

    const rare = page({}, ['gout']);
    planner.observe(rare, planner.choose(rare), rows(21, { matched: 7_000, corpus: 1_000_000 }));
    expect(planner.choose(rare)).toEqual({ access: 'fulltext', learn: false });
    // Fewer matches than a page never walk, whatever the corpus size says.
    const few = page({}, ['wheezing']);
    planner.observe(few, planner.choose(few), rows(5, { matched: 5, corpus: 0 }));
    expect(planner.choose(few)).toEqual({ access: 'fulltext', learn: false });
    const none = page({}, ['zzz']);
    planner.observe(none, planner.choose(none), []);
    expect(planner.choose(none)).toEqual({ access: 'fulltext', learn: false });
  });

  it('keys what it learns by words and status: another status is learned on its own', () => {
    const planner = new SearchPlanner({ memory: 10, ttlSeconds: 60 });
    const all = page();
    planner.observe(all, planner.choose(all), rows(21, { matched: 31_000, corpus: 1_000_000 }));
    expect(planner.choose(page({ filter: { words: ['asthma'], status: 'CLOSED', patientId: null } }))).toEqual({ access: 'fulltext', learn: true });
  });

  it('a walk that comes back short on a first page marks the words rare', () => {
    const planner = new SearchPlanner({ memory: 10, ttlSeconds: 60 });
    const key = page();
    planner.observe(key, planner.choose(key), rows(21, { matched: 31_000, corpus: 1_000_000 }));
    const walk = planner.choose(key);
    expect(walk.access).toBe('walk');
    planner.observe(key, walk, rows(3, { matched: 0, corpus: 0 }));
    expect(planner.choose(key)).toEqual({ access: 'fulltext', learn: false });
  });

  it('forgets after SEARCH_PLAN_TTL_SECONDS, and keeps at most SEARCH_PLAN_MEMORY word sets', () => {
    let clock = 1_000;
    const planner = new SearchPlanner({ memory: 2, ttlSeconds: 60, now: () => clock });
    const learn = (words: string[]) => {
      const key = page({}, words);
      planner.observe(key, planner.choose(key), rows(21, { matched: 31_000, corpus: 1_000_000 }));
    };
    learn(['asthma']);
    clock += 59_000;
    expect(planner.choose(page()).access).toBe('walk');
    clock += 2_000;
    expect(planner.choose(page())).toEqual({ access: 'fulltext', learn: true });
    learn(['asthma']);
    learn(['gout']);
    learn(['covid']);
    expect(planner.choose(page())).toEqual({ access: 'fulltext', learn: true });
  });
});
