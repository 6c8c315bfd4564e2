/**
 * Per-request loaders of record search: pages and match counts, through the
 * fragment cache under the `records` tag, which every record write
 * invalidates (src/cache/tags.ts): a search's answer can change with any
 * record written anywhere, and its relevance scores with the whole corpus.
 * Keys hold the filter the caller may see (a patient's searches carry their
 * own patient id), so an entry never holds rows its key's callers may not read.
 * A page's statement reads its rows by the plan the process's planner chooses
 * (./plan.ts); the plan never changes the rows, so it is not part of the key.
 */
import { cacheTags } from '../../cache/tags.js';
import { cachedLoader, type LoaderContext } from '../batching.js';
import { SearchPlanner } from './plan.js';
import { searchReads, type SearchFilter, type SearchOrder, type SearchPosition, type SearchReads, type SearchRow } from './repository.js';

export interface SearchPageKey {
  readonly filter: SearchFilter;
  readonly order: SearchOrder;
  readonly after: SearchPosition | null;
  readonly limit: number;
  readonly reads: SearchReads;
}

/** For loaders made without the process's planner (tests of single loaders): learns for its own request only. */
const defaultPlanner = () => new SearchPlanner({ memory: 100, ttlSeconds: 60 });

export function createSearchLoaders(context: LoaderContext) {
  const repository = searchReads(context.reads);
  const planner = context.searchPlanner ?? defaultPlanner();
  const count = cachedLoader<SearchFilter, number>(
    context,
    { name: 'searchRecords.count', tagsOf: () => [cacheTags.records] },
    (filters) => Promise.all(filters.map((filter) => repository.count(filter))),
    { cacheKeyFn: (filter) => JSON.stringify(filter) },
  );
  return {
    // One key per searchRecords field: aliases asking the same page share it.
    page: cachedLoader<SearchPageKey, SearchRow[]>(
      context,
      {
        name: 'searchRecords',
        tagsOf: () => [cacheTags.records],
        // A first page that counted every match answers totalCount: no statement of its own.
        onValue: (key, rows) => {
          if (key.after === null && key.reads.matched) count.prime(key.filter, rows[0]?.matched ?? 0);
        },
      },
      (keys) =>
        Promise.all(
          keys.map(async (key) => {
            const plan = planner.choose(key);
            const rows = await repository.page(key.filter, key.order, key.after, key.limit, key.reads, plan);
            planner.observe(key, plan, rows);
            // What the plan learned is not part of the page (nor of its cache entry).
            return plan.learn ? rows.map(({ corpus: _corpus, matched, ...row }) => (key.reads.matched ? { ...row, matched } : row)) : rows;
          }),
        ),
      { cacheKeyFn: (key) => JSON.stringify(key) },
    ),
    count,
  };
}

export type SearchLoaders = ReturnType<typeof createSearchLoaders>;
