import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { needService } from './services.ts';

/** The server the tests use: RUNNEL_TEST_POSTGRES_URL, else the machines' 127.0.0.1:5432 (trust auth). */
export const ADMIN_URL = process.env.RUNNEL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export function urlFor(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.toString();
}

async function reachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function admin<T>(fn: (c: pg.Client) => Promise<T>, url = ADMIN_URL): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * A database of its own for one test (dropped after it), or undefined when Postgres is not there and
 * CI is not set (needService: with CI=true a missing server fails the test).
 */
export async function testDatabase(t: TestContext): Promise<string | undefined> {
  const ok = needService(t, 'PostgreSQL', await reachable(), `a server at ${ADMIN_URL} (RUNNEL_TEST_POSTGRES_URL)`);
  if (!ok) return undefined;
  const name = `runnel_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  t.after(() => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  return urlFor(name);
}

export function rows<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  return admin(async (c) => (await c.query(sql, params)).rows as T[], url);
}
