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
 * A walk tests records whose text is all ASCII with whole-word patterns, and only the others with MATCH
 * (on the second FULLTEXT index of migration 0004, which holds those records alone): see walkTest.
 *
 * Orders and their keyset positions:
 *   RELEVANCE  score DESC, id DESC   after (score, id): score < s OR (score = s AND id < i), where s is
 *              the cursor row's current score (the score the cursor carries once that row no longer matches)
 *   NEWEST     createdAt DESC, id DESC, as every other list (src/modules/keyset.ts)
 * Scores are doubles the server computes the same way for the same corpus, so
 * a cursor's score, sent back as the number it was read as, compares equal to
 * its own row's (MariaDB and mysql2 both write doubles in their shortest exact form).
 */
import { medicalRecords, RECORD_SEARCH_INDEX, RECORD_SEARCH_OTHER_TEXT } from '../../../drizzle/schema.js';
import type { Reads } from '../../db/request-db.js';
import type { InstrumentedPool } from '../../db/pool.js';
import { column, columnsOf, tableOf } from '../../db/sql.js';
import { afterCreatedAt, type CreatedAtPosition } from '../keyset.js';
import type { RecordRow, RecordStatusValue } from '../record/repository.js';
import type { LearnedRow, SearchAccess, SearchPlan } from './plan.js';
import { everyWord, wholeWordPattern, type FullTextRules } from './words.js';

export type SearchOrder = 'RELEVANCE' | 'NEWEST';

/** Where a search page continues: after (score, id) for RELEVANCE, after (createdAt, id) for NEWEST. */
export type SearchPosition = { readonly score: number; readonly id: number } | CreatedAtPosition;

export interface SearchFilter {
  /** Words every match contains (words.ts parseSearchQuery); never empty here. */
  readonly words: readonly string[];
  readonly status: RecordStatusValue | null;
  /** Only this patient's records: the `patientId` argument, or the caller when a patient searches. */
  readonly patientId: number | null;
  /** A walk may test ASCII records by pattern: the index splits whole words (FullTextRules.wholeWords). Default false: MATCH only. */
  readonly byPattern?: boolean;
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
// But every MATCH in a statement first reads each word's whole posting list (about 14 ms for a word in
// 31,000 of 1,000,000 records), so when every word is ASCII the walk tests a record whose text is all ASCII
// (search_other_text NULL) with a whole-word pattern per word in any column, which is exact on such text
// (words.ts wholeWordPattern), and only the other records with MATCH on their own index (migration 0004),
// whose posting lists hold those records alone. 1.1 ms instead of 15 for `asthma`'s first page.
const OTHER_TEXT = `${RECORDS}.\`${RECORD_SEARCH_OTHER_TEXT.column}\``;
const WORD_IN_ANY_COLUMN = `(${RECORD_SEARCH_INDEX.columns.map((source) => `${column(source)} regexp ?`).join(' or ')})`;
const OTHER_EVERY_WORD_TESTED = `(match(${OTHER_TEXT}) against (? in boolean mode)) + 0 > 0`;

/** The walk's test of every word on one record (see above): by pattern where the words allow it, else MATCH. */
function walkTest({ words, byPattern }: SearchFilter): { sql: string; params: unknown[] } {
  const patterns = byPattern ? words.map(wholeWordPattern) : [null];
  if (patterns.some((pattern) => pattern === null)) return { sql: EVERY_WORD_TESTED, params: [everyWord(words)] };
  return {
    sql: `((${OTHER_TEXT} is null and ${patterns.map(() => WORD_IN_ANY_COLUMN).join(' and ')}) or (${OTHER_TEXT} is not null and ${OTHER_EVERY_WORD_TESTED}))`,
    params: [...patterns.flatMap((pattern) => RECORD_SEARCH_INDEX.columns.map(() => pattern)), everyWord(words)],
  };
}
// The corpus size the planner weighs a walk against: the highest id, read from the end of the primary key
// (no scan). Never below the rows there are, so deletions only make a walk look dearer; unlike InnoDB's row
// estimate in information_schema, it is current on MySQL 8 too (which caches that estimate for a day).
const CORPUS = `(select max(${ID}) from ${RECORDS})`;

function conditions(filter: SearchFilter, access: SearchAccess = 'fulltext'): { sql: string[]; params: unknown[] } {
  const test = access === 'walk' ? walkTest(filter) : { sql: EVERY_WORD, params: [everyWord(filter.words)] };
  const sql = [test.sql];
  const params = test.params;
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
 * The server's FULLTEXT settings, read once per process (three statements, outside any request): the
 * token sizes and the stopwords the index was built with, so a query leaves out the words the index
 * cannot hold instead of requiring them (a required word the index lacks would match nothing), and
 * whether the index splits whole words (no parser plugin in its definition).
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
  const [created] = await pool.rows<Record<string, string>>(`show create table ${RECORDS}`, [], null);
  return {
    minWordLength: Number(settings.minWordLength),
    maxWordLength: Number(settings.maxWordLength),
    stopwords: new Set(stopwords),
    wholeWords: splitsWholeWords(created?.['Create Table'] ?? ''),
  };
}

/**
 * Whether `SHOW CREATE TABLE medical_records` shows the search index built with InnoDB's own parser: MySQL 8
 * prints a plugin on the index's line (`FULLTEXT KEY `medical_records_search_idx` (…) /*!50100 WITH PARSER
 * `ngram` *\/`); MariaDB has none for InnoDB. False when the index is missing.
 */
export function splitsWholeWords(createTable: string): boolean {
  const line = createTable.split('\n').find((text) => text.includes(`\`${RECORD_SEARCH_INDEX.name}\``));
  return line !== undefined && !/with parser/i.test(line);
}
