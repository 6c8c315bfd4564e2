/**
 * SQL text for the read path, built once per statement shape from the drizzle
 * tables (drizzle/schema.ts stays the one source of table and column names):
 * each read repository renders its statements when its module loads, and a
 * request only fills in parameters. `IN (?)` takes an array, which mysql2
 * expands, so one text serves every IN-list length.
 *
 * Columns are aliased to the row's property names, so mysql2's own row parser
 * (compiled once per result shape) builds the row objects: no per-column
 * mapping, no `Date` (DATE and DATETIME arrive as MySQL's text; see
 * `DateTimeText`), booleans as 0/1.
 *
 * Example:
 *   const PATIENT_COLUMNS = columnsOf(patients);
 *   const BY_IDS = `select ${PATIENT_COLUMNS} from ${tableOf(patients)} where ${column(patients.id)} in (?)`;
 *   await reads.rows<PatientRow>(BY_IDS, [[1, 2, 3]]);
 */
import { getTableColumns } from 'drizzle-orm';
import { getTableConfig, type MySqlColumn, type MySqlTable } from 'drizzle-orm/mysql-core';

/**
 * A DATETIME as MySQL sends it: `YYYY-MM-DD HH:MM:SS.mmm`, UTC. Read rows carry timestamps in this form;
 * the DateTime scalar turns it into ISO-8601 only for the fields a response selects.
 */
export type DateTimeText = string;

/** A drizzle row as the read path delivers it: timestamps as `DateTimeText`, booleans as 0/1. */
export type ReadRow<Row> = { [K in keyof Row]: Row[K] extends Date ? DateTimeText : Row[K] extends boolean ? number : Row[K] };

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/** The table's quoted name. */
export function tableOf(table: MySqlTable): string {
  return quote(getTableConfig(table).name);
}

/** A column as `table`.`column`. */
export function column(source: MySqlColumn): string {
  return `${quote(getTableConfig(source.table as MySqlTable).name)}.${quote(source.name)}`;
}

/** Every column of `table` (or the properties named), each aliased to its property name: `table`.`created_at` AS `createdAt`. */
export function columnsOf(table: MySqlTable, only?: readonly string[]): string {
  return Object.entries(getTableColumns(table))
    .filter(([property]) => !only || only.includes(property))
    .map(([property, source]) => `${column(source as MySqlColumn)} as ${quote(property)}`)
    .join(', ');
}

/** `YYYY-MM-DD HH:MM:SS.mmm` (UTC) of a Date, the text MySQL gives back for what it stored. */
export function dateTimeText(instant: Date): DateTimeText {
  const iso = instant.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Milliseconds since the epoch of a `DateTimeText`. */
export function millisOf(text: DateTimeText): number {
  return Date.parse(`${text.slice(0, 10)}T${text.slice(11)}Z`);
}

/** ISO-8601 (`…T…Z`, as Date#toISOString writes it) of a `DateTimeText`. */
export function isoOf(text: DateTimeText): string {
  return `${text.slice(0, 10)}T${text.slice(11)}Z`;
}

/** A row drizzle read (Dates, booleans) in the read path's form, for rows a mutation reads back. */
export function toReadRow<Row extends object>(row: Row): ReadRow<Row> {
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    converted[key] = value instanceof Date ? dateTimeText(value) : typeof value === 'boolean' ? (value ? 1 : 0) : value;
  }
  return converted as ReadRow<Row>;
}

/**
 * The property names of `table`'s columns, quoted and qualified by `alias`:
 * the columns of a derived table built with `columnsOf`, e.g.
 * `propertiesOf(medicalRecords, 'ranked')` → `` `ranked`.`id`, `ranked`.`patientId`, … ``.
 */
export function propertiesOf(table: MySqlTable, alias: string): string {
  return Object.keys(getTableColumns(table))
    .map((property) => `${quote(alias)}.${quote(property)}`)
    .join(', ');
}
