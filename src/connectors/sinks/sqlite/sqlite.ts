import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Sink, SinkWriteOptions, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isRunnelError, RunnelError, toRunnelError } from '../../../core/errors.ts';
import { makeFolder, permanentOutputError } from '../../../core/places.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import {
  type Column,
  inferColumns,
  keyColumn,
  META_COLUMNS,
  notRecordColumns,
  quoted,
  requireKey,
  rowOf,
  type TableSinkConfig,
  upsertColumn,
} from '../columns.ts';
import { type HeldPosition, notStored } from '../stored-positions.ts';

/** A batch's rows as the inserts take them (see SqliteSink.#rows). */
interface Rows {
  cells: Array<string | number | null>;
  width: number;
  rejected: NonNullable<SinkWriteResult['rejected']>;
}

/** Whether two reads of a batch's held positions found the same. */
const sameHeld = (a: HeldPosition[], b: HeldPosition[]): boolean =>
  a.length === b.length &&
  a.every((p, i) => p.partition === b[i]!.partition && p.offset === b[i]!.offset && p.topicId === b[i]!.topicId);

/** Rows one multi-row insert writes: 64 rows of a dozen columns stay far below SQLite's 32766 variables. */
const INSERT_ROWS = 64;

/** `(?, ?), (?, ?)` for `rows` rows of `width` values. */
const valuesList = (width: number, rows: number): string =>
  Array.from({ length: rows }, () => `(${new Array(width).fill('?').join(', ')})`).join(', ');

const SQL_TYPE = {
  text: 'TEXT',
  integer: 'INTEGER',
  real: 'REAL',
  boolean: 'INTEGER',
  json: 'TEXT',
  uuid: 'TEXT',
} as const;

/**
 * Rows into a SQLite table (node:sqlite, WAL). Each batch and the positions it reaches are written in one
 * transaction, so a crash at any point leaves rows and positions in agreement: exactly-once.
 */
export class SqliteSink implements Sink {
  name = 'sqlite';
  readonly target: string;
  readonly file: string;
  readonly #c: TableSinkConfig;
  /** The columns configured (see Sink.columnNames). */
  get columnNames(): string[] | undefined {
    return this.#c.columns?.map((c) => c.name);
  }
  #db: DatabaseSync | undefined;
  #columns: Column[] | undefined;
  #insert: ReturnType<DatabaseSync['prepare']> | undefined;
  /** The same insert for INSERT_ROWS rows at once (one statement call instead of one per row). */
  #insertMany: ReturnType<DatabaseSync['prepare']> | undefined;
  #manyRows = INSERT_ROWS;

  constructor(config: TableSinkConfig) {
    this.#c = config;
    this.target = `${config.path} (table ${config.table})`;
    this.file = config.path;
    this.#columns = config.columns;
  }

  async open(): Promise<void> {
    try {
      makeFolder(dirname(this.#c.path));
      const db = new DatabaseSync(this.#c.path, { timeout: 15000 });
      db.exec('PRAGMA journal_mode=WAL');
      // A commit survives the process crashing without an fsync of its own (WAL in the OS's cache), as the
      // local broker's does by default. A power cut may lose the newest commits, rows and positions
      // together, so the sink writes them again from the broker: never half a batch. The fsync per commit
      // (and per checkpoint) was a quarter of the sink's time.
      db.exec('PRAGMA synchronous=NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS runnel_offsets(sink_table TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,
        next_offset INTEGER NOT NULL, topic_id TEXT, PRIMARY KEY(sink_table, topic, partition))`);
      // topic_id (TopicInfo.id) came later: files written before get the column, NULL until their next write.
      const offsetColumns = db.prepare('PRAGMA table_info(runnel_offsets)').all() as Array<{ name: string }>;
      if (!offsetColumns.some((c) => c.name === 'topic_id'))
        db.exec('ALTER TABLE runnel_offsets ADD COLUMN topic_id TEXT');
      db.exec(`CREATE TABLE IF NOT EXISTS runnel_columns(sink_table TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
        PRIMARY KEY(sink_table, name))`);
      this.#db = db;
      const existing = db.prepare(`PRAGMA table_info(${quoted(this.#c.table)})`).all() as Array<{
        name: string;
        type: string;
        pk: number;
      }>;
      if (existing.length > 0 && !this.#columns) {
        // Reopening a table made earlier: its columns are the schema (no ALTER TABLE, ever). Their runnel
        // types (json and boolean are TEXT and INTEGER to SQLite) were noted when it was made.
        const skip = notRecordColumns(
          this.#c,
          existing.map((c) => c.name),
          existing.find((c) => c.pk === 1)?.name,
        );
        const noted = new Map(
          (
            db.prepare('SELECT name, type FROM runnel_columns WHERE sink_table = ?').all(this.#c.table) as Array<{
              name: string;
              type: Column['type'];
            }>
          ).map((c) => [c.name, c.type]),
        );
        this.#columns = existing
          .filter((c) => !skip.has(c.name))
          .map((c) => ({
            name: c.name,
            type: noted.get(c.name) ?? (c.type === 'INTEGER' ? 'integer' : c.type === 'REAL' ? 'real' : 'text'),
          }));
      }
      if (this.#columns) this.#createTable(this.#columns);
    } catch (err) {
      throw this.#error(err);
    }
  }

  #createTable(columns: Column[]): void {
    const db = this.#db!;
    // The columns' runnel types, for a reopen without configured columns (see open).
    const note = db.prepare('INSERT OR IGNORE INTO runnel_columns(sink_table, name, type) VALUES (?, ?, ?)');
    for (const c of columns) note.run(this.#c.table, c.name, c.type);
    const upsert = upsertColumn(this.#c, columns);
    if (upsert) {
      this.#createKeyedTable(columns, upsert);
      return;
    }
    const key = keyColumn(columns);
    const cols = columns.map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}`).join(', ');
    // No UNIQUE(_topic, _partition, _offset): write() skips what the table's positions say it holds, in
    // the same transaction, which keeps a replay from an older position out as the index did, at 0.6× the
    // cost of an insert (the index was a second B-tree on a text column per row). Tables made before keep
    // their index, and their inserts skip a row it already holds instead of failing the batch for ever.
    db.exec(`CREATE TABLE IF NOT EXISTS ${quoted(this.#c.table)} (${quoted(key)} INTEGER PRIMARY KEY, ${cols},
      _topic TEXT, _partition INTEGER, _offset INTEGER, _key TEXT, _timestamp INTEGER)`);
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS];
    const conflict = this.#hasFormerIndex() ? ' ON CONFLICT(_topic, _partition, _offset) DO NOTHING' : '';
    this.#prepareInserts(
      (rows) =>
        `INSERT INTO ${quoted(this.#c.table)} (${names.join(', ')}) VALUES ${valuesList(names.length, rows)}${conflict}`,
      names.length,
    );
  }

  /** Whether the table was made with the former UNIQUE(_topic, _partition, _offset). */
  #hasFormerIndex(): boolean {
    const db = this.#db!;
    const indexes = db.prepare(`PRAGMA index_list(${quoted(this.#c.table)})`).all() as Array<{
      name: string;
      unique: number;
    }>;
    return indexes.some((ix) => {
      if (!ix.unique) return false;
      const cols = db.prepare(`PRAGMA index_info(${quoted(ix.name)})`).all() as Array<{ name: string }>;
      return cols.map((c) => c.name).join(',') === '_topic,_partition,_offset';
    });
  }

  /** The insert for one row and for INSERT_ROWS rows (bounded by SQLite's variables per statement). */
  #prepareInserts(sql: (rows: number) => string, width: number): void {
    const db = this.#db!;
    this.#insert = db.prepare(sql(1));
    // A wide table gets fewer rows per statement: SQLite takes at most 32766 variables in one.
    this.#manyRows = Math.max(1, Math.min(INSERT_ROWS, Math.floor(32766 / width)));
    this.#insertMany = db.prepare(sql(this.#manyRows));
  }

  /**
   * Table mode: the key column is the primary key and a record updates its key's row. Replaying a batch
   * after a crash writes the same values again, so the table stays exactly as an uninterrupted run's.
   */
  #createKeyedTable(columns: Column[], key: Column): void {
    const db = this.#db!;
    const cols = columns
      .map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}${c.name === key.name ? ' PRIMARY KEY' : ''}`)
      .join(', ');
    db.exec(`CREATE TABLE IF NOT EXISTS ${quoted(this.#c.table)} (${cols},
      _topic TEXT, _partition INTEGER, _offset INTEGER, _key TEXT, _timestamp INTEGER)`);
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS];
    const updates = names.filter((n) => n !== quoted(key.name)).map((n) => `${n} = excluded.${n}`);
    // Rows of one statement are applied in order, so a key twice in one batch ends as its later record.
    this.#prepareInserts(
      (rows) =>
        `INSERT INTO ${quoted(this.#c.table)} (${names.join(', ')}) VALUES ${valuesList(names.length, rows)}
       ON CONFLICT(${quoted(key.name)}) DO UPDATE SET ${updates.join(', ')}`,
      names.length,
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

  async write(
    records: StreamRecord[],
    positions: TopicPartitionOffset[],
    options?: SinkWriteOptions,
  ): Promise<SinkWriteResult> {
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    // Created before the batch's transaction: a batch that fails would take the table away with its
    // rollback while the sink went on believing it made.
    if (!this.#columns && records.length > 0) {
      const inferred = inferColumns(records);
      // The columns' notes and the table together, or neither: a kill between them left notes a reopen
      // typed the table by, though the retried batch (gathered anew) may infer others.
      this.#inTransaction(() => this.#createTable(inferred));
      // Only once its table exists: a retry after a failed CREATE must try it again.
      this.#columns = inferred;
    }
    // The rows are made before the write lock, and the dead letters written (see SinkWriteOptions): awaited
    // inside the transaction, another sink of this process writing the same file would wait for the lock in
    // node:sqlite's synchronous busy loop, on the one thread that could release it.
    const held = this.#held(positions);
    let batch = this.#rows(this.#notStored(records, held, positions));
    if (batch.rejected.length > 0) await options?.deadLetters?.(batch.rejected);
    // Under the write lock, so another process writing this table cannot store the same positions between
    // the check and the insert (a partition that moved away and back while this one's view was stale). Rows
    // made from positions that moved meanwhile are made again from the ones under the lock.
    return this.#inTransaction(() => {
      const now = this.#held(positions);
      if (!sameHeld(now, held)) batch = this.#rows(this.#notStored(records, now, positions));
      this.#insertRows(batch, positions);
      return { rejected: batch.rejected };
    });
  }

  /** `fn` in a write transaction of its own (IMMEDIATE: the lock up front), rolled back if it fails. */
  #inTransaction<T>(fn: () => T): T {
    const db = this.#db!;
    try {
      db.exec('BEGIN IMMEDIATE');
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw this.#error(err);
    }
  }

  /** The positions this table holds of the batch's partitions. */
  #held(positions: TopicPartitionOffset[]): HeldPosition[] {
    const get = this.#db!.prepare(
      'SELECT next_offset AS offset, topic_id AS topicId FROM runnel_offsets WHERE sink_table = ? AND topic = ? AND partition = ?',
    );
    const held: HeldPosition[] = [];
    for (const p of positions) {
      const row = get.get(this.#c.table, p.topic, p.partition) as
        | { offset: number; topicId: string | null }
        | undefined;
      if (row) held.push({ topic: p.topic, partition: p.partition, ...row });
    }
    return held;
  }

  /** `records` without those this table holds already (see notStored). */
  #notStored(records: StreamRecord[], held: HeldPosition[], positions: TopicPartitionOffset[]): StreamRecord[] {
    return records.length === 0 ? records : notStored(records, (r) => r, held, positions);
  }

  /** The records' rows, each one's cells then its place, flat in the statement's column order; and the misfits. */
  #rows(records: StreamRecord[]): Rows {
    const columns = this.#columns ?? [];
    const rejected: NonNullable<SinkWriteResult['rejected']> = [];
    const key = columns.length > 0 ? upsertColumn(this.#c, columns) : undefined;
    // Every accepted row's cells then its record's place, flat, in the order of the statement's columns.
    const width = columns.length + META_COLUMNS.length;
    const cells: Array<string | number | null> = [];
    for (const r of records) {
      let row: ReturnType<typeof rowOf>;
      try {
        row = rowOf(r, columns);
        requireKey(row, columns, key);
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        rejected.push({ record: r, error: err });
        continue;
      }
      for (const c of row) cells.push(typeof c === 'boolean' ? Number(c) : c);
      cells.push(r.topic, r.partition, r.offset, r.key, r.timestamp);
    }
    return { cells, width, rejected };
  }

  #insertRows({ cells, width }: Rows, positions: TopicPartitionOffset[]): void {
    const db = this.#db!;
    const rows = cells.length / width;
    let at = 0;
    // INSERT_ROWS rows per statement call: per-row calls (binding, stepping, resetting one statement
    // each time) were most of what the sink cost.
    const many = this.#manyRows;
    if (rows >= many) {
      const chunk = new Array<string | number | null>(many * width);
      for (; at + many <= rows; at += many) {
        for (let i = 0; i < chunk.length; i++) chunk[i] = cells[at * width + i] as string | number | null;
        this.#insertMany!.run(...chunk);
      }
    }
    for (; at < rows; at++) this.#insert!.run(...cells.slice(at * width, (at + 1) * width));
    const upsert = db.prepare(
      `INSERT INTO runnel_offsets(sink_table, topic, partition, next_offset, topic_id) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(sink_table, topic, partition) DO UPDATE SET topic_id = excluded.topic_id,
       next_offset = CASE WHEN runnel_offsets.topic_id IS excluded.topic_id
         THEN max(runnel_offsets.next_offset, excluded.next_offset) ELSE excluded.next_offset END`,
    );
    for (const p of positions) upsert.run(this.#c.table, p.topic, p.partition, p.offset, p.topicId ?? null);
  }

  async verify(): Promise<void> {
    await this.open();
    await this.close();
  }

  /** Read-only: WAL lets it read while a pipeline writes. */
  async peekPositions(): Promise<TopicPartitionOffset[]> {
    if (!existsSync(this.#c.path)) return [];
    const db = new DatabaseSync(this.#c.path, { readOnly: true, timeout: 5000 });
    try {
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runnel_offsets'").get();
      if (!table) return [];
      const rows = db
        .prepare(
          'SELECT topic, partition, next_offset AS offset, topic_id AS topicId FROM runnel_offsets WHERE sink_table = ?',
        )
        .all(this.#c.table) as unknown as Array<TopicPartitionOffset & { topicId: string | null }>;
      return rows.map(({ topic, partition, offset, topicId }) => ({
        topic,
        partition,
        offset,
        ...(topicId === null ? {} : { topicId }),
      }));
    } finally {
      db.close();
    }
  }

  async close(): Promise<void> {
    this.#db?.close();
    this.#db = undefined;
    this.#insert = undefined;
    this.#insertMany = undefined;
    if (!this.#c.columns) this.#columns = undefined;
  }

  #error(err: unknown): RunnelError {
    // Not a database, cannot open, read-only, a table that cannot be created: see isPermanent.
    const permanent = permanentOutputError(this.#c.path, err);
    if (permanent) return permanent;
    const e = toRunnelError(err, ErrorCodes.SINK_WRITE_FAILED);
    if (e.code === ErrorCodes.SINK_WRITE_FAILED || e.code === ErrorCodes.DISK_FULL) return e;
    // Busy (another process's lock outlasted the timeout), I/O errors: retriable.
    return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `sqlite ${this.#c.path}: ${e.message}`, {
      retriable: true,
      cause: err,
    });
  }
}
