import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isAppFile, loadApp } from '../../apps/index.ts';
import { runSql, type SqlResult } from '../../sql/session.ts';
import { type CommonFlags, loadEnv, logger, numberFlag } from '../context.ts';
import { cutAny, table } from '../table.ts';

interface SqlFlags extends CommonFlags {
  app?: string;
  json?: boolean;
  maxRows: number;
  timeout: number;
}

/** A cell as the table shows it: NULL spelled out, lists and structs as JSON, one line each. */
function cell(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.replace(/\r?\n/g, '\\n');
}

/**
 * On a terminal, cells are cut at this many characters (SHOW ALL TABLES lists every column of a table in
 * one cell), with a note; piped output, and --json, keep them whole.
 */
const TERMINAL_CELL = 60;

function render(r: SqlResult, maxCell: number): { text: string; cut: boolean } {
  // EXPLAIN's plan is a drawing over many lines: printed as it is, not squeezed into a cell.
  if (r.columns.length === 2 && r.columns[1]!.name === 'explain_value') {
    return { text: r.rows.map((row) => String(row[1])).join('\n'), cut: false };
  }
  const rows = [r.columns.map((c) => c.name), ...r.rows.map((row) => row.map(cell))];
  return { text: table(rows, maxCell), cut: cutAny(rows, maxCell) };
}

export function registerSqlCommand(program: Command): void {
  program
    .command('sql')
    .argument(
      '<query>',
      'one read-only query (SELECT, WITH, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE); - reads it from stdin',
    )
    .description("read-only DuckDB SQL over the apps' outputs in the data folder (DuckDB, SQLite and JSONL files)")
    .option(
      '--app <name|file>',
      "whose tables unqualified names find: an app's name or its pipeline file (default: the only app in the data folder)",
    )
    .option('--json', 'print {columns, rows, truncated, notes} as JSON instead of a table')
    .option(
      '--max-rows <n>',
      'rows printed at most; more are cut with a note',
      numberFlag('--max-rows', (n) => Number.isInteger(n) && n >= 1 && n <= 1_000_000, 'an integer 1-1000000'),
      10_000,
    )
    .option(
      '--timeout <seconds>',
      'stop the query after this long',
      numberFlag('--timeout', (n) => n > 0 && n <= 3600, 'a number of seconds in (0, 3600]'),
      30,
    )
    .action(async (query: string, flags: SqlFlags) => {
      const env = loadEnv(flags.dotenv);
      const sql = query === '-' ? readFileSync(0, 'utf8') : query;
      // A pipeline file, as run and dashboard take it: its files in the data folder go by the name it defines.
      const app = flags.app !== undefined && isAppFile(flags.app) ? (await loadApp(flags.app)).name : flags.app;
      const result = await runSql(sql, {
        dataDir: resolve(flags.dataDir ?? env.BASE_DATA_DIR ?? 'data'),
        ...(app === undefined ? {} : { app }),
        maxRows: flags.maxRows,
        timeoutMs: flags.timeout * 1000,
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const log = logger(flags, 'sql');
      for (const note of result.notes) log.warn(note);
      const shown = render(result, process.stdout.isTTY ? TERMINAL_CELL : Number.POSITIVE_INFINITY);
      process.stdout.write(`${shown.text}\n`);
      if (shown.cut) log.info(`values longer than ${TERMINAL_CELL} characters are cut (…); --json prints them whole`);
      if (result.truncated) log.warn(`showing the first ${flags.maxRows} rows; more matched (--max-rows)`);
    });
}
