import { z } from 'zod';
import { ErrorCodes, RunnelError } from '../../core/errors.ts';
import type { StreamRecord } from '../../core/record.ts';

/** `uuid`: text holding a UUID, typed `uuid` where the database has the type (Postgres, Cassandra). */
export const COLUMN_TYPES = ['text', 'integer', 'real', 'boolean', 'json', 'uuid'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export type ColumnType = (typeof COLUMN_TYPES)[number];
export interface Column {
  name: string;
  type: ColumnType;
}

/** Identifiers are validated, never quoted-and-hoped: config must not be able to inject SQL. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const identifier = z
  .string()
  .regex(IDENTIFIER, 'must be a SQL identifier: letters, digits and _, not starting with a digit');

export const tableSinkSchema = z.strictObject({
  path: z.string().min(1),
  table: identifier,
  columns: z
    .array(z.strictObject({ name: identifier, type: z.enum(COLUMN_TYPES) }))
    .min(1)
    .optional(),
  /**
   * Table mode: one row per value of this column (a primary key), updated in place by newer records
   * instead of a row appended per record: a table of the latest value per key (`people`, `days`).
   */
  key: identifier.optional(),
});
export type TableSinkConfig = z.infer<typeof tableSinkSchema>;

/** Where a record came from, kept beside its columns so every row can be traced and deduplicated. */
export const META_COLUMNS = ['_topic', '_partition', '_offset', '_key', '_timestamp'] as const;

/** The row key is `id`, unless the records have an `id` field of their own; then it is `_id`. */
export function keyColumn(columns: Column[]): string {
  return columns.some((c) => c.name === 'id') ? '_id' : 'id';
}

/**
 * The columns of a table made earlier that hold no record field: the meta columns and the row key. The row
 * key is the column the table itself generates (`generated`: its INTEGER PRIMARY KEY, sequence default or
 * identity), which is `_id` when the records had an `id` of their own, and `id` even when they have an `_id`.
 * Read from the table, not guessed from the names, which cannot tell those two apart. Table mode has no row
 * key: its key is a record field.
 */
export function notRecordColumns(
  config: { key?: string | undefined },
  existing: string[],
  generated: string | undefined,
): Set<string> {
  const rowKey = config.key !== undefined ? [] : generated ? [generated] : existing.includes('_id') ? ['_id'] : ['id'];
  return new Set<string>([...META_COLUMNS, ...rowKey]);
}

/**
 * Columns from the first batch when none are configured: numbers are `integer` only if every value
 * seen is whole (so 0.5 in the first batch does not get truncated later), objects become JSON text.
 */
export function inferColumns(records: StreamRecord[]): Column[] {
  const types = new Map<string, ColumnType>();
  for (const r of records) {
    if (!r.value || typeof r.value !== 'object' || Array.isArray(r.value)) continue;
    for (const [name, v] of Object.entries(r.value)) {
      if (!IDENTIFIER.test(name) || v === null || v === undefined) continue;
      const t: ColumnType =
        typeof v === 'number'
          ? isBigint(v)
            ? 'integer'
            : 'real'
          : typeof v === 'boolean'
            ? 'boolean'
            : typeof v === 'string'
              ? 'text'
              : 'json';
      const prev = types.get(name);
      const numeric = (x: ColumnType | undefined) => x === 'integer' || x === 'real';
      // First type seen wins, except that a whole number column widens to real when a fraction shows up.
      types.set(name, prev === undefined ? t : prev !== t && numeric(prev) && numeric(t) ? 'real' : prev);
    }
  }
  return [...types].map(([name, type]) => ({ name, type }));
}

export type Cell = string | number | boolean | null;

/**
 * A whole number within a BIGINT's range: beyond it DuckDB's column would get another number (its 64 bits
 * wrapped) and Postgres would fail the batch; such a value is a row's misfit, or makes its column `real`.
 */
export const isBigint = (x: unknown): x is number =>
  Number.isInteger(x) && (x as number) >= -(2 ** 63) && (x as number) < 2 ** 63;

/** The record's values in column order, or a SCHEMA_MISMATCH naming the field and the value. */
export function rowOf(record: StreamRecord, columns: Column[]): Cell[] {
  const v = record.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new RunnelError(
      ErrorCodes.SCHEMA_MISMATCH,
      `record value must be an object to become a row (got ${JSON.stringify(v)?.slice(0, 80)})`,
      {
        value: v,
      },
    );
  }
  const obj = v as Record<string, unknown>;
  return columns.map((c) => {
    const x = obj[c.name];
    if (x === null || x === undefined) return null;
    const ok =
      c.type === 'json' ||
      (c.type === 'text' && typeof x === 'string') ||
      (c.type === 'uuid' && typeof x === 'string' && UUID.test(x)) ||
      (c.type === 'integer' && isBigint(x)) ||
      (c.type === 'real' && typeof x === 'number' && Number.isFinite(x)) ||
      (c.type === 'boolean' && typeof x === 'boolean');
    if (!ok) {
      throw new RunnelError(
        ErrorCodes.SCHEMA_MISMATCH,
        `field "${c.name}" must be ${c.type} (got ${JSON.stringify(x)?.slice(0, 80)})`,
        {
          value: x,
        },
      );
    }
    return c.type === 'json' ? JSON.stringify(x) : (x as Cell);
  });
}

/**
 * Quotes a validated identifier for SQL. Names are checked against IDENTIFIER first, so this only guards
 * against reserved words: the smoker alert's `at` column is one in DuckDB, `order` or `group` in both.
 */
export const quoted = (name: string): string => `"${name}"`;

/** The column a table-mode sink keys on, checked against the columns it will have. */
export function upsertColumn(config: TableSinkConfig, columns: Column[]): Column | undefined {
  if (config.key === undefined) return undefined;
  const c = columns.find((x) => x.name === config.key);
  if (!c) {
    throw new RunnelError(
      ErrorCodes.CONFIG_INVALID,
      `table ${config.table}: key column "${config.key}" is not one of its columns (${columns.map((x) => x.name).join(', ')})`,
    );
  }
  return c;
}

/**
 * Table mode: a record without its key has no row to update. Refused alone (dead-lettered), as postgres
 * and cassandra do: SQLite made up a rowid for it, and DuckDB failed the whole batch, retrying it forever.
 */
export function requireKey(cells: Cell[], columns: Column[], key: Column | undefined): void {
  if (key && cells[columns.indexOf(key)] === null) {
    throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `key field "${key.name}" is missing or null`);
  }
}
