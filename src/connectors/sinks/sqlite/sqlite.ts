import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Sink, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isRunnelError, RunnelError, toRunnelError } from '../../../core/errors.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import { type Column, inferColumns, keyColumn, META_COLUMNS, quoted, rowOf, type TableSinkConfig } from '../columns.ts';

const SQL_TYPE = { text: 'TEXT', integer: 'INTEGER', real: 'REAL', boolean: 'INTEGER', json: 'TEXT' } as const;

/**
 * Rows into a SQLite table (node:sqlite, WAL). Each batch and the positions it reaches are written in one
 * transaction, so a crash at any point leaves rows and positions in agreement: exactly-once.
 */
export class SqliteSink implements Sink {
  name = 'sqlite';
  readonly target: string;
  readonly #c: TableSinkConfig;
  #db: DatabaseSync | undefined;
  #columns: Column[] | undefined;
  #insert: ReturnType<DatabaseSync['prepare']> | undefined;

  constructor(config: TableSinkConfig) {
    this.#c = config;
    this.target = `${config.path} (table ${config.table})`;
    this.#columns = config.columns;
  }

  async open(): Promise<void> {
    try {
      mkdirSync(dirname(this.#c.path), { recursive: true });
      const db = new DatabaseSync(this.#c.path, { timeout: 15000 });
      db.exec('PRAGMA journal_mode=WAL');
      db.exec(`CREATE TABLE IF NOT EXISTS runnel_offsets(sink_table TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
        next_offset INTEGER NOT NULL, topic_id TEXT, PRIMARY KEY(sink_table, topic, partition))`);
      // topic_id (TopicInfo.id) came later: files written before get the column, NULL until their next write.
      const offsetColumns = db.prepare('PRAGMA table_info(runnel_offsets)').all() as Array<{ name: string }>;
      if (!offsetColumns.some((c) => c.name === 'topic_id'))
        db.exec('ALTER TABLE runnel_offsets ADD COLUMN topic_id TEXT');
      this.#db = db;
      const existing = db.prepare(`PRAGMA table_info(${quoted(this.#c.table)})`).all() as Array<{
        name: string;
        type: string;
      }>;
      if (existing.length > 0 && !this.#columns) {
        // Reopening a table made earlier: its columns are the schema (no ALTER TABLE, ever).
        const skip = new Set<string>([...META_COLUMNS, 'id', '_id']);
        this.#columns = existing
          .filter((c) => !skip.has(c.name))
          .map((c) => ({ name: c.name, type: c.type === 'INTEGER' ? 'integer' : c.type === 'REAL' ? 'real' : 'text' }));
      }
      if (this.#columns) this.#createTable(this.#columns);
    } catch (err) {
      throw this.#error(err);
    }
  }

  #createTable(columns: Column[]): void {
    const db = this.#db!;
    const key = keyColumn(columns);
    const cols = columns.map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}`).join(', ');
    db.exec(`CREATE TABLE IF NOT EXISTS ${quoted(this.#c.table)} (${quoted(key)} INTEGER PRIMARY KEY, ${cols},
      _topic TEXT, _partition INTEGER, _offset INTEGER, _key TEXT, _timestamp INTEGER, UNIQUE(_topic, _partition, _offset))`);
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS];
    this.#insert = db.prepare(
      // A record already stored (a replay from an older position) is skipped, never a write that fails
      // forever: the sink stays idempotent even if its offsets table is lost or a group commit lags.
      `INSERT INTO ${quoted(this.#c.table)} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
       ON CONFLICT(_topic, _partition, _offset) DO NOTHING`,
    );
  }

  async storedPositions(): Promise<TopicPartitionOffset[]> {
    const rows = this.#db!.prepare(
      'SELECT topic, partition, next_offset AS offset, topic_id AS topicId FROM runnel_offsets WHERE sink_table = ?',
    ).all(this.#c.table) as unknown as Array<TopicPartitionOffset & { topicId: string | null }>;
    return rows.map(({ topic, partition, offset, topicId }) => ({
      topic,
      partition,
      offset,
      ...(topicId === null ? {} : { topicId }),
    }));
  }

  async write(records: StreamRecord[], positions: TopicPartitionOffset[]): Promise<SinkWriteResult> {
    const db = this.#db!;
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    if (!this.#columns && records.length > 0) {
      this.#columns = inferColumns(records);
      this.#createTable(this.#columns);
    }
    const columns = this.#columns ?? [];
    const rejected: NonNullable<SinkWriteResult['rejected']> = [];
    const rows: Array<{ r: StreamRecord; cells: unknown[] }> = [];
    for (const r of records) {
      try {
        const cells = rowOf(r, columns).map((c) => (typeof c === 'boolean' ? Number(c) : c));
        rows.push({ r, cells });
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        rejected.push({ record: r, error: err });
      }
    }
    try {
      db.exec('BEGIN IMMEDIATE');
      try {
        for (const { r, cells } of rows) {
          this.#insert!.run(
            ...(cells as Array<string | number | null>),
            r.topic,
            r.partition,
            r.offset,
            r.key,
            r.timestamp,
          );
        }
        const upsert = db.prepare(
          `INSERT INTO runnel_offsets(sink_table, topic, partition, next_offset, topic_id) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(sink_table, topic, partition) DO UPDATE SET next_offset = excluded.next_offset,
           topic_id = excluded.topic_id`,
        );
        for (const p of positions) upsert.run(this.#c.table, p.topic, p.partition, p.offset, p.topicId ?? null);
        db.exec('COMMIT');
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK');
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
    this.#db?.close();
    this.#db = undefined;
    this.#insert = undefined;
    if (!this.#c.columns) this.#columns = undefined;
  }

  #error(err: unknown): RunnelError {
    const e = toRunnelError(err, ErrorCodes.SINK_WRITE_FAILED);
    if (e.code === ErrorCodes.SINK_WRITE_FAILED || e.code === ErrorCodes.DISK_FULL) return e;
    // SQLite reports unwritable paths as its own errors ("unable to open database file"): retriable.
    return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `sqlite ${this.#c.path}: ${e.message}`, {
      retriable: true,
      cause: err,
    });
  }
}
