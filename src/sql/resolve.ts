import type { DuckDBConnection } from '@duckdb/node-api';
import { closestNames, editDistance } from '../core/closest-names.ts';
import { ErrorCodes, RunnelError } from '../core/errors.ts';
import type { ParsedQuery, TableRef } from './classify.ts';
import type { DataOutputs } from './outputs.ts';
import { copySqliteTable, sqliteTables } from './sqlite-tables.ts';

interface Known {
  db: string;
  schema: string;
  table: string;
  /** Shown in "tables there are" (not DuckDB's own catalog views). */
  user: boolean;
}

/** A name DuckDB would take for a file (its replacement scans): never a table here. */
const FILE_LIKE = /[/\\*?]|\.(csv|tsv|txt|json|jsonl|ndjson|parquet|gz|zst|db|duckdb|sqlite|arrow|xlsx?)$/i;
const SYSTEM_DBS = new Set(['system', 'temp']);

function matches(ref: TableRef, k: Known): boolean {
  return ref.table.toLowerCase() === k.table && qualifies(ref, k.db, k.schema);
}

/** Whether the ref's catalog and schema (those given) name database `db`, schema `schema`. */
function qualifies(ref: TableRef, db: string, schema: string): boolean {
  const catalog = ref.catalog.toLowerCase();
  const given = ref.schema.toLowerCase();
  if (catalog !== '') return catalog === db && (given === '' || given === schema);
  // `a.b` is schema a or catalog a, as DuckDB reads it.
  return given === '' || given === schema || given === db;
}

/**
 * Makes every table the query names exist before it runs, or refuses it: SQLite tables are copied in
 * when named (qualified `<app>_sqlite.t`, or unqualified for the default app when its DuckDB file has no
 * such table); a name no output has is an error listing those there are, and a file path is refused
 * (DuckDB would read the file in its place).
 */
export async function resolveTables(
  conn: DuckDBConnection,
  parsed: ParsedQuery,
  outputs: DataOutputs,
  check: () => void,
): Promise<void> {
  const known = await knownTables(conn);
  const sqlite = new Map(outputs.sqlite.map((s) => [s.app, { path: s.path, tables: sqliteTables(s.path) }]));
  for (const ref of parsed.tables) {
    const unqualified = ref.catalog === '' && ref.schema === '';
    if (known.some((k) => matches(ref, k))) continue;
    if (unqualified && parsed.ctes.has(ref.table.toLowerCase())) continue;
    if (FILE_LIKE.test(ref.table)) {
      throw new RunnelError(
        ErrorCodes.SQL_REFUSED,
        `"${ref.table}" looks like a file: only the app's tables and views may be read`,
        { value: ref.table },
      );
    }
    let copied = false;
    for (const [app, file] of sqlite) {
      const db = `${app}_sqlite`;
      const named = unqualified ? app === outputs.defaultApp : qualifies(ref, db, 'main');
      const table = file.tables.find((t) => t.toLowerCase() === ref.table.toLowerCase());
      if (!named || table === undefined) continue;
      await copySqliteTable(conn, file.path, table, db, check);
      known.push({ db, schema: 'main', table: table.toLowerCase(), user: true });
      copied = true;
      break;
    }
    if (!copied) throw unknownTable(ref, known, sqlite);
  }
}

function qualifier(ref: TableRef): string {
  return [ref.catalog, ref.schema, ref.table].filter(Boolean).join('.');
}

/**
 * One line: the SQLite copy when the name is an app's DuckDB table (`buzz.streamed_messages` while a pipeline
 * holds buzz.duckdb), else the names most like it. The whole list was 40 names on a demo's folder.
 */
function unknownTable(ref: TableRef, known: Known[], sqlite: Map<string, { tables: string[] }>): RunnelError {
  const names = [
    ...known.filter((k) => k.user).map((k) => `${k.db}.${shown(k.table)}`),
    ...[...sqlite].flatMap(([app, s]) => s.tables.map((t) => `${app}_sqlite.${shown(t)}`)),
  ];
  const wanted = qualifier(ref);
  const app = (ref.catalog || ref.schema).toLowerCase();
  const copy = sqlite.get(app)?.tables.find((t) => t.toLowerCase() === ref.table.toLowerCase());
  let hint: string;
  if (names.length === 0) hint = 'there are no tables: run an app first';
  else if (copy !== undefined)
    hint = `no such DuckDB table here; ${app}'s SQLite copy has it: ${app}_sqlite.${shown(copy)}`;
  else {
    // By the table's own name: `buzz.streamed_messages` is most like `buzz_sqlite.streamed_messages`.
    const tableOf = (n: string) => n.slice(n.indexOf('.') + 1).replaceAll('"', '');
    const w = ref.table.toLowerCase();
    const near = (t: string) => t.includes(w) || w.includes(t) || editDistance(w, t) <= Math.max(2, w.length / 3);
    const byTable = closestNames(
      w,
      [...new Set(names.map(tableOf))].filter((t) => near(t.toLowerCase())),
      5,
    ).shown;
    const close = names.filter((n) => byTable.includes(tableOf(n))).slice(0, 5);
    const all = 'every table: SELECT * FROM runnel.tables';
    hint =
      close.length > 0
        ? `like it: ${close.join(', ')}${names.length > close.length ? `; ${all}` : ''}`
        : names.length <= 8
          ? `tables: ${names.join(', ')}`
          : all;
  }
  return new RunnelError(ErrorCodes.SQL_INVALID, `no table or view "${wanted}" (${hint})`, { value: wanted });
}

/** A name as it must be typed: `buzz.stats` needs its quotes. */
export const shown = (name: string): string =>
  /^[a-z_][a-z0-9_]*$/i.test(name) ? name : `"${name.replaceAll('"', '""')}"`;

async function knownTables(conn: DuckDBConnection): Promise<Known[]> {
  const reader = await conn.runAndReadAll(
    `SELECT database_name, schema_name, table_name FROM duckdb_tables()
     UNION ALL SELECT database_name, schema_name, view_name FROM duckdb_views()`,
  );
  return (reader.getRows() as Array<[string, string, string]>).map(([db, schema, table]) => ({
    db: db.toLowerCase(),
    schema: schema.toLowerCase(),
    table: table.toLowerCase(),
    user: !SYSTEM_DBS.has(db) && schema !== 'information_schema' && schema !== 'pg_catalog',
  }));
}
