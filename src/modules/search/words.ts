/**
 * What a search query means: the words the FULLTEXT index can match, checked
 * and split the way InnoDB's built-in parser splits indexed text. Nothing of
 * the query reaches SQL but these words, so boolean-mode operators
 * (`+ - < > ( ) ~ * " @`) are separators like any other punctuation: taken as
 * text, never as operators, never a syntax error.
 *
 * Hand-written rather than a tokenizer library: the rules are the database's
 * (word characters, minimum and maximum token size, stopwords), and they are
 * read from the database itself (`FullTextRules`, see repository.ts).
 *
 * Example (MariaDB's defaults: 3..84 characters, InnoDB's 36 stopwords, the built-in parser):
 *   parseSearchQuery('  COVID-19 +"inhaler" ', rules)
 *   // { words: ['covid', 'inhaler'], dropped: ['19'] }   '19' is shorter than 3 characters
 *   parseSearchQuery('the with', rules)         // { words: [], dropped: ['the', 'with'] }: finds nothing
 *   parseSearchQuery('+-*"', rules)             // throws BAD_USER_INPUT: no word in it
 */
import { gatewayError } from '../../errors.js';
import { characters, storableText } from '../validation.js';

/** The longest query accepted, in characters (the contract's 1..200). */
export const MAX_SEARCH_QUERY_CHARACTERS = 200;

/** How the database's FULLTEXT parser treats words: read once per process (repository.ts readFullTextRules). */
export interface FullTextRules {
  /** innodb_ft_min_token_size: shorter words are not in the index. */
  readonly minWordLength: number;
  /** innodb_ft_max_token_size: longer words are not in the index. */
  readonly maxWordLength: number;
  /** The stopwords in force (lowercase); empty when innodb_ft_enable_stopword is off. */
  readonly stopwords: ReadonlySet<string>;
  /**
   * The index splits text into whole words (InnoDB's built-in parser), so a walk may test ASCII records by
   * pattern (wholeWordPattern). False when it was rebuilt with a parser plugin (MySQL 8's `ngram`): a walk
   * then tests every record with MATCH.
   */
  readonly wholeWords: boolean;
}

export interface SearchWords {
  /** Distinct lowercase words every match must contain, in the query's order. */
  readonly words: readonly string[];
  /** Words the index cannot match (too short, too long, stopwords), left out of the search. */
  readonly dropped: readonly string[];
}

/**
 * A word as InnoDB's built-in parser sees one: letters (with their combining marks), digits and `_`.
 * Everything else, apostrophes and every boolean operator included, separates words.
 */
const WORD = /[\p{L}\p{M}\p{N}_]+/gu;

function invalidQuery(message: string): Error {
  return gatewayError('BAD_USER_INPUT', `Argument "query" ${message}.`, { argument: 'query', max: MAX_SEARCH_QUERY_CHARACTERS });
}

/** Checks a search query (1..200 characters after trimming, well-formed Unicode, at least one word) and splits it. */
export function parseSearchQuery(query: string, rules: FullTextRules): SearchWords {
  storableText(query, 'query');
  const trimmed = query.trim();
  const length = characters(trimmed);
  if (length < 1) throw invalidQuery('must not be empty');
  if (length > MAX_SEARCH_QUERY_CHARACTERS) throw invalidQuery(`must be at most ${MAX_SEARCH_QUERY_CHARACTERS} characters, got ${length}`);
  const found = trimmed.toLowerCase().match(WORD);
  if (!found) throw invalidQuery('must contain at least one word (letters or digits); search operators are taken as text, not as operators');
  const words: string[] = [];
  const dropped: string[] = [];
  for (const word of new Set(found)) {
    const size = characters(word);
    const searchable = size >= rules.minWordLength && size <= rules.maxWordLength && !rules.stopwords.has(word);
    (searchable ? words : dropped).push(word);
  }
  return { words, dropped };
}

/**
 * The boolean-mode expression that requires every word: `+word +word`. Safe by construction: words hold
 * only word characters, never an operator or a quote.
 */
export function everyWord(words: readonly string[]): string {
  return words.map((word) => `+${word}`).join(' ');
}

/** Words a pattern can test exactly on ASCII text: nothing but ASCII letters, digits and `_`. */
const ASCII_WORD = /^[a-z0-9_]+$/;

/**
 * The REGEXP that finds `word` as a whole word in ASCII text, as InnoDB's built-in parser does: a run of
 * letters, digits and `_` that no other such character extends on either side, in any case. Null for a word
 * outside ASCII, which only MATCH compares as the collation does (`ásthma` and `asthma` are one word under
 * utf8mb4_unicode_ci). Safe to send as a parameter: the word holds no pattern syntax.
 *
 * Example:
 *   wholeWordPattern('asthma') // '(?i)(?<![[:alnum:]_])asthma(?![[:alnum:]_])'
 *   //  matches "Asthma, mild" and "non-asthma"; not "asthmatic" or "asthma_x"
 *   wholeWordPattern('喘息')    // null
 */
export function wholeWordPattern(word: string): string | null {
  return ASCII_WORD.test(word) ? `(?i)(?<![[:alnum:]_])${word}(?![[:alnum:]_])` : null;
}
