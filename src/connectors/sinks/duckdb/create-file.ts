/**
 * A new DuckDB file appears whole or not at all. DuckDB writes a new file's headers after creating it, so a
 * kill -9 in between left a file it then refused for good ("exists, but it is not a valid DuckDB database
 * file"; CI's crash test hit it when a kill landed while the sink opened). The file is made under a name of
 * this process's, checkpointed, and linked into place: `link` never replaces a file another process made
 * meanwhile (rename would, under a process that already has it open).
 */
import { existsSync, linkSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';

const SUFFIX = '.creating';

export async function createWhole(create: (path: string) => Promise<DuckDBInstance>, path: string): Promise<void> {
  if (path === ':memory:' || existsSync(path)) return;
  removeLeftovers(path);
  const tmp = `${path}.${process.pid}${SUFFIX}`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  try {
    const instance = await create(tmp);
    try {
      const conn = await instance.connect();
      try {
        await conn.run('CHECKPOINT');
      } finally {
        conn.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
  }
}

/** What killed creations of this file left behind (their process is gone). */
function removeLeftovers(path: string): void {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !(name.endsWith(SUFFIX) || name.endsWith(`${SUFFIX}.wal`))) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    rmSync(join(dirname(path), name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
