/**
 * How the sink conformance suite reaches each registered sink kind: a fresh target per test, and its
 * output read back as a user would (SQL, CQL, the file, a Kafka consumer). A new sink kind adds one entry.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../../src/brokers/index.ts';
import { KafkaBroker } from '../../src/brokers/kafka/kafka-broker.ts';
import type { Column } from '../../src/connectors/sinks/columns.ts';
import { unique } from '../broker-conformance/suite.ts';
import { CASSANDRA, cql, testKeyspace } from '../helpers/cassandra.ts';
import { duckdbRows, jsonlValues, sqliteRows } from '../helpers/cli.ts';
import { rows as pgRows, testDatabase } from '../helpers/postgres.ts';
import { needService } from '../helpers/services.ts';
import { KAFKA_HOW, KAFKA_URL, kafkaAvailable } from '../kafka/env.ts';
import type { SinkAdapter, Stored, TableSpec } from './suite.ts';

/**
 * A stored row as the record it came from: cells decoded by column type (drivers hand back bigint, Long,
 * numeric strings, 0/1 for booleans, JSON as text), and the `_key` and source position kept beside them.
 */
function decodeRow(raw: Record<string, unknown>, columns: Column[], jsonIsText: boolean): Stored {
  const cell = (c: Column, x: unknown): unknown => {
    if (x === null || x === undefined) return null;
    if (c.type === 'integer' || c.type === 'real') return Number(x);
    if (c.type === 'boolean') return typeof x === 'boolean' ? x : Number(x) !== 0;
    if (c.type === 'json') return jsonIsText ? JSON.parse(String(x)) : x;
    return String(x);
  };
  return {
    value: Object.fromEntries(columns.map((c) => [c.name, cell(c, raw[c.name])])),
    key: (raw._key as string | null | undefined) ?? null,
    source: `${raw._topic}/${Number(raw._partition)}/${Number(raw._offset)}`,
  };
}

const tmp = (kind: string) => mkdtempSync(join(tmpdir(), `runnel-sink-conformance-${kind}-`));
const selectAll = (spec: TableSpec, from: string) =>
  `SELECT ${[...spec.columns.map((c) => c.name), '_key', '_topic', '_partition', '_offset'].map((n) => `"${n}"`).join(', ')} FROM ${from}`;
const TYPED_EVERYWHERE = 'a row holds every JSON value the columns allow';

/** What every table sink does; an adapter names only where it differs, with the reason. */
const TABLE_SINK = {
  shape: 'table',
  keepsKeys: true,
  dedupes: true,
  tableMode: true,
  refusesStale: true,
  rejects: true,
  reopensInferredColumns: true,
} as const;

/** A table sink that writes a local file (sqlite, duckdb), read back with `query`. */
function fileTable(
  kind: string,
  query: (path: string, sql: string) => Promise<Array<Record<string, unknown>>>,
  differs: Partial<SinkAdapter>,
): SinkAdapter {
  return {
    kind,
    ...TABLE_SINK,
    ...differs,
    async target(_t, spec) {
      const path = join(tmp(kind), `out.${kind}`);
      return {
        config: { path, ...spec },
        read: async () =>
          (await query(path, selectAll(spec, `"${spec.table}"`))).map((r) => decodeRow(r, spec.columns, true)),
      };
    },
  };
}

export const adapters: SinkAdapter[] = [
  {
    kind: 'jsonl',
    shape: 'log',
    keepsKeys: false,
    dedupes:
      'jsonl is exactly-once by its positions: the runtime resumes after them, a batch written again is appended',
    tableMode: 'jsonl has no columns: each line is a whole record value',
    refusesStale: 'jsonl has no table mode',
    rejects: 'every record value is JSON, and every JSON value is a line',
    reopensInferredColumns: 'jsonl has no columns: each line is a whole record value',
    async target() {
      const path = join(tmp('jsonl'), 'out.jsonl');
      return { config: { path }, read: async () => jsonlValues(path).map((value) => ({ value })) };
    },
  },
  fileTable('sqlite', async (path, sql) => sqliteRows(path, sql), {}),
  // Its append table has no unique source position (Appender), but a batch written again is checked against
  // the positions it stored, in the batch's transaction, as sqlite's is.
  fileTable('duckdb', duckdbRows, {}),
  {
    kind: 'postgres',
    ...TABLE_SINK,
    // Postgres text and jsonb cannot hold U+0000.
    unholdable: [{ order: 'nul\u0000here' }, { user: { s: 'a\u0000' } }],
    async target(t, spec) {
      const url = await testDatabase(t);
      if (!url) return undefined;
      // A reserved word as the schema name too.
      return {
        config: { url, schema: 'order', ...spec },
        read: async () =>
          (await pgRows(url, selectAll(spec, `"order"."${spec.table}"`))).map((r) => decodeRow(r, spec.columns, false)),
      };
    },
  },
  {
    kind: 'cassandra',
    ...TABLE_SINK,
    refusesStale:
      'Cassandra has no transactions to check a batch against its stored positions in: a worker that stalled past its membership can write an old batch over newer rows (README: Scaling out)',
    // bigint is 64 bits: beyond it Cassandra would refuse the whole batch.
    unholdable: [{ at: 2 ** 64 }, { at: -(2 ** 70) }],
    async target(t, spec) {
      const keyspace = await testKeyspace(t);
      if (!keyspace) return undefined;
      return {
        config: { contactPoints: CASSANDRA, keyspace, ...spec },
        read: async () =>
          (await cql(selectAll(spec, `${keyspace}."${spec.table}"`))).map((row) =>
            decodeRow(Object.fromEntries(row.keys().map((k) => [k, row.get(k)])), spec.columns, true),
          ),
      };
    },
  },
  {
    kind: 'kafka',
    shape: 'log',
    keepsKeys: true,
    dedupes: 'Kafka keeps no consumed positions with the data: a batch sent again is there twice (at-least-once)',
    tableMode: 'a Kafka topic is a log, not a table',
    refusesStale: 'a Kafka topic is a log, not a table',
    rejects: TYPED_EVERYWHERE.replace('a row', 'a Kafka record'),
    reopensInferredColumns: 'a Kafka topic has no columns',
    async target(t) {
      if (!needService(t, 'kafka', await kafkaAvailable(), KAFKA_HOW)) return undefined;
      const topic = unique('sink-conformance');
      return {
        config: { url: KAFKA_URL, topic },
        async read() {
          const broker = new KafkaBroker(KAFKA_URL);
          await broker.connect();
          try {
            const out: Stored[] = [];
            for (;;) {
              const batch = await broker.read(topic, 0, out.length, 1000);
              if (batch.length === 0) return out;
              for (const r of batch) out.push({ value: r.value, key: r.key, source: r.headers['runnel.source'] });
            }
          } finally {
            await broker.close();
          }
        },
      };
    },
  },
];
