import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Sink, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isRunnelError, RunnelError, toRunnelError } from '../../../core/errors.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import {
  type Cell,
  type Column,
  inferColumns,
  keyColumn,
  META_COLUMNS,
  quoted,
  rowOf,
  type TableSinkConfig,
} from '../columns.ts';

const SQL_TYPE = { text: 'VARCHAR', integer: 'BIGINT', real: 'DOUBLE', boolean: 'BOOLEAN', json: 'VARCHAR' } as const;

// topic_id (TopicInfo.id) came later: files written before have it NULL, and get it on their next write.
const OFFSETS_TABLE = `CREATE TABLE IF NOT EXISTS runnel_offsets(sink_table VARCHAR NOT NULL, topic VARCHAR NOT NULL,
  partition INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY(sink_table, topic, partition))`;
const OFFSETS_TOPIC_ID = 'ALTER TABLE runnel_offsets ADD COLUMN IF NOT EXISTS topic_id VARCHAR';

/** DuckDB locks a file per process: sinks writing tables of one file share one instance, closed by the last. */
const instances = new Map<string, { instance: Promise<DuckDBInstance>; refs: number }>();

function acquire(path: string): Promise<DuckDBInstance> {
  let entry = instances.get(path);
  if (!entry) {
    // Registered before any await: two sinks opening the same file at once (smoker's readings and
    // alerts) must get one instance. Two instances on one file lost a table and corrupted the file.
    const instance = import('@duckdb/node-api').then(async ({ DuckDBInstance }) => {
      const created = await DuckDBInstance.create(path);
      // Once per file, not per sink: concurrent CREATEs on two connections are a write-write conflict.
      const conn = await created.connect();
      try {
        await conn.run(OFFSETS_TABLE);
        await conn.run(OFFSETS_TOPIC_ID);
      } finally {
        conn.closeSync();
      }
      return created;
    });
    entry = { instance, refs: 0 };
    instances.set(path, entry);
    instance.catch(() => instances.delete(path));
  }
  entry.refs++;
  return entry.instance;
}

async function release(path: string): Promise<void> {
  const entry = instances.get(path);
  if (!entry || --entry.refs > 0) return;
  instances.delete(path);
  (await entry.instance).closeSync();
}

/**
 * Rows into a DuckDB table with the same columns as the sqlite sink and a real `id` from a sequence (the
 * seeds' table had none, so their `ORDER BY id` failed). Rows go in through the Appender — DuckDB is
 * ~500× slower row by row — inside one transaction with the positions they reach: exactly-once.
 */
export class DuckdbSink implements Sink {
  name = 'duckdb';
  readonly target: string;
  readonly #c: TableSinkConfig;
  #conn: DuckDBConnection | undefined;
  #columns: Column[] | undefined;
  #created = false;

  constructor(config: TableSinkConfig) {
    this.#c = config;
    this.target = `${config.path} (table ${config.table})`;
    this.#columns = config.columns;
  }

  async open(): Promise<void> {
    try {
      mkdirSync(dirname(this.#c.path), { recursive: true });
      const instance = await acquire(this.#c.path);
      this.#conn = await instance.connect();
      const existing = (
        await this.#conn.runAndReadAll(
          `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${this.#c.table}' ORDER BY ordinal_position`,
        )
      ).getRows() as Array<[string, string]>;
      if (existing.length > 0 && !this.#columns) {
        const skip = new Set<string>([...META_COLUMNS, 'id', '_id']);
        this.#columns = existing
          .filter(([name]) => !skip.has(name))
          .map(([name, type]) => ({
            name,
            type: type === 'BIGINT' ? 'integer' : type === 'DOUBLE' ? 'real' : type === 'BOOLEAN' ? 'boolean' : 'text',
          }));
      }
      if (this.#columns) await this.#createTable(this.#columns);
    } catch (err) {
      await this.close().catch(() => {});
      throw this.#error(err);
    }
  }

  async #createTable(columns: Column[]): Promise<void> {
    const t = this.#c.table;
    const key = keyColumn(columns);
    const cols = columns.map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}`).join(', ');
    await this.#conn!.run(`CREATE SEQUENCE IF NOT EXISTS "${t}_id_seq" START 1`);
    await this.#conn!.run(`CREATE TABLE IF NOT EXISTS ${quoted(t)} (${quoted(key)} BIGINT PRIMARY KEY DEFAULT nextval('"${t}_id_seq"'), ${cols},
      _topic VARCHAR, _partition INTEGER, _offset BIGINT, _key VARCHAR, _timestamp BIGINT)`);
    // The Appender cannot fill a sequence default, so rows are appended to a per-connection staging
    // table and moved over with one INSERT … SELECT, which takes ids from the sequence in order.
    await this.#conn!.run(`CREATE TEMP TABLE IF NOT EXISTS "${t}_staging" (${cols},
      _topic VARCHAR, _partition INTEGER, _offset BIGINT, _key VARCHAR, _timestamp BIGINT)`);
    this.#created = true;
  }

  async storedPositions(): Promise<TopicPartitionOffset[]> {
    const reader = await this.#conn!.runAndReadAll(
      `SELECT topic, partition, next_offset, topic_id FROM runnel_offsets WHERE sink_table = '${this.#c.table}'`,
    );
    return (reader.getRows() as Array<[string, number, bigint, string | null]>).map(
      ([topic, partition, offset, topicId]) => ({
        topic,
        partition,
        offset: Number(offset),
        ...(topicId === null ? {} : { topicId }),
      }),
    );
  }

  /** Through a staging table, so the rows land sorted by partition and offset in one INSERT. */
  async #insertRows(conn: DuckDBConnection, columns: Column[], rows: Array<{ r: StreamRecord; cells: Cell[] }>) {
    const t = this.#c.table;
    const appender = await conn.createAppender(`${t}_staging`, 'main', 'temp');
    for (const { r, cells } of rows) appendRow(appender, columns, cells, r);
    appender.flushSync();
    appender.closeSync();
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS].join(', ');
    await conn.run(
      `INSERT INTO ${quoted(t)} (${names}) SELECT ${names} FROM "${t}_staging" ORDER BY _partition, _offset`,
    );
    await conn.run(`DELETE FROM "${t}_staging"`);
  }

  async write(records: StreamRecord[], positions: TopicPartitionOffset[]): Promise<SinkWriteResult> {
    const conn = this.#conn!;
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    if (!this.#columns && records.length > 0) this.#columns = inferColumns(records);
    if (!this.#created && this.#columns) await this.#createTable(this.#columns);
    const columns = this.#columns ?? [];
    const rejected: NonNullable<SinkWriteResult['rejected']> = [];
    const rows: Array<{ r: StreamRecord; cells: Cell[] }> = [];
    for (const r of records) {
      try {
        rows.push({ r, cells: rowOf(r, columns) });
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        rejected.push({ record: r, error: err });
      }
    }
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        if (rows.length > 0) await this.#insertRows(conn, columns, rows);
        for (const p of positions) {
          await conn.run(
            `INSERT INTO runnel_offsets(sink_table, topic, partition, next_offset, topic_id)
             VALUES ('${this.#c.table}', $1, $2, $3, $4) ON CONFLICT (sink_table, topic, partition)
             DO UPDATE SET next_offset = excluded.next_offset, topic_id = excluded.topic_id`,
            [p.topic, p.partition, p.offset, p.topicId ?? null],
          );
        }
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => {});
        throw err;
      }
    } catch (err) {
      throw this.#error(err);
    }
    return { rejected };
  }

  async verify(): Promise<void> {
    await this.open();
    await this.close();
  }

  async close(): Promise<void> {
    if (!this.#conn) return;
    this.#conn.closeSync();
    this.#conn = undefined;
    this.#created = false;
    if (!this.#c.columns) this.#columns = undefined;
    await release(this.#c.path);
  }

  #error(err: unknown): RunnelError {
    const e = toRunnelError(err, ErrorCodes.SINK_WRITE_FAILED);
    if (e.code === ErrorCodes.DISK_FULL || e.code === ErrorCodes.SINK_WRITE_FAILED) return e;
    return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `duckdb ${this.#c.path}: ${e.message.split('\n')[0]}`, {
      retriable: true,
      cause: err,
    });
  }
}

function appendRow(a: DuckDBAppender, columns: Column[], cells: Cell[], r: StreamRecord): void {
  columns.forEach((c, i) => {
    const v = cells[i];
    if (v === null || v === undefined) a.appendNull();
    else if (c.type === 'integer') a.appendBigInt(BigInt(v as number));
    else if (c.type === 'real') a.appendDouble(v as number);
    else if (c.type === 'boolean') a.appendBoolean(v as boolean);
    else a.appendVarchar(v as string);
  });
  a.appendVarchar(r.topic);
  a.appendInteger(r.partition);
  a.appendBigInt(BigInt(r.offset));
  if (r.key === null) a.appendNull();
  else a.appendVarchar(r.key);
  a.appendBigInt(BigInt(r.timestamp));
  a.endRow();
}
