-- Record search (Query.searchRecords): a FULLTEXT index over what records say.
-- Custom SQL: drizzle's MySQL schema builder has no FULLTEXT index, so drizzle/schema.ts names it
-- (RECORD_SEARCH_INDEX) and this migration creates it. InnoDB's built-in parser, which MySQL 8 and
-- MariaDB share; on MySQL 8, `WITH PARSER ngram` would index CJK text too (see docs/search.md).
CREATE FULLTEXT INDEX `medical_records_search_idx` ON `medical_records` (`diagnosis`, `treatment`, `notes`);
