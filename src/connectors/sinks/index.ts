import { registerConnector } from '../../core/connector-registry.ts';
import { CassandraSink } from './cassandra/cassandra.ts';
import { cassandraSinkSchema } from './cassandra/spec.ts';
import { tableSinkSchema } from './columns.ts';
import { DuckdbSink } from './duckdb/duckdb.ts';
import { JsonlSink } from './jsonl/jsonl.ts';
import { jsonlSinkSchema } from './jsonl/spec.ts';
import { KafkaSink } from './kafka/kafka.ts';
import { kafkaSinkSchema } from './kafka/spec.ts';
import { PostgresSink } from './postgres/postgres.ts';
import { postgresSinkSchema } from './postgres/spec.ts';
import { SqliteSink } from './sqlite/sqlite.ts';

registerConnector({
  kind: 'sink',
  name: 'jsonl',
  description: 'appends each record value as a JSON line; positions kept beside the file (exactly-once)',
  schema: jsonlSinkSchema,
  create: (c) => new JsonlSink(c),
});

registerConnector({
  kind: 'sink',
  name: 'sqlite',
  description: 'rows in a SQLite table with an id key; positions in the same transaction (exactly-once)',
  schema: tableSinkSchema,
  create: (c) => new SqliteSink(c),
});

registerConnector({
  kind: 'sink',
  name: 'duckdb',
  description: 'rows in a DuckDB table (same columns as sqlite) via the Appender; positions in the same transaction',
  schema: tableSinkSchema,
  // duckdb.ts imports the native DuckDB binding only when the sink opens.
  create: (c) => new DuckdbSink(c),
});

registerConnector({
  kind: 'sink',
  name: 'postgres',
  description: 'rows in a PostgreSQL table (same columns as sqlite); positions in the same transaction (exactly-once)',
  schema: postgresSinkSchema,
  // postgres.ts imports the pg driver only when the sink opens.
  create: (c) => new PostgresSink(c),
});

registerConnector({
  kind: 'sink',
  name: 'cassandra',
  description:
    'rows in a Cassandra table (same columns as sqlite), upserts keyed by the record; positions after the rows (idempotent)',
  schema: cassandraSinkSchema,
  // cassandra.ts imports cassandra-driver only when the sink opens.
  create: (c) => new CassandraSink(c),
});

registerConnector({
  kind: 'sink',
  name: 'kafka',
  description: 'mirrors a topic into a Kafka cluster, keys and headers kept (at-least-once)',
  schema: kafkaSinkSchema,
  create: (c) => new KafkaSink(c),
});
