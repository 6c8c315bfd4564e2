/**
 * What a search query means (src/modules/search/words.ts), without a database: how a query splits into the
 * words the index can match, what it drops and refuses, which words a walk may test by pattern, and how the
 * index's parser is read (repository.ts splitsWholeWords). What the
 * patterns match in MariaDB is compared with the FULLTEXT index's own answer in test/search.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { splitsWholeWords } from '../../src/modules/search/repository.js';
import { everyWord, parseSearchQuery, wholeWordPattern, type FullTextRules } from '../../src/modules/search/words.js';

// MariaDB's defaults: 3..84 characters and (some of) InnoDB's stopwords.
const rules: FullTextRules = { minWordLength: 3, maxWordLength: 84, stopwords: new Set(['the', 'with', 'and']), wholeWords: true };

describe('parseSearchQuery', () => {
  it('splits on everything but letters, marks, digits and `_`, lowercases, and keeps each word once', () => {
    expect(parseSearchQuery('  COVID-19 +"inhaler" ', rules)).toEqual({ words: ['covid', 'inhaler'], dropped: ['19'] });
    expect(parseSearchQuery('Asthma asthma ASTHMA', rules)).toEqual({ words: ['asthma'], dropped: [] });
    expect(parseSearchQuery("crohn's (very) stressful_job", rules)).toEqual({ words: ['crohn', 'very', 'stressful_job'], dropped: ['s'] });
    expect(parseSearchQuery('Brönchospasm straße 喘息の治療', rules)).toEqual({ words: ['brönchospasm', 'straße', '喘息の治療'], dropped: [] });
  });

  it('drops stopwords and words the index does not hold, and finds nothing with only those', () => {
    expect(parseSearchQuery('the with', rules)).toEqual({ words: [], dropped: ['the', 'with'] });
    expect(parseSearchQuery(`ok ${'x'.repeat(85)} and`, rules)).toEqual({ words: [], dropped: ['ok', 'x'.repeat(85), 'and'] });
  });

  it('refuses an empty or too long query, one of only operators, and a lone surrogate, as BAD_USER_INPUT', () => {
    for (const query of ['', '   ', '+-*"()<>~@', 'a'.repeat(201), 'asthma \uD800']) {
      expect(() => parseSearchQuery(query, rules), JSON.stringify(query)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
    // 200 characters is the limit, not the word length: this one is accepted, and finds nothing.
    expect(parseSearchQuery(` ${'a'.repeat(200)} `, rules)).toEqual({ words: [], dropped: ['a'.repeat(200)] });
  });
});

describe('everyWord', () => {
  it('requires every word in boolean mode', () => {
    expect(everyWord(['asthma', 'exercise'])).toBe('+asthma +exercise');
  });
});

describe('wholeWordPattern', () => {
  it('gives a whole-word, any-case pattern for an ASCII word, with `_` counted as a word character', () => {
    expect(wholeWordPattern('asthma')).toBe('(?i)(?<![[:alnum:]_])asthma(?![[:alnum:]_])');
    expect(wholeWordPattern('stressful_job')).toBe('(?i)(?<![[:alnum:]_])stressful_job(?![[:alnum:]_])');
    expect(wholeWordPattern('covid19')).toBe('(?i)(?<![[:alnum:]_])covid19(?![[:alnum:]_])');
  });

  it('gives none for a word outside ASCII: only MATCH compares those as the collation does', () => {
    for (const word of ['brönchospasm', 'straße', '喘息の治療', 'café']) expect(wholeWordPattern(word), word).toBeNull();
  });
});

describe('splitsWholeWords', () => {
  it('reads the parser from SHOW CREATE TABLE: the built-in one splits whole words, a plugin such as ngram does not', () => {
    const table = (index: string) => `CREATE TABLE \`medical_records\` (\n  \`id\` bigint(20) unsigned NOT NULL,\n${index}\n) ENGINE=InnoDB`;
    expect(splitsWholeWords(table('  FULLTEXT KEY `medical_records_search_idx` (`diagnosis`,`treatment`,`notes`),'))).toBe(true);
    expect(splitsWholeWords(table('  FULLTEXT KEY `medical_records_search_idx` (`diagnosis`,`treatment`,`notes`) /*!50100 WITH PARSER `ngram` */ ,'))).toBe(false);
    // Another index's parser does not matter; a missing search index is not taken for the built-in parser.
    expect(splitsWholeWords(table('  FULLTEXT KEY `medical_records_search_idx` (`diagnosis`),\n  FULLTEXT KEY `other` (`notes`) /*!50100 WITH PARSER `ngram` */'))).toBe(true);
    expect(splitsWholeWords(table('  KEY `medical_records_author_idx` (`author_id`)'))).toBe(false);
  });
});
