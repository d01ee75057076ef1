import { z } from 'zod';
import { COLUMN_TYPES, identifier } from '../columns.ts';

/** Loopback by default (see settings.ts): a sink must never reach for a remote host it was not told about. */
export const DEFAULT_CASSANDRA = '127.0.0.1:9042';

/** Cassandra refuses keyspace and table names longer than 48 characters. */
const cqlName = identifier.max(48, 'must be at most 48 characters (a Cassandra keyspace or table name)');

/** `host[:port][,host[:port]…]`: the contact points, checked here so a typo fails at config, not at connect. */
export const contactPoints = z
  .string()
  .regex(
    /^[A-Za-z0-9.[\]:-]+(,[A-Za-z0-9.[\]:-]+)*$/,
    'must be host:port, or several separated by commas, like 127.0.0.1:9042',
  );

/**
 * The same columns as the sqlite, duckdb and postgres sinks (columns, meta columns, table mode by `key`),
 * in `keyspace` (created with SimpleStrategy and replication factor 1 when missing). The primary key is
 * the record's identity: (_topic, _partition, _offset), or the `key` column in table mode.
 */
export const cassandraSinkSchema = z.strictObject({
  contactPoints: contactPoints.default('127.0.0.1:9042'),
  /** The driver routes to nodes of this data centre; a single node with SimpleSnitch is in datacenter1. */
  dataCenter: z.string().min(1).default('datacenter1'),
  keyspace: cqlName,
  table: cqlName,
  columns: z
    .array(z.strictObject({ name: identifier, type: z.enum(COLUMN_TYPES) }))
    .min(1)
    .optional(),
  key: identifier.optional(),
  username: z.string().min(1).optional(),
  /** Never part of a message, the target or the dashboard. */
  password: z.string().optional(),
  /** Rows in flight at once per batch. */
  concurrency: z.number().int().min(1).max(1024).default(64),
});
export type CassandraSinkConfig = z.infer<typeof cassandraSinkSchema>;
