import { DatabaseSync } from 'node:sqlite';
import type { DuckDBConnection } from '@duckdb/node-api';
import { checkpointLines } from '../connectors/sinks/jsonl/jsonl.ts';
import { ident } from './classify.ts';
import type { DataOutputs } from './outputs.ts';
import { shown } from './resolve.ts';
import { sqliteTables } from './sqlite-tables.ts';

/** A query naming it gets the listing (see createListing); the others pay nothing for it. */
export const LISTING = /\brunnel\s*\.\s*(main\s*\.\s*)?tables\b/i;

/**
 * `runnel.tables`: every table a query here can name, as it must be typed, with its kind and rows. SHOW ALL
 * TABLES cannot give it: SQLite tables are copied in only when a query names them, and DuckDB files a
 * pipeline of this process is writing are not attached, so the demo's SHOW ALL TABLES listed only the JSONL
 * views. Rows: DuckDB's estimate, SQLite's count, a JSONL file's lines as its sink's checkpoint counts them
 * (NULL for a file written before checkpoints counted lines, until its sink opens it again).
 */
export async function createListing(conn: DuckDBConnection, outputs: DataOutputs, attached: string[]): Promise<void> {
  const rows: Array<[string, string, number | null]> = [];
  if (attached.length > 0) {
    const reader = await conn.runAndReadAll(
      `SELECT database_name, table_name, estimated_size FROM duckdb_tables()
       WHERE database_name IN (${attached.map((a) => `'${a.replaceAll("'", "''")}'`).join(', ')})`,
    );
    for (const [db, table, size] of reader.getRows() as Array<[string, string, bigint]>)
      rows.push([`${db}.${shown(table)}`, 'duckdb', Number(size)]);
  }
  for (const { app, path } of outputs.sqlite) {
    const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
    try {
      for (const table of sqliteTables(path)) {
        const n = db.prepare(`SELECT count(*) AS n FROM ${ident(table)}`).get() as { n: number };
        rows.push([`${app}_sqlite.${shown(table)}`, 'sqlite', n.n]);
      }
    } finally {
      db.close();
    }
  }
  for (const { topic, path } of outputs.jsonl)
    rows.push([`jsonl.${shown(topic)}`, 'jsonl', checkpointLines(path) ?? null]);
  await conn.run(`ATTACH ':memory:' AS runnel`);
  await conn.run('CREATE TABLE runnel.main.tables (name VARCHAR, kind VARCHAR, "rows" BIGINT)');
  for (const [name, kind, n] of rows.sort((a, b) => a[0].localeCompare(b[0])))
    await conn.run('INSERT INTO runnel.main.tables VALUES ($1, $2, $3)', [name, kind, n]);
}
