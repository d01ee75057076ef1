import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export const CLI = new URL('../../src/cli/main.ts', import.meta.url).pathname;

export interface Workspace {
  dir: string;
  broker: string;
  /** Flags that keep a command's broker, data and state inside this workspace. */
  flags: string[];
}

export function workspace(prefix = 'runnel-e2e-'): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const broker = `local:${join(dir, 'broker.db')}`;
  return {
    dir,
    broker,
    flags: ['--broker', broker, '--data-dir', join(dir, 'data'), '--state-dir', join(dir, 'state')],
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? process.cwd(),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Resolves once the child has exited, also when it already had: listening for 'close' after it was emitted
 * waits forever (a `consume --drain` may finish before the kill meant for it). A signalled child has a
 * null exitCode, so both are checked.
 */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * SIGTERMs the child and waits for it for `ms`; a child still there is SIGKILLed and the answer is false.
 * A test then fails on a process that ignores a stop, instead of hanging the whole run with it.
 */
export async function stopped(child: ChildProcess, ms = 60_000): Promise<boolean> {
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  if (!inTime) {
    child.kill('SIGKILL');
    await exited(child);
  }
  return inTime;
}

export function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = startCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function sqliteRows<T = Record<string, unknown>>(path: string, sql: string): T[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

export async function duckdbRows<T = Record<string, unknown>>(path: string, sql: string): Promise<T[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(path);
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export function jsonlValues<T = unknown>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}
