import { DatabaseSync } from 'node:sqlite';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { Yielder } from '../core/cooperative.ts';
import { ident } from './classify.ts';

type Kind = 'BIGINT' | 'DOUBLE' | 'BLOB' | 'VARCHAR';

/** SQLite's type affinity rules, reduced to the four storage kinds DuckDB gets. */
function kindOf(declared: string): Kind {
  const t = declared.toUpperCase();
  if (t.includes('INT')) return 'BIGINT';
  if (/REAL|FLOA|DOUB/.test(t)) return 'DOUBLE';
  if (t.includes('BLOB')) return 'BLOB';
  return 'VARCHAR';
}

/** The user tables of a SQLite file (not SQLite's own `sqlite_*`). */
export function sqliteTables(path: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  try {
    const rows = db
      .prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")
      .all() as Array<{ name: string }>;
    return rows.map((r) => r.name);
  } finally {
    db.close();
  }
}

/**
 * Copies one SQLite table into an in-memory DuckDB catalog. DuckDB's sqlite extension would read it in
 * place, but extensions download from the internet, and these machines have none; node:sqlite reads it
 * read-only (WAL: a running pipeline goes on writing). Only the tables a query names are copied.
 * `check` runs between slices of rows, so a time limit can stop a big copy.
 */
export async function copySqliteTable(
  conn: DuckDBConnection,
  path: string,
  table: string,
  catalog: string,
  check: () => void,
): Promise<void> {
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  let appender: DuckDBAppender | undefined;
  try {
    const info = db.prepare(`PRAGMA table_info(${ident(table)})`).all() as Array<{ name: string; type: string }>;
    const kinds = info.map((c) => kindOf(c.type));
    const cols = info.map((c, i) => `${ident(c.name)} ${kinds[i]}`).join(', ');
    await conn.run(`CREATE TABLE ${ident(catalog)}.main.${ident(table)} (${cols})`);
    appender = await conn.createAppender(table, 'main', catalog);
    const select = db.prepare(`SELECT * FROM ${ident(table)}`);
    select.setReadBigInts(true);
    select.setReturnArrays(true);
    const yielder = new Yielder();
    let n = 0;
    for (const row of select.iterate() as Iterable<unknown[]>) {
      for (const [i, k] of kinds.entries()) append(appender, k, row[i]);
      appender.endRow();
      if (++n % 1000 === 0) {
        await yielder.turn();
        check();
      }
    }
    appender.flushSync();
  } finally {
    appender?.closeSync();
    db.close();
  }
}

/** SQLite keeps any value in any column: one that does not fit its column's kind becomes text, or NULL. */
function append(a: DuckDBAppender, kind: Kind, v: unknown): void {
  if (v === null || v === undefined) a.appendNull();
  else if (kind === 'BIGINT') {
    if (typeof v === 'bigint') a.appendBigInt(v);
    else a.appendNull();
  } else if (kind === 'DOUBLE') {
    if (typeof v === 'number' || typeof v === 'bigint') a.appendDouble(Number(v));
    else a.appendNull();
  } else if (kind === 'BLOB') {
    if (v instanceof Uint8Array) a.appendBlob(v);
    else a.appendNull();
  } else a.appendVarchar(v instanceof Uint8Array ? Buffer.from(v).toString('base64') : String(v));
}
