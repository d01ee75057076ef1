import type { DuckDBConnection } from '@duckdb/node-api';
import { openInThisProcess } from '../connectors/sinks/duckdb/duckdb.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../core/errors.ts';
import { firstLine, ident, literal, type ParsedQuery, parseQuery } from './classify.ts';
import { createListing, LISTING } from './listing.ts';
import { type DataOutputs, findOutputs } from './outputs.ts';
import { resolveTables } from './resolve.ts';
import { toResult } from './result.ts';

export interface SqlOptions {
  dataDir: string;
  /** Whose DuckDB and SQLite files unqualified names find; default: every app in the folder. */
  app?: string;
  /** Rows returned at most; a longer result is cut and `truncated` set (default 10,000). */
  maxRows?: number;
  /** The whole query, setup included, is interrupted after this long (default 30 s). */
  timeoutMs?: number;
}

export interface SqlColumn {
  name: string;
  type: string;
}

export interface SqlResult {
  columns: SqlColumn[];
  rows: unknown[][];
  /** More rows than `maxRows` matched; `rows` holds the first ones. */
  truncated: boolean;
  /** What was left out and why (a DuckDB file a running pipeline holds, an empty JSONL file). */
  notes: string[];
}

/** DuckDB settings for the throwaway in-memory instance each query gets. */
const INSTANCE_CONFIG: Record<string, string> = {
  // Extensions download from the internet; none is installed here, and none may be fetched.
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  // Spilling would write `.tmp/` in the working directory: a query that needs more memory fails instead.
  temp_directory: '',
  memory_limit: '1GB',
  threads: '2',
  // Persistent secrets live in the home folder: nothing to read there.
  allow_persistent_secrets: 'false',
};

/**
 * Runs one read-only query over an app's outputs: the DuckDB file attached read-only (catalog `<app>`),
 * the SQLite file's tables (catalog `<app>_sqlite`, copied in when named) and every JSONL file as a view
 * named after its topic (catalog `jsonl`). Once those are in place DuckDB's own guards go up: no file
 * access outside the data folder, settings locked; the query was checked with DuckDB's parser before.
 */
export async function runSql(query: string, o: SqlOptions): Promise<SqlResult> {
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  const maxRows = o.maxRows ?? 10_000;
  const outputs = findOutputs(o.dataDir, o.app);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', INSTANCE_CONFIG);
  const conn = await instance.connect();
  const notes = [...outputs.notes];
  try {
    const parsed = await parseQuery(conn, query);
    const listing = LISTING.test(parsed.sql);
    await attachAndLock(conn, outputs, notes, listing, listing ? undefined : readsApp(parsed, outputs.defaultApp));
    const check = () => {
      if (Date.now() > deadline) throw timeout(o.timeoutMs ?? 30_000);
    };
    // After the lock: copying SQLite tables in reads through node:sqlite, not through DuckDB.
    try {
      await resolveTables(conn, parsed, outputs, check);
    } catch (err) {
      // A table not found may be why (`--app` naming no app here): the notes say so with the error.
      if (isRunnelError(err) && err.code === ErrorCodes.SQL_INVALID && notes.length > 0) {
        throw new RunnelError(err.code, `${err.message}; ${notes.join('; ')}`, { cause: err });
      }
      throw err;
    }
    return { ...(await execute(conn, parsed, maxRows, deadline - Date.now(), o.timeoutMs ?? 30_000)), notes };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * Attaches the outputs, then puts up DuckDB's own guards: from here on the connection can open no file
 * but the data folder's, and change no setting. Exported for the test that these hold by themselves.
 */
export async function attachAndLock(
  conn: DuckDBConnection,
  outputs: DataOutputs,
  notes: string[],
  listing = false,
  reads: (app: string) => boolean = () => true,
): Promise<void> {
  const { path, attached } = await attachOutputs(conn, outputs, notes, reads);
  if (listing) await createListing(conn, outputs, attached);
  await lockDown(conn, outputs.dataDir, path);
}

/**
 * Whether a query may read an app's DuckDB tables: it names `<app>.…`, or a table without a qualifier while
 * `app` is the default one. A note that such a file is held is for those queries only: one reading
 * `buzz_sqlite.…` was told the demo held every app's DuckDB file.
 */
export function readsApp(parsed: ParsedQuery, defaultApp: string | undefined): (app: string) => boolean {
  return (app) =>
    parsed.tables.some((ref) => {
      const q = (ref.catalog || ref.schema).toLowerCase();
      return q === '' ? app === defaultApp : q === app.toLowerCase();
    });
}

async function attachOutputs(
  conn: DuckDBConnection,
  outputs: DataOutputs,
  notes: string[],
  reads: (app: string) => boolean,
): Promise<{ path: string[]; attached: string[] }> {
  const path: string[] = [];
  const attached: string[] = [];
  const instead = (app: string) =>
    outputs.sqlite.some((s) => s.app === app)
      ? `query its SQLite copy instead, as ${app}_sqlite.<table>`
      : 'its tables are left out';
  // The demo writes every app's DuckDB file: one note for them all, not five alike.
  const busyHere = outputs.duckdb.filter(({ path: file }) => openInThisProcess(file));
  const busy = busyHere.filter((b) => reads(b.app));
  if (busy.length === 1)
    notes.push(`${busy[0]!.path} is being written by a pipeline in this process: ${instead(busy[0]!.app)}`);
  if (busy.length > 1) {
    notes.push(
      `the DuckDB files of ${busy.map((b) => b.app).join(', ')} are being written by pipelines in this process: ` +
        'query their SQLite copies instead, as <app>_sqlite.<table> (every table: SELECT * FROM runnel.tables)',
    );
  }
  const held: Array<{ app: string; file: string; pid: string }> = [];
  for (const { app, path: file } of outputs.duckdb) {
    if (busyHere.some((b) => b.path === file)) continue;
    try {
      await conn.run(`ATTACH ${literal(file)} AS ${ident(app)} (READ_ONLY)`);
      attached.push(app);
      if (app === outputs.defaultApp) path.push(`${ident(app)}.main`);
    } catch (err) {
      const pid = /\(PID (\d+)\)/.exec(firstLine(err))?.[1];
      if (pid) {
        if (reads(app)) held.push({ app, file, pid });
      } else notes.push(`${file} cannot be read (${firstLine(err)})`);
    }
  }
  // A demo in another process holds every app's file: one note for them all, as above.
  if (held.length === 1)
    notes.push(`${held[0]!.file} is in use by pid ${held[0]!.pid} (a running pipeline): ${instead(held[0]!.app)}`);
  if (held.length > 1) {
    const pids = [...new Set(held.map((h) => h.pid))];
    notes.push(
      `the DuckDB files of ${held.map((h) => h.app).join(', ')} are in use by ${pids.length === 1 ? 'pid' : 'pids'} ${pids.join(', ')} ` +
        '(a running pipeline): query the SQLite copies instead, as <app>_sqlite.<table>, where an app writes one',
    );
  }
  for (const { app } of outputs.sqlite) {
    await conn.run(`ATTACH ':memory:' AS ${ident(`${app}_sqlite`)}`);
    if (app === outputs.defaultApp) path.push(`${ident(`${app}_sqlite`)}.main`);
  }
  await conn.run(`ATTACH ':memory:' AS jsonl`);
  for (const { topic, path: file } of outputs.jsonl) {
    try {
      await conn.run(
        `CREATE VIEW jsonl.main.${ident(topic)} AS SELECT * FROM read_json_auto(${literal(file)}, ` +
          // A pipeline may be half-way through a line: the torn last line is skipped, not fatal.
          `format = 'newline_delimited', ignore_errors = true)`,
      );
    } catch (err) {
      notes.push(`${file}: no view (${firstLine(err)})`);
    }
  }
  path.push('jsonl.main');
  return { path, attached };
}

/** DuckDB's own guards, after the setup that needed files: the user's query can open nothing new. */
async function lockDown(conn: DuckDBConnection, dataDir: string, searchPath: string[]): Promise<void> {
  // The JSONL views read their files when queried, so the data folder stays readable, and nothing else.
  await conn.run(`SET allowed_directories = [${literal(dataDir)}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run(`SET search_path = ${literal(searchPath.join(','))}`);
  await conn.run('SET lock_configuration = true');
}

async function execute(
  conn: DuckDBConnection,
  parsed: ParsedQuery,
  maxRows: number,
  remainingMs: number,
  timeoutMs: number,
): Promise<Omit<SqlResult, 'notes'>> {
  let timedOut = false;
  let again: NodeJS.Timeout | undefined;
  const timer = setTimeout(
    () => {
      timedOut = true;
      conn.interrupt();
      // Again until the query gives up: an interrupt that came before DuckDB's thread began the query was
      // lost, and a loaded CI run's million-by-million join ran for two minutes past a 0.5 s timeout.
      again = setInterval(() => conn.interrupt(), 100);
    },
    Math.max(0, remainingMs),
  );
  try {
    // Streamed: a result of a billion rows is read only as far as the row limit.
    const reader = await conn.streamAndReadUntil(parsed.sql, maxRows + 1);
    if (timedOut) throw timeout(timeoutMs);
    return toResult(reader, maxRows);
  } catch (err) {
    if (timedOut || /INTERRUPT/i.test(firstLine(err))) throw timeout(timeoutMs);
    if (err instanceof RunnelError) throw err;
    const line = firstLine(err);
    // DuckDB's own guard caught a file access the parser check let through.
    if (/^Permission Error/.test(line)) throw new RunnelError(ErrorCodes.SQL_REFUSED, line, { cause: err });
    throw new RunnelError(ErrorCodes.SQL_INVALID, line, { cause: err });
  } finally {
    clearTimeout(timer);
    clearInterval(again);
  }
}

function timeout(ms: number): RunnelError {
  return new RunnelError(
    ErrorCodes.SQL_TIMEOUT,
    `the query ran past its time limit of ${ms / 1000} s and was stopped`,
    {
      value: ms,
    },
  );
}
