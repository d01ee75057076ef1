import { dirname } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Sink, SinkWriteOptions, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isPermanent, isRunnelError, RunnelError, toRunnelError } from '../../../core/errors.ts';
import { makeFolder, permanentOutputError } from '../../../core/places.ts';
import { type StreamRecord, type TopicPartitionOffset, tpKey } from '../../../core/record.ts';
import {
  type Cell,
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
import { type HeldPosition, notStored, sameTopic } from '../stored-positions.ts';
import { appendRows } from './append-rows.ts';
import { createWhole } from './create-file.ts';
import { duckdbModules } from './strings.ts';

const SQL_TYPE = {
  text: 'VARCHAR',
  integer: 'BIGINT',
  real: 'DOUBLE',
  boolean: 'BOOLEAN',
  json: 'VARCHAR',
  // Text, as in SQLite: rows read back compare as the strings they were written as.
  uuid: 'VARCHAR',
} as const;

// topic_id (TopicInfo.id) came later: files written before have it NULL, and get it on their next write.
const COLUMNS_TABLE = `CREATE TABLE IF NOT EXISTS runnel_columns(sink_table VARCHAR NOT NULL, name VARCHAR NOT NULL,
  type VARCHAR NOT NULL, PRIMARY KEY(sink_table, name))`;
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
      await createWhole((p) => DuckDBInstance.create(p), path);
      const created = await DuckDBInstance.create(path);
      // Once per file, not per sink: concurrent CREATEs on two connections are a write-write conflict.
      const conn = await created.connect();
      try {
        // DuckDB checkpoints its WAL into the file once the WAL holds 16 MB, inside a COMMIT: a pause of a
        // few hundred ms every few seconds of a fast run, that held the sink and so the sources. At 256 MB
        // it checkpoints less often, in bigger steps (at close, for most runs): 1.06× the whole `run buzz`
        // into three sinks. A crash then replays a longer WAL at the next open.
        await conn.run("SET wal_autocheckpoint = '256MB'");
        await conn.run(OFFSETS_TABLE);
        await conn.run(COLUMNS_TABLE);
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

/**
 * True while a sink of this process has the file open. DuckDB's lock is per process, so a second instance
 * here would not be stopped by it, and a reader must stay away from a file this process is writing.
 */
export function openInThisProcess(path: string): boolean {
  return instances.has(path);
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
  readonly file: string;
  readonly #c: TableSinkConfig;
  /** The columns configured (see Sink.columnNames). */
  get columnNames(): string[] | undefined {
    return this.#c.columns?.map((c) => c.name);
  }
  #conn: DuckDBConnection | undefined;
  #columns: Column[] | undefined;
  #created = false;
  /**
   * The id the next appended row gets, when rows go straight into the table (see #insertRows): read as
   * max(id) + 1 once per open, moved on when a batch commits, forgotten when one fails.
   */
  #nextId: number | undefined;
  /** The positions the table holds (see #heldPositions); undefined until first needed. */
  #held: Map<string, HeldPosition> | undefined;
  /** Whether the table's columns are in the order this sink appends them (a table made by it is). */
  #direct: boolean | undefined;
  /**
   * The Appender into a plain table, kept from batch to batch (its flush joins whichever transaction is
   * open): creating one per batch was a trip to DuckDB's threads, a wait behind the other sinks' work.
   */
  #appender: DuckDBAppender | undefined;

  constructor(config: TableSinkConfig) {
    this.#c = config;
    this.target = `${config.path} (table ${config.table})`;
    this.file = config.path;
    this.#columns = config.columns;
  }

  async open(): Promise<void> {
    this.#held = undefined;
    try {
      makeFolder(dirname(this.#c.path));
      const instance = await acquire(this.#c.path);
      this.#conn = await instance.connect();
      const existing = (
        await this.#conn.runAndReadAll(
          `SELECT column_name, data_type, column_default FROM information_schema.columns WHERE table_name = '${this.#c.table}' ORDER BY ordinal_position`,
        )
      ).getRows() as Array<[string, string, string | null]>;
      if (existing.length > 0 && !this.#columns) {
        const skip = notRecordColumns(
          this.#c,
          existing.map(([name]) => name),
          existing.find(([, , def]) => def?.includes('nextval(') ?? false)?.[0],
        );
        // json (and uuid) are VARCHAR to DuckDB: their runnel types were noted when the table was made.
        const noted = new Map(
          (
            (
              await this.#conn.runAndReadAll(
                `SELECT name, type FROM runnel_columns WHERE sink_table = '${this.#c.table}'`,
              )
            ).getRows() as Array<[string, Column['type']]>
          ).map(([name, type]) => [name, type]),
        );
        this.#columns = existing
          .filter(([name]) => !skip.has(name))
          .map(([name, type]) => ({
            name,
            type:
              noted.get(name) ??
              (type === 'BIGINT' ? 'integer' : type === 'DOUBLE' ? 'real' : type === 'BOOLEAN' ? 'boolean' : 'text'),
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
    // The columns' runnel types, for a reopen without configured columns (see open).
    for (const c of columns) {
      await this.#conn!.run(
        `INSERT OR IGNORE INTO runnel_columns(sink_table, name, type) VALUES ('${t}', '${c.name}', '${c.type}')`,
      );
    }
    const upsert = upsertColumn(this.#c, columns);
    const cols = columns.map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}`).join(', ');
    if (upsert) {
      // Table mode: the key column is the primary key; a record updates its key's row (see write).
      const keyed = columns
        .map((c) => `${quoted(c.name)} ${SQL_TYPE[c.type]}${c.name === upsert.name ? ' PRIMARY KEY' : ''}`)
        .join(', ');
      await this.#conn!.run(`CREATE TABLE IF NOT EXISTS ${quoted(t)} (${keyed},
        _topic VARCHAR, _partition INTEGER, _offset BIGINT, _key VARCHAR, _timestamp BIGINT)`);
    } else {
      const key = keyColumn(columns);
      // The sequence default marks the id column for a reopen without columns (see open). The sink numbers
      // its rows itself (see #insertRows) and cannot move the sequence on (DuckDB has no setval): a row
      // someone inserts by hand gets an id the sink used. The id is unique by construction, so no PRIMARY
      // KEY: its index cost a quarter of the rows' append and commit time (DuckDB advises against
      // constraints when loading in bulk). Tables made before keep theirs.
      await this.#conn!.run(`CREATE SEQUENCE IF NOT EXISTS "${t}_id_seq" START 1`);
      await this.#conn!.run(`CREATE TABLE IF NOT EXISTS ${quoted(t)} (${quoted(key)} BIGINT NOT NULL DEFAULT nextval('"${t}_id_seq"'), ${cols},
        _topic VARCHAR, _partition INTEGER, _offset BIGINT, _key VARCHAR, _timestamp BIGINT)`);
    }
    // Upserts, and a plain table whose columns are in another order, go through a per-connection staging
    // table and one INSERT … SELECT (see #insertRows).
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

  /**
   * Appended rows. A plain table gets them straight from the Appender, ids numbered here in partition and
   * offset order: through the staging table (needed because an Appender cannot fill the id sequence's
   * default) every batch was written twice and sorted by an INSERT … SELECT, 15% of the sink's time, and a
   * DuckDB thread's turn the sink waited for. A keyed table (upserts) and a table whose columns are not in
   * the order appended still go through the staging table. Returns the next id of a plain table.
   */
  async #insertRows(conn: DuckDBConnection, columns: Column[], rows: Array<{ r: StreamRecord; cells: Cell[] }>) {
    const t = this.#c.table;
    const upsert = upsertColumn(this.#c, columns);
    // A plain table's rows are numbered here, whichever way they go in: the id sequence is never moved on
    // by the direct appends, so rows through staging numbered by it got ids the direct ones had.
    if (!upsert) this.#nextId ??= (await this.#maxId(conn)) + 1;
    const firstId = upsert ? undefined : this.#nextId;
    if (firstId !== undefined && (await this.#appendsDirectly(conn, columns))) {
      const ordered = rows.toSorted((a, b) => a.r.partition - b.r.partition || a.r.offset - b.r.offset);
      this.#appender ??= await conn.createAppender(t);
      appendRows(...(await duckdbModules()), this.#appender, columns, ordered, firstId);
      this.#appender.flushSync();
      return firstId + ordered.length;
    }
    const appender = await conn.createAppender(`${t}_staging`, 'main', 'temp');
    try {
      appendRows(...(await duckdbModules()), appender, columns, rows);
      appender.flushSync();
    } catch (err) {
      // What it holds is thrown away: closing (or the collector, later) would flush it into staging.
      dropAppender(appender);
      throw err;
    }
    appender.closeSync();
    const names = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS].join(', ');
    if (upsert) {
      // One statement may not update a row twice: the newest record per key (highest offset) wins.
      const k = quoted(upsert.name);
      const updates = [...columns.map((c) => quoted(c.name)), ...META_COLUMNS]
        .filter((n) => n !== k)
        .map((n) => `${n} = excluded.${n}`);
      await conn.run(
        `INSERT INTO ${quoted(t)} (${names}) SELECT ${names} FROM "${t}_staging"
         QUALIFY row_number() OVER (PARTITION BY ${k} ORDER BY _partition DESC, _offset DESC) = 1
         ON CONFLICT (${k}) DO UPDATE SET ${updates.join(', ')}`,
      );
      await conn.run(`DELETE FROM "${t}_staging"`);
      return undefined;
    }
    await conn.run(
      `INSERT INTO ${quoted(t)} (${quoted(keyColumn(columns))}, ${names})
       SELECT ${firstId} + row_number() OVER (ORDER BY _partition, _offset) - 1, ${names} FROM "${t}_staging"`,
    );
    await conn.run(`DELETE FROM "${t}_staging"`);
    return firstId! + rows.length;
  }

  async #maxId(conn: DuckDBConnection): Promise<number> {
    const key = quoted(keyColumn(this.#columns ?? []));
    const reader = await conn.runAndReadAll(`SELECT coalesce(max(${key}), 0) FROM ${quoted(this.#c.table)}`);
    return Number((reader.getRows()[0] as [bigint | number])[0]);
  }

  /** The table's columns are [id, the record's columns…, the meta columns], in that order. */
  async #appendsDirectly(conn: DuckDBConnection, columns: Column[]): Promise<boolean> {
    if (this.#direct === undefined) {
      const reader = await conn.runAndReadAll(
        `SELECT column_name FROM information_schema.columns WHERE table_name = '${this.#c.table}' AND table_schema = 'main' ORDER BY ordinal_position`,
      );
      const names = (reader.getRows() as Array<[string]>).map(([n]) => n);
      const expected = [keyColumn(columns), ...columns.map((c) => c.name), ...META_COLUMNS];
      this.#direct = names.length === expected.length && names.every((n, i) => n === expected[i]);
    }
    return this.#direct;
  }

  async write(
    records: StreamRecord[],
    positions: TopicPartitionOffset[],
    options?: SinkWriteOptions,
  ): Promise<SinkWriteResult> {
    const conn = this.#conn!;
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    if (!this.#columns && records.length > 0) this.#columns = inferColumns(records);
    if (!this.#created && this.#columns) await this.#createTable(this.#columns);
    const columns = this.#columns ?? [];
    const key = columns.length > 0 ? upsertColumn(this.#c, columns) : undefined;
    const checked = records.map((r): { r: StreamRecord; cells?: Cell[]; error?: RunnelError } => {
      try {
        const cells = rowOf(r, columns);
        requireKey(cells, columns, key);
        return { r, cells };
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        return { r, error: err };
      }
    });
    let rejected: NonNullable<SinkWriteResult['rejected']> = [];
    let nextId: number | undefined;
    try {
      await conn.run('BEGIN TRANSACTION');
      try {
        // Misfits too: a batch written again dead-letters none of them twice.
        const fresh =
          checked.length > 0
            ? notStored(checked, (x) => x.r, [...(await this.#heldPositions()).values()], positions)
            : checked;
        const rows = fresh.flatMap((x) => (x.cells ? [{ r: x.r, cells: x.cells }] : []));
        rejected = fresh.flatMap((x) => (x.error ? [{ record: x.r, error: x.error }] : []));
        // Durable before the COMMIT (see SinkWriteOptions); a failure rolls the batch back below.
        if (rejected.length > 0) await options?.deadLetters?.(rejected);
        if (rows.length > 0) nextId = await this.#insertRows(conn, columns, rows);
        // The positions and the COMMIT in one statement list, one trip to DuckDB's threads: under load each
        // trip waits its turn behind the other sinks' work, and a batch took five (BEGIN, the Appender, the
        // positions' prepare and run, COMMIT), 48 ms of waiting per 5000 rows.
        await conn.run(`${this.#positionsSql(positions)}COMMIT`);
        this.#keepPositions(positions);
        if (nextId !== undefined) this.#nextId = nextId;
      } catch (err) {
        // Rows a failed batch left in the Appender are thrown away: closing it would flush them.
        this.#dropAppender();
        await conn.run('ROLLBACK').catch(() => {});
        // Whatever the failed batch numbered, the retry reads the table's max again.
        this.#nextId = undefined;
        throw err;
      }
    } catch (err) {
      throw this.#error(err);
    }
    return { rejected };
  }

  /** The upsert of the positions a batch reaches, as literals (see write), or nothing without positions. */
  #positionsSql(positions: TopicPartitionOffset[]): string {
    if (positions.length === 0) return '';
    // One row per partition, its furthest position: a statement's VALUES naming one twice keeps the first.
    const furthest = new Map<string, TopicPartitionOffset>();
    for (const p of positions) {
      const k = `${p.topic}\u0000${p.partition}`;
      const seen = furthest.get(k);
      if (!seen || p.offset >= seen.offset) furthest.set(k, p);
    }
    // Partitions and offsets are the broker's numbers, the strings are quoted: nothing here is SQL.
    const values = [...furthest.values()].map(
      (p) =>
        `(${literal(this.#c.table)}, ${literal(p.topic)}, ${p.partition}, ${p.offset}, ${p.topicId === undefined ? 'NULL' : literal(p.topicId)})`,
    );
    // Never backwards (a batch written again), unless the topic is another one of that name: it starts over.
    return `INSERT INTO runnel_offsets(sink_table, topic, partition, next_offset, topic_id) VALUES ${values.join(', ')}
      ON CONFLICT (sink_table, topic, partition) DO UPDATE SET next_offset = CASE
        WHEN runnel_offsets.topic_id IS NULL OR excluded.topic_id IS NULL OR runnel_offsets.topic_id = excluded.topic_id
        THEN greatest(runnel_offsets.next_offset, excluded.next_offset) ELSE excluded.next_offset END,
      topic_id = coalesce(excluded.topic_id, runnel_offsets.topic_id);\n`;
  }

  /**
   * The positions this table holds, read once and then kept as each batch commits: DuckDB locks its file to
   * one process, so nothing else writes them, and a read per batch was one more trip to DuckDB's threads.
   */
  async #heldPositions(): Promise<Map<string, HeldPosition>> {
    if (this.#held) return this.#held;
    const held = new Map<string, HeldPosition>();
    for (const p of await this.storedPositions())
      held.set(tpKey(p.topic, p.partition), { ...p, topicId: p.topicId ?? null });
    this.#held = held;
    return held;
  }

  /** What the positions upsert (see #positionsSql) did to the kept copy, once its COMMIT went through. */
  #keepPositions(positions: TopicPartitionOffset[]): void {
    if (!this.#held) return;
    for (const p of positions) {
      const k = tpKey(p.topic, p.partition);
      const h = this.#held.get(k);
      const same = !h || sameTopic(h, p);
      this.#held.set(k, {
        topic: p.topic,
        partition: p.partition,
        offset: same && h ? Math.max(h.offset, p.offset) : p.offset,
        topicId: p.topicId ?? h?.topicId ?? null,
      });
    }
  }

  #dropAppender(): void {
    if (this.#appender) dropAppender(this.#appender);
    this.#appender = undefined;
  }

  async verify(): Promise<void> {
    await this.open();
    await this.close();
  }

  async close(): Promise<void> {
    if (!this.#conn) return;
    this.#dropAppender();
    this.#conn.closeSync();
    this.#conn = undefined;
    this.#created = false;
    this.#nextId = undefined;
    this.#direct = undefined;
    if (!this.#c.columns) this.#columns = undefined;
    await release(this.#c.path);
  }

  #error(err: unknown): RunnelError {
    const permanent = permanentOutputError(this.#c.path, err, isPermanent(err) || duckdbPermanent(err));
    if (permanent) return permanent;
    const pid = lockHolder(err);
    if (pid !== undefined) {
      return new RunnelError(ErrorCodes.OUTPUT_IN_USE, `${this.#c.path} is in use by pid ${pid}`, {
        retriable: true,
        cause: err,
        value: pid,
      });
    }
    const e = toRunnelError(err, ErrorCodes.SINK_WRITE_FAILED);
    if (e.code === ErrorCodes.DISK_FULL || e.code === ErrorCodes.SINK_WRITE_FAILED) return e;
    return new RunnelError(ErrorCodes.SINK_WRITE_FAILED, `duckdb ${this.#c.path}: ${e.message.split('\n')[0]}`, {
      retriable: true,
      cause: err,
    });
  }
}

/** Closes an Appender without flushing what it holds (closing flushes); a broken one is dropped all the same. */
function dropAppender(appender: DuckDBAppender): void {
  try {
    appender.clear();
    appender.closeSync();
  } catch {
    // Nothing to keep from it: the batch it held is rolled back and written again.
  }
}

/** A SQL string literal. */
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * DuckDB errors carry no codes, only their words. Permanent: SQL and schema errors (a table that cannot be
 * created), a file that is not a DuckDB database, and the OS's own permanent answers. Not: "Could not set
 * lock" (another process holds the file until it exits) and write-write conflicts, which pass.
 */
function duckdbPermanent(err: unknown): boolean {
  const m = err instanceof Error ? err.message : '';
  return (
    /^(Catalog|Binder|Parser|Conversion) Error/.test(m) ||
    /not a valid DuckDB database file/.test(m) ||
    /^IO Error: .*(Permission denied|Not a directory|Is a directory|Read-only file system|File name too long)/.test(m)
  );
}

/** `Could not set lock on file …: Conflicting lock is held in … (PID n)`: the pid holding it, else undefined. */
function lockHolder(err: unknown): number | undefined {
  const m = /Could not set lock on file[\s\S]*?\(PID (\d+)\)/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}
