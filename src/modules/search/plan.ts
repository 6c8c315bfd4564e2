/**
 * How a search page reaches its rows: the one choice of plan in record search, made per page from what this
 * process has learned about the words. Both plans are one statement with the same WHERE and ORDER BY, so
 * they return the same rows in the same order; only their cost differs, and by orders of magnitude:
 *
 * - `fulltext`: the FULLTEXT index finds every match, MySQL fetches each and sorts them, and the page is the
 *   first `limit`. Cost grows with the number of matches M (about 3 µs each on the bench machine): 0.3 ms
 *   for a word in no record, 100–160 ms for `asthma` in 31,000 of 1,000,000.
 * - `walk`: MySQL walks records newest first (medical_records_created_at_id_idx, or the patient's own index)
 *   and tests each against the words, stopping once the page is full: about limit × N / M records read for a
 *   corpus of N. 2.4 ms for `asthma` (ASCII records tested by pattern, the others by MATCH on their own
 *   index: repository.ts walkTest; 20 ms when every record is tested by MATCH, most of it the FULLTEXT lookup
 *   every MATCH makes), but a rare word reads every record (1.5 s for a word in none).
 *
 * So: a patient's search, in either order, walks that patient's records (a handful; RELEVANCE then sorts
 * those by score). Otherwise RELEVANCE, and a first page that counts every match (`totalCount`), use
 * `fulltext` (they visit every match anyway), and NEWEST walks when the
 * words are known to be common: M² >= WALK_COST_RATIO × limit × N, with M and N learned from the first
 * `fulltext` page of the same words (the statement also returns the count of matches and the table's highest
 * id, in the same statement: no extra SQL). Words never seen take `fulltext`, the plan whose worst
 * case is bounded by M. A walk that comes back short on a first page saw that the words are rare, and says so.
 *
 * What is learned is kept per process (SEARCH_PLAN_MEMORY word sets, each for SEARCH_PLAN_TTL_SECONDS, as
 * corpora change); it only ever changes speed, never an answer.
 *
 * Example:
 *   const planner = new SearchPlanner({ memory: 10_000, ttlSeconds: 600 });
 *   planner.choose(key)                       // { access: 'fulltext', learn: true } (words never seen)
 *   planner.observe(key, plan, rows)          // rows[0] = { matched: 31_000, corpus: 1_000_000, … }
 *   planner.choose(key)                       // { access: 'walk', learn: false }
 */
import { LRUCache } from 'lru-cache';
import type { SearchFilter, SearchOrder, SearchPosition, SearchReads, SearchRow } from './repository.js';

/**
 * What one record read by a walk costs next to one match sorted by `fulltext` (measured on the bench data:
 * 9 µs against 3 µs with MATCH as the test; about 3.5 µs by pattern, which is not known when the plan is
 * chosen): the walk wins once limit × N / M × 3 < M. Kept at the dearer test's ratio: a walk on words that
 * turn out rare reads every record, so it is better taken late than early.
 */
const WALK_COST_RATIO = 3;

/** How a page's statement finds its rows (see the module comment). */
export type SearchAccess = 'fulltext' | 'walk';

export interface SearchPlan {
  readonly access: SearchAccess;
  /** The statement also returns the number of matches and the corpus size, for `observe`. */
  readonly learn: boolean;
}

/** The page a plan is chosen for (the search loader's key). */
export interface SearchPlanKey {
  readonly filter: SearchFilter;
  readonly order: SearchOrder;
  readonly after: SearchPosition | null;
  readonly limit: number;
  readonly reads: SearchReads;
}

/** What a page's rows carry when its plan learned: matches in all and the table's size (its highest id). */
export type LearnedRow = SearchRow & { corpus?: number | string | null };

interface Learned {
  /** Records matching the words (and status). */
  readonly matches: number;
  /** Records in the table, counted high: its highest id. */
  readonly corpus: number;
}

export interface SearchPlannerOptions {
  /** SEARCH_PLAN_MEMORY: word sets whose match counts are kept. */
  readonly memory: number;
  /** SEARCH_PLAN_TTL_SECONDS: how long a learned count is trusted. */
  readonly ttlSeconds: number;
  /** The clock in milliseconds (default `performance.now`); tests pass their own. */
  readonly now?: () => number;
}

export class SearchPlanner {
  private readonly learned: LRUCache<string, Learned>;

  constructor(options: SearchPlannerOptions) {
    this.learned = new LRUCache({
      max: options.memory,
      ttl: options.ttlSeconds * 1000,
      ...(options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {}),
    });
  }

  /** The plan of one page (see the module comment for the rules). */
  choose(key: SearchPlanKey): SearchPlan {
    if (key.filter.patientId !== null) return { access: 'walk', learn: false };
    if (key.order === 'RELEVANCE' || (key.after === null && key.reads.matched)) return { access: 'fulltext', learn: false };
    const learned = this.learned.get(wordsKey(key.filter));
    if (!learned) return { access: 'fulltext', learn: true };
    // Fewer matches than a page: a walk would read every record to find them.
    const walk = learned.matches >= key.limit && learned.matches * learned.matches >= WALK_COST_RATIO * key.limit * learned.corpus;
    return { access: walk ? 'walk' : 'fulltext', learn: false };
  }

  /** Takes in what a page's statement showed about its words. */
  observe(key: SearchPlanKey, plan: SearchPlan, rows: readonly LearnedRow[]): void {
    if (key.filter.patientId !== null || key.after !== null) return;
    if (plan.learn) {
      const first = rows[0];
      const corpus = Number(first?.corpus ?? 0);
      this.learned.set(wordsKey(key.filter), { matches: first ? Number(first.matched ?? rows.length) : 0, corpus });
    } else if (plan.access === 'walk' && rows.length < key.limit) {
      // The walk read every record to fill less than a page: the words are rare now.
      this.learned.set(wordsKey(key.filter), { matches: rows.length, corpus: this.learned.get(wordsKey(key.filter))?.corpus ?? 0 });
    }
  }
}

/** Plans depend on the words and the status, the filters a walk over all records tests row by row. */
function wordsKey(filter: SearchFilter): string {
  return JSON.stringify([filter.words, filter.status]);
}
