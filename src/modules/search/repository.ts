/**
 * SQL of record search: one statement per page through the FULLTEXT index
 * `medical_records_search_idx` (diagnosis, treatment, notes; migration
 * 0002_record_search). Rows must contain every word (`MATCH … AGAINST` in
 * boolean mode, `+word +word`); the score is the natural-language relevance of
 * the same words. A first page also counts every match (a window count over
 * the rows the index found), so `totalCount` costs no statement of its own.
 *
 * A page may instead walk records through an ordinary index (the newest first, or one patient's) and
 * test each against the words (`plan.access` 'walk', chosen by plan.ts): the same rows, in the same order.
 *
 * Orders and their keyset positions:
 *   RELEVANCE  score DESC, id DESC   after (score, id): score < s OR (score = s AND id < i), where s is
 *              the cursor row's current score (the score the cursor carries once that row no longer matches)
 *   NEWEST     createdAt DESC, id DESC, as every other list (src/modules/keyset.ts)
 * Scores are doubles the server computes the same way for the same corpus, so
 * a cursor's score, sent back as the number it was read as, compares equal to
 * its own row's (MariaDB and mysql2 both write doubles in their shortest exact form).
 */
import { medicalRecords, RECORD_SEARCH_INDEX } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import type { InstrumentedPool } from '../../db/pool.js';
import { column, columnsOf, tableOf } from '../../db/sql.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';
import type { RecordRow, RecordStatusValue } from '../record/repository.js';
import type { LearnedRow, SearchAccess, SearchPlan } from './plan.js';
import { everyWord, type FullTextRules } from './words.js';

export type SearchOrder = 'RELEVANCE' | 'NEWEST';

/** Where a search page continues: after (score, id) for RELEVANCE, after (createdAt, id) for NEWEST. */
export type SearchPosition = { readonly score: number; readonly id: number } | CreatedAtPosition;

export interface SearchFilter {
  /** Words every match contains (words.ts parseSearchQuery); never empty here. */
  readonly words: readonly string[];
  readonly status: RecordStatusValue | null;
  /** Only this patient's records: the `patientId` argument, or the caller when a patient searches. */
  readonly patientId: number | null;
}

/** A record found, with its relevance (when read) and, on every row of a first page, how many records match in all (when read). */
export type SearchRow = RecordRow & { score?: number; matched?: number };

/** What a page reads besides the records: their scores (RELEVANCE always does) and the number of matches. */
export interface SearchReads {
  readonly score: boolean;
  readonly matched: boolean;
}

const RECORDS = tableOf(medicalRecords);
const RECORD_COLUMNS = columnsOf(medicalRecords);
const ID = column(medicalRecords.id);
// The index's columns in its order: MATCH must name exactly those of one FULLTEXT index.
const MATCH = `match(${RECORD_SEARCH_INDEX.columns.map((source) => column(source)).join(', ')})`;
const EVERY_WORD = `${MATCH} against (? in boolean mode)`;
const SCORE = `${MATCH} against (? in natural language mode)`;
// Where a RELEVANCE page continues: the cursor row's score now, not the one the cursor carries. A write
// changes every score of a word (its weight falls as more records hold it), so an old score would place
// the cursor above rows already shown and restart the walk; the row's own current score keeps it where
// the row now ranks. The carried score stands in when the row no longer matches (edited or deleted).
const ANCHOR_SCORE = `coalesce((select ${SCORE} from ${RECORDS} where ${ID} = ? and ${EVERY_WORD}), ?)`;
const CREATED_AT = column(medicalRecords.createdAt);
const AFTER_CREATED_AT = afterCreatedAt(CREATED_AT, ID);

// The same test of every word as an expression MySQL cannot turn into a FULLTEXT index read: the `walk`
// plan (plan.ts) reads records newest first through an ordinary index and tests each with it. For words
// given with `+` a matching record's boolean-mode relevance is positive, so `> 0` keeps exactly the
// records the index read keeps (test/search.test.ts compares the two plans' pages).
const EVERY_WORD_TESTED = `(${EVERY_WORD}) + 0 > 0`;
// The corpus size the planner weighs a walk against: the highest id, read from the end of the primary key
// (no scan). Never below the rows there are, so deletions only make a walk look dearer; unlike InnoDB's row
// estimate in information_schema, it is current on MySQL 8 too (which caches that estimate for a day).
const CORPUS = `(select max(${ID}) from ${RECORDS})`;

function conditions(filter: SearchFilter, access: SearchAccess = 'fulltext'): { sql: string[]; params: unknown[] } {
  const sql = [access === 'walk' ? EVERY_WORD_TESTED : EVERY_WORD];
  const params: unknown[] = [everyWord(filter.words)];
  if (filter.patientId !== null) {
    sql.push(`${column(medicalRecords.patientId)} = ?`);
    params.push(filter.patientId);
  }
  if (filter.status !== null) {
    sql.push(`${column(medicalRecords.status)} = ?`);
    params.push(filter.status);
  }
  return { sql, params };
}

/** The loaders' reads of search results. */
export function searchReads(db: Reads) {
  return {
    /**
     * Up to `limit` matches in `order`, strictly after `after` when given, in one statement. With
     * `reads.matched` and without `after`, each row also carries `matched`, the number of matches in all;
     * with `reads.score` (always for RELEVANCE), its score. Each costs the database a pass over every
     * match (the score a second full-text search), so a page reads them only when the operation asks.
     */
    page(
      filter: SearchFilter,
      order: SearchOrder,
      after: SearchPosition | null,
      limit: number,
      reads: SearchReads,
      plan: SearchPlan = { access: 'fulltext', learn: false },
    ): Promise<LearnedRow[]> {
      const where = conditions(filter, plan.access);
      const words = filter.words.join(' ');
      if (after && 'score' in after) {
        where.sql.push(`(${SCORE} < ${ANCHOR_SCORE} or (${SCORE} = ${ANCHOR_SCORE} and ${ID} < ?))`);
        const anchor = [words, after.id, everyWord(filter.words), after.score];
        where.params.push(words, ...anchor, words, ...anchor, after.id);
      } else if (after) {
        where.sql.push(AFTER_CREATED_AT.sql);
        where.params.push(...AFTER_CREATED_AT.params(after));
      }
      const orderBy = order === 'RELEVANCE' ? `\`score\` desc, ${ID} desc` : `${CREATED_AT} desc, ${ID} desc`;
      const scored = order === 'RELEVANCE' || reads.score;
      const counted = (after === null && reads.matched) || plan.learn;
      return db.rows<LearnedRow>(
        `select ${RECORD_COLUMNS}${scored ? `, ${SCORE} as \`score\`` : ''}${counted ? ', count(*) over () as `matched`' : ''}` +
          `${plan.learn ? `, ${CORPUS} as \`corpus\`` : ''} ` +
          `from ${RECORDS} where ${where.sql.join(' and ')} order by ${orderBy} limit ?`,
        [...(scored ? [words] : []), ...where.params, limit],
      );
    },

    /** How many records match (for `totalCount` on a page after a cursor). */
    async count(filter: SearchFilter): Promise<number> {
      const where = conditions(filter);
      const [row] = await db.rows<{ total: number }>(`select count(*) as \`total\` from ${RECORDS} where ${where.sql.join(' and ')}`, where.params);
      return Number(row?.total ?? 0);
    },
  };
}

/** InnoDB's built-in stopword list, which both MySQL 8 and MariaDB use unless a server table replaces it. */
const DEFAULT_STOPWORDS = 'information_schema.INNODB_FT_DEFAULT_STOPWORD';

/**
 * The server's FULLTEXT settings, read once per process (two statements, outside any request): the
 * token sizes and the stopwords the index was built with, so a query leaves out the words the index
 * cannot hold instead of requiring them (a required word the index lacks would match nothing).
 */
export async function readFullTextRules(pool: InstrumentedPool): Promise<FullTextRules> {
  const [settings] = await pool.rows<{ minWordLength: number; maxWordLength: number; enabled: number; serverTable: string | null }>(
    'select @@innodb_ft_min_token_size as `minWordLength`, @@innodb_ft_max_token_size as `maxWordLength`, ' +
      '@@innodb_ft_enable_stopword as `enabled`, @@innodb_ft_server_stopword_table as `serverTable`',
    [],
    null,
  );
  if (!settings) throw new Error('The database did not report its FULLTEXT settings.');
  let stopwords: string[] = [];
  if (Number(settings.enabled) === 1) {
    // `db/table` names a table with one `value` column (the server's own setting, not user input).
    const table = settings.serverTable
      ? settings.serverTable
          .split('/')
          .map((part) => `\`${part.replace(/`/g, '``')}\``)
          .join('.')
      : DEFAULT_STOPWORDS;
    stopwords = (await pool.rows<{ value: string }>(`select \`value\` from ${table}`, [], null)).map((row) => row.value.toLowerCase());
  }
  return { minWordLength: Number(settings.minWordLength), maxWordLength: Number(settings.maxWordLength), stopwords: new Set(stopwords) };
}
