import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCodes, RunnelError } from '../core/errors.ts';

/** What an app left in the data folder: `<app>.duckdb`, `<app>.sqlite` and `<topic>.jsonl` files. */
export interface DataOutputs {
  dataDir: string;
  duckdb: Array<{ app: string; path: string }>;
  sqlite: Array<{ app: string; path: string }>;
  /** Every JSONL file of the folder (they are named after topics, not apps); empty files left out. */
  jsonl: Array<{ topic: string; path: string }>;
  /** The app whose tables unqualified names find: `--app`, or the only app in the folder. */
  defaultApp: string | undefined;
  notes: string[];
}

/**
 * Lists the outputs in `dataDir`, for one app or for all. Only regular files count: a symlink in the
 * data folder could point anywhere, and nothing outside the folder may be read.
 */
export function findOutputs(dataDir: string, app?: string): DataOutputs {
  const dir = resolve(dataDir);
  if (!existsSync(dir)) {
    throw new RunnelError(ErrorCodes.FILE_NOT_FOUND, `no data folder ${dir} (run an app first, or give --data-dir)`, {
      value: dir,
    });
  }
  const files = readdirSync(dir)
    .filter((name) => {
      const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
      return st?.isFile() === true;
    })
    .sort();
  const byExt = (ext: string) =>
    files.filter((f) => f.endsWith(ext)).map((f) => ({ app: f.slice(0, -ext.length), path: join(dir, f) }));
  const allDuckdb = byExt('.duckdb');
  const allSqlite = byExt('.sqlite');
  const mine = (f: { app: string }) => app === undefined || f.app === app;
  const duckdb = allDuckdb.filter(mine);
  const sqlite = allSqlite.filter(mine);
  const jsonl = files
    .filter((f) => f.endsWith('.jsonl') && lstatSync(join(dir, f)).size > 0)
    .map((f) => ({ topic: f.slice(0, -'.jsonl'.length), path: join(dir, f) }));
  const notes: string[] = [];
  // JSONL files are named after topics, so an app run with `--sinks jsonl` has only those: a note, not an error.
  if (app !== undefined && duckdb.length === 0 && sqlite.length === 0) {
    // `--app ./my-pipeline.ts` or a typo: say what --app takes and which apps the folder has.
    const there = [...new Set([...allDuckdb, ...allSqlite].map((o) => o.app))];
    notes.push(
      `no ${app}.duckdb or ${app}.sqlite in ${dir}: only the JSONL views are there (--app takes an app's name, ` +
        `as its files are named${there.length > 0 ? `: ${there.join(', ')}` : '; run the app first?'})`,
    );
  }
  const apps = [...new Set([...duckdb, ...sqlite].map((o) => o.app))];
  const defaultApp = app ?? (apps.length === 1 ? apps[0] : undefined);
  return { dataDir: dir, duckdb, sqlite, jsonl, defaultApp, notes };
}
