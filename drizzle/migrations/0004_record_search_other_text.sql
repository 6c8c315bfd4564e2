-- Record search: a second FULLTEXT index that holds only the records whose text is not all ASCII.
-- Custom SQL, like 0002: drizzle's MySQL builder cannot declare a FULLTEXT index, and the column is read by
-- search alone, so drizzle/schema.ts names both (RECORD_SEARCH_OTHER_TEXT) instead of declaring the column
-- (record reads, which list the table's columns, never fetch it).
--
-- Why: a NEWEST page of a common word walks the newest records and tests each (src/modules/search/plan.ts).
-- Any MATCH in a statement makes InnoDB read the word's whole posting list first (about 14 ms for a word in
-- 31,000 of 1,000,000 records), however few rows the walk then tests. On text that is all ASCII a pattern
-- gives exactly the built-in parser's answer (words are runs of ASCII letters, digits and `_`; case is all
-- the collation folds there), so the walk tests those records with REGEXP, and only the others, whose words
-- the collation compares accent- and expansion-insensitively (`ásthma`, `straße` = `strasse`), with MATCH
-- on this column's index, whose posting lists hold those records only.
-- The column is NULL when diagnosis, treatment and notes are all ASCII (one byte per character), else their
-- text joined by spaces: the same words as the three columns, so MATCH on it matches the same records.
ALTER TABLE `medical_records` ADD COLUMN `search_other_text` mediumtext GENERATED ALWAYS AS (
  CASE WHEN octet_length(concat_ws(' ', `diagnosis`, `treatment`, `notes`)) = char_length(concat_ws(' ', `diagnosis`, `treatment`, `notes`))
    THEN NULL ELSE concat_ws(' ', `diagnosis`, `treatment`, `notes`) END
) STORED;
--> statement-breakpoint
CREATE FULLTEXT INDEX `medical_records_search_other_idx` ON `medical_records` (`search_other_text`);
