/**
 * The by-id read every domain has: one statement per batch of ids, through the fragment cache, with the
 * tags a row (or its absence) carries. Owns the statement's text and the loader's wiring, so the six
 * domains differ only where their reads really do, and say so in `ByIdOptions`.
 */
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core';
import { cacheTags, type TaggedType } from '../cache/tags.js';
import type { Reads } from '../db/request-db.js';
import { column, columnsOf, tableOf } from '../db/sql.js';
import { cachedLoader, oneByKey, type LoaderContext, type RequestLoader } from './batching.js';

// A row's own tag, by type: what a row read by id carries unless its options say otherwise.
const OWN_TAG: Record<TaggedType, (id: number) => string> = {
  Patient: cacheTags.patient,
  Record: cacheTags.record,
  Event: cacheTags.event,
  Schedule: cacheTags.schedule,
  Selection: cacheTags.selection,
  Clinician: cacheTags.clinician,
};

export interface ByIdOptions<Row> {
  /**
   * The row's type: names the fragment in cache keys and the loader's batch spans (`dataloader.batch
   * Patient`), and picks the row's own tag and its `<Type>:absent` tag.
   */
  readonly name: TaggedType;
  /**
   * The tags of a row that exists, for the kinds whose rows carry their lists' tags instead of (or
   * besides) their own (`rowTags` in src/cache/tags.ts). Defaults to the row's own tag. A missing row
   * always carries its own tag and `<Type>:absent`, which the type's next creation invalidates.
   */
  readonly tagsOf?: (row: Row) => readonly string[];
}

/** Makes a request's by-id loader of one table; called by a domain's loader factory. */
export type ByIdLoader<Row> = (context: LoaderContext) => RequestLoader<number, Row | null>;

/**
 * Renders `select <every column> from <table> where <table>.id in (?)` once, when the domain's module
 * loads, and returns what makes a request's loader of it. A batch is one statement whatever its size up
 * to the loader's chunk size (mysql2 expands the array behind `in (?)`); values come back in key order,
 * null for an id without a row. Rows arrive in the read path's form (src/db/sql.ts), so `Row` is the
 * domain's read row type.
 *
 * Example:
 *
 *     const patientById = byIdLoader<PatientRow>(patients, { name: 'Patient' });
 *
 *     // once per request, in the domain's loader factory:
 *     const byId = patientById(context);
 *     await byId.loadMany([3, 999]);
 *     // [{ id: 3, name: 'Ada', … }, null], from one statement (when the cache had neither):
 *     //   select `patients`.`id` as `id`, … from `patients` where `patients`.`id` in (?)
 *     // cached as Patient:3, and Patient:999 with Patient:absent (until the next createPatient)
 *
 * A kind whose rows carry other tags says which:
 *
 *     const recordById = byIdLoader<RecordRow>(medicalRecords, { name: 'Record', tagsOf: rowTags.record });
 *     // a found record is tagged Record:<id> and Patient:<patientId>.records
 */
export function byIdLoader<Row extends { id: number }>(
  table: MySqlTable & { id: MySqlColumn },
  options: ByIdOptions<Row>,
): ByIdLoader<Row> {
  const statement = `select ${columnsOf(table)} from ${tableOf(table)} where ${column(table.id)} in (?)`;
  const own = OWN_TAG[options.name];
  const absent = cacheTags.absent(options.name);
  const tagsOf = options.tagsOf ?? ((row: Row) => [own(row.id)]);
  const find = (reads: Reads, ids: readonly number[]) => reads.rows<Row>(statement, [ids]);
  return (context) =>
    cachedLoader<number, Row | null>(
      context,
      { name: options.name, tagsOf: (id, row) => (row ? tagsOf(row) : [own(id), absent]) },
      async (ids) => oneByKey(ids, await find(context.reads, ids), (row) => row.id),
    );
}
