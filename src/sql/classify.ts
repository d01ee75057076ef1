import type { DuckDBConnection } from '@duckdb/node-api';
import { ErrorCodes, RunnelError } from '../core/errors.ts';

/** A table named in FROM: `[catalog.][schema.]table`, empty parts left out by the user. */
export interface TableRef {
  catalog: string;
  schema: string;
  table: string;
}

export interface ParsedQuery {
  /** The query as DuckDB will run it (an EXPLAIN keeps its prefix). */
  sql: string;
  tables: TableRef[];
  /** Names a WITH clause defines anywhere in the query: they are tables only inside it. */
  ctes: Set<string>;
}

/**
 * Table functions that read nothing but the query's own values or DuckDB's catalog. Everything else is
 * refused: the list of functions that touch files or the database (read_*, glob, query_table,
 * json_execute_serialized_sql, checkpoint, enable_logging, …) grows with each DuckDB release, this one
 * does not.
 */
const TABLE_FUNCTIONS = new Set([
  'range',
  'generate_series',
  'unnest',
  'repeat',
  'repeat_row',
  'json_each',
  'json_tree',
  'duckdb_columns',
  'duckdb_constraints',
  'duckdb_databases',
  'duckdb_functions',
  'duckdb_indexes',
  'duckdb_keywords',
  'duckdb_schemas',
  'duckdb_tables',
  'duckdb_types',
  'duckdb_views',
  'pragma_table_info',
]);

/** Scalar functions with an effect outside the query: sequences advance, the environment leaks. */
const SCALAR_FUNCTIONS_REFUSED = new Set(['nextval', 'currval', 'setval', 'getenv', 'json_execute_serialized_sql']);

/** File readers by name, wherever they appear (as a scalar call DuckDB would refuse them, but say why). */
const FILE_FUNCTIONS = /^(read_|parquet_|sqlite_|iceberg_|delta_)|^(glob|query|query_table|sniff_csv)$/;

/** SHOW_REF names DuckDB itself puts in for `SHOW TABLES` and `SHOW ALL TABLES` / bare `DESCRIBE`. */
const SHOW_NAMES = new Set(['', '"tables"', '"databases"', '__show_tables_expanded']);

const refused = (message: string, value?: unknown) =>
  new RunnelError(ErrorCodes.SQL_REFUSED, message, value === undefined ? {} : { value });
const invalid = (message: string) => new RunnelError(ErrorCodes.SQL_INVALID, message);

/** A SQL string literal: a doubled quote is the only escape in DuckDB's standard strings. */
export const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;
/** A quoted identifier. */
export const ident = (s: string): string => `"${s.replaceAll('"', '""')}"`;

const MAX_QUERY = 64 * 1024;
const EXPLAIN = /^\s*explain(\s+analyze)?\s+/i;

/**
 * Checks that `sql` is one read-only query and lists the tables it names, with DuckDB's own parser: the
 * statement count from `extractStatements`, the tree from `json_serialize_sql` (which serializes SELECT
 * statements only, so anything else — INSERT, ATTACH, COPY, SET, PRAGMA, INSTALL, LOAD, CREATE — is
 * refused by construction). Parsing only: nothing is bound, so nothing is read yet.
 */
export async function parseQuery(conn: DuckDBConnection, sql: string): Promise<ParsedQuery> {
  if (sql.length > MAX_QUERY) throw refused(`the query is longer than ${MAX_QUERY} characters`);
  if (sql.includes('\0')) throw refused('the query contains a NUL character');
  if (sql.trim() === '') throw invalid('the query is empty');
  let count: number;
  try {
    count = (await conn.extractStatements(sql)).count;
  } catch (err) {
    throw invalid(firstLine(err));
  }
  if (count !== 1) throw refused(`one statement only (got ${count}): run them one at a time`);
  // EXPLAIN wraps a statement the serializer refuses; the statement inside must itself be a query.
  const inner = sql.replace(EXPLAIN, '');
  const reader = await conn.runAndReadAll(`SELECT json_serialize_sql(${literal(inner)})`);
  const tree = JSON.parse(String(reader.getRows()[0]![0])) as {
    error: boolean;
    error_type?: string;
    error_message?: string;
    statements?: unknown[];
  };
  if (tree.error) {
    if (tree.error_type === 'parser') throw invalid(tree.error_message ?? 'syntax error');
    throw refused(
      'only a read-only query may run: one SELECT, WITH, EXPLAIN, DESCRIBE, SHOW or SUMMARIZE ' +
        '(no INSERT, UPDATE, DELETE, CREATE, DROP, ATTACH, COPY, SET, PRAGMA, INSTALL or LOAD)',
    );
  }
  if (tree.statements?.length !== 1) throw refused('one statement only');
  const found: ParsedQuery = { sql, tables: [], ctes: new Set() };
  walk(tree.statements[0], found);
  return found;
}

/** Visits every node of the serialized tree: table references, table functions and function calls. */
function walk(node: unknown, found: ParsedQuery): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, found);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Record<string, unknown>;
  if (n.type === 'BASE_TABLE') {
    found.tables.push({ catalog: str(n.catalog_name), schema: str(n.schema_name), table: str(n.table_name) });
  } else if (n.type === 'TABLE_FUNCTION') {
    const fn = (n.function ?? {}) as Record<string, unknown>;
    const name = str(fn.function_name).toLowerCase();
    if (!TABLE_FUNCTIONS.has(name) || str(fn.schema) !== '' || str(fn.catalog) !== '') {
      throw refused(
        `table function ${name}() is not allowed: it may read files or change the database ` +
          '(the app\'s outputs are already there as tables and views: see "SELECT * FROM runnel.tables")',
        name,
      );
    }
  } else if (n.type === 'SHOW_REF' && !SHOW_NAMES.has(str(n.table_name))) {
    found.tables.push({ catalog: str(n.catalog_name), schema: str(n.schema_name), table: str(n.table_name) });
  } else if (n.class === 'FUNCTION') {
    const name = str(n.function_name).toLowerCase();
    if (SCALAR_FUNCTIONS_REFUSED.has(name) || FILE_FUNCTIONS.test(name)) {
      throw refused(`function ${name}() is not allowed in a read-only query`, name);
    }
  }
  const ctes = (n.cte_map as { map?: Array<{ key?: unknown }> } | undefined)?.map;
  for (const c of ctes ?? []) found.ctes.add(str(c.key).toLowerCase());
  for (const value of Object.values(n)) if (typeof value === 'object') walk(value, found);
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
