import { z } from 'zod';
import { COLUMN_TYPES, identifier } from '../columns.ts';

/**
 * Where the postgres sink writes, as people type it. Loopback by default (see settings.ts): a sink must
 * never reach for a remote host it was not told about.
 */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A `postgres://` or `postgresql://` URL with a host; parsed by WHATWG URL, so a typo fails at config. */
export const postgresUrl = z.string().refine(
  (s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      return false;
    }
  },
  { message: 'must be a URL like postgres://user@127.0.0.1:5432/db' },
);

/**
 * The same table as the sqlite and duckdb sinks (columns, meta columns, `id` key, table mode by `key`),
 * in `schema` (created when missing; `public` when not given) of the database the URL names.
 */
export const postgresSinkSchema = z.strictObject({
  url: postgresUrl,
  schema: identifier.default('public'),
  table: identifier,
  columns: z
    .array(z.strictObject({ name: identifier, type: z.enum(COLUMN_TYPES) }))
    .min(1)
    .optional(),
  key: identifier.optional(),
});
export type PostgresSinkConfig = z.infer<typeof postgresSinkSchema>;

/**
 * The URL for messages, targets and the dashboard: user, host, port and database, never the password
 * (neither `user:secret@` nor `?password=`), nor any other query option.
 */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${u.username}@` : '';
    return `${u.protocol}//${user}${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'postgres://(invalid URL)';
  }
}

/** upsertColumn and the other helpers take the sqlite/duckdb config shape; the fields they read are shared. */
export function tableConfig(c: PostgresSinkConfig): { path: string; table: string; key?: string } {
  return { path: displayUrl(c.url), table: c.table, ...(c.key === undefined ? {} : { key: c.key }) };
}
