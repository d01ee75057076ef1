import type { Client } from 'cassandra-driver';
import type { Sink, SinkContext, SinkWriteOptions, SinkWriteResult } from '../../../core/connector.ts';
import { ErrorCodes, isRunnelError, RunnelError } from '../../../core/errors.ts';
import type { StreamRecord, TopicPartitionOffset } from '../../../core/record.ts';
import {
  type Cell,
  COLUMN_TYPES,
  type Column,
  inferColumns,
  META_COLUMNS,
  quoted,
  rowOf,
  type TableSinkConfig,
  upsertColumn,
} from '../columns.ts';
import type { CassandraSinkConfig } from './spec.ts';

const CQL_TYPE = {
  text: 'text',
  integer: 'bigint',
  real: 'double',
  boolean: 'boolean',
  json: 'text',
  uuid: 'uuid',
} as const;
/** Back from system_schema for a table runnel did not create (no column list in its comment). */
const FROM_CQL: Record<string, Column['type']> = {
  bigint: 'integer',
  int: 'integer',
  smallint: 'integer',
  tinyint: 'integer',
  varint: 'integer',
  double: 'real',
  float: 'real',
  boolean: 'boolean',
  uuid: 'uuid',
};
/** The table comment that remembers runnel's column types: json columns are CQL text like text ones. */
const COMMENT = 'runnel columns: ';
/** How long a stopped sink's writes may still run before its connection is cut. */
const STOP_GRACE_MS = 3000;
/** A bigint holds ±2^63; a larger JS integer would be clamped by the driver without a word. */
const INT64 = 2 ** 63;

/**
 * The driver's response codes (types.responseErrorCodes) that no retry can fix: bad credentials, a
 * protocol the server refuses, a syntax or invalid request (a table with other columns, a value a column
 * cannot hold), a permission (unauthorized) and a configuration problem (a keyspace that cannot be made).
 * Unavailable, overloaded, bootstrapping, read and write timeouts and failures, server errors all pass.
 */
const PERMANENT_RESPONSES = new Set([0x0100, 0x000a, 0x2000, 0x2100, 0x2200, 0x2300]);

/**
 * Rows into a Cassandra table (the `cassandra-driver` package), with the same columns and meta columns as
 * the other table sinks. Cassandra has no transaction across rows, so the guarantee is built on identity
 * instead: every write is an upsert on a primary key that is the record's identity — (_topic, _partition,
 * _offset), or the `key` column in table mode — so a batch written again after a crash rewrites the same
 * rows with the same values, and the table ends up exactly as if each record had been written once. The
 * positions go to `runnel_offsets` only after every row of the batch is acknowledged.
 */
export class CassandraSink implements Sink {
  name = 'cassandra';
  readonly target: string;
  readonly #c: CassandraSinkConfig;
  /** The columns configured (see Sink.columnNames). */
  get columnNames(): string[] | undefined {
    return this.#c.columns?.map((c) => c.name);
  }
  readonly #where: string;
  #client: Client | undefined;
  #columns: Column[] | undefined;
  #created = false;
  #offsetsReady = false;

  constructor(config: CassandraSinkConfig) {
    this.#c = config;
    this.#where = `cassandra://${config.contactPoints}`;
    this.target = `${this.#where} (table ${config.keyspace}.${config.table})`;
    this.#columns = config.columns;
  }

  get #table(): string {
    return `${quoted(this.#c.keyspace)}.${quoted(this.#c.table)}`;
  }

  get #offsets(): string {
    return `${quoted(this.#c.keyspace)}.runnel_offsets`;
  }

  async open(ctx: SinkContext): Promise<void> {
    // A stop lets the batch in hand finish, but a node that went silent must not hold Ctrl-C: after a
    // grace the client is shut down, its pending writes fail, and the batch is read again next start.
    ctx.signal.addEventListener('abort', () => setTimeout(() => void this.#disconnect(), STOP_GRACE_MS).unref(), {
      once: true,
    });
    try {
      const client = await this.#connect();
      await this.#ensureOffsets(client);
      if (!this.#columns) this.#columns = await this.#existingColumns(client);
      if (this.#columns) await this.#createTable(client, this.#columns);
    } catch (err) {
      await this.close().catch(() => {});
      throw this.#error(err);
    }
  }

  async #connect(): Promise<Client> {
    if (this.#client) return this.#client;
    // Imported when a sink opens: runs without a cassandra sink never load the driver.
    const { default: cassandra } = await import('cassandra-driver');
    const { username, password } = this.#c;
    const client = new cassandra.Client({
      contactPoints: this.#c.contactPoints.split(','),
      localDataCenter: this.#c.dataCenter,
      ...(username === undefined
        ? {}
        : { authProvider: new cassandra.auth.PlainTextAuthProvider(username, password ?? '') }),
      // Every statement here is an upsert by primary key: safe for the driver to retry after a timeout.
      // LOCAL_QUORUM so that positions read back after a restart are the ones written, on any cluster.
      queryOptions: {
        isIdempotent: true,
        prepare: true,
        consistency: cassandra.types.consistencies.localQuorum,
      },
      socketOptions: { connectTimeout: 5000, readTimeout: 12_000 },
      // The runner retries with its own backoff; the driver's reconnection would wait up to 10 minutes.
      policies: { reconnection: new cassandra.policies.reconnection.ConstantReconnectionPolicy(1000) },
    });
    try {
      await client.connect();
    } catch (err) {
      // Not awaited: a client that never connected may never settle its shutdown.
      void client.shutdown().catch(() => {});
      throw err;
    }
    this.#client = client;
    return client;
  }

  async #disconnect(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#offsetsReady = false;
    this.#created = false;
    if (client) await client.shutdown().catch(() => {});
  }

  async #keyspaceExists(client: Client): Promise<boolean> {
    const rs = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [
      this.#c.keyspace,
    ]);
    return rs.rowLength > 0;
  }

  async #tableMeta(client: Client, table: string) {
    const rs = await client.execute(
      'SELECT comment FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
      [this.#c.keyspace, table],
    );
    return rs.first() ?? undefined;
  }

  /**
   * Keyspace and table created only when missing, checked first: CREATE … IF NOT EXISTS asks for the
   * permission to create even when the object exists, and a role that may only write would be refused.
   */
  async #ensure(client: Client, table: string, ddl: string): Promise<void> {
    if (await this.#tableMeta(client, table)) return;
    if (!(await this.#keyspaceExists(client))) {
      await client.execute(
        `CREATE KEYSPACE IF NOT EXISTS ${quoted(this.#c.keyspace)} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
      );
    }
    await client.execute(ddl);
  }

  async #ensureOffsets(client: Client): Promise<void> {
    if (this.#offsetsReady) return;
    // One partition per sink table: a batch's positions are one single-partition batch, applied atomically.
    await this.#ensure(
      client,
      'runnel_offsets',
      `CREATE TABLE IF NOT EXISTS ${this.#offsets} (sink_table text, topic text, partition int, next_offset bigint,
        topic_id text, PRIMARY KEY ((sink_table), topic, partition))`,
    );
    this.#offsetsReady = true;
  }

  /** The columns of a table made earlier (no ALTER TABLE, ever): from runnel's comment, else the schema. */
  async #existingColumns(client: Client): Promise<Column[] | undefined> {
    const meta = await this.#tableMeta(client, this.#c.table);
    if (!meta) return undefined;
    const comment = String(meta.get('comment') ?? '');
    if (comment.startsWith(COMMENT)) {
      try {
        const parsed = JSON.parse(comment.slice(COMMENT.length)) as Column[];
        if (parsed.every((c) => (COLUMN_TYPES as readonly string[]).includes(c.type))) return parsed;
      } catch {
        // Not runnel's comment after all: read the schema below.
      }
    }
    const rs = await client.execute(
      'SELECT column_name, type FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
      [this.#c.keyspace, this.#c.table],
    );
    const skip = new Set<string>(META_COLUMNS);
    const columns = rs.rows
      .map((r) => ({ name: String(r.get('column_name')), type: FROM_CQL[String(r.get('type'))] ?? 'text' }))
      .filter((c) => !skip.has(c.name));
    return columns.length > 0 ? columns : undefined;
  }

  async #createTable(client: Client, columns: Column[]): Promise<void> {
    const upsert = upsertColumn(this.#tableConfig(), columns);
    const cols = columns.map((c) => `${quoted(c.name)} ${CQL_TYPE[c.type]}`).join(', ');
    // CQL names may not start with `_` unquoted: every name here is quoted.
    const meta = '"_topic" text, "_partition" int, "_offset" bigint, "_key" text, "_timestamp" bigint';
    // The primary key is the record's identity, so a replayed record overwrites its own row. In append mode
    // each record is its own partition: one topic partition as one Cassandra partition would grow unbounded.
    const pk = upsert ? quoted(upsert.name) : '("_topic", "_partition", "_offset")';
    const comment = `${COMMENT}${JSON.stringify(columns)}`.replaceAll("'", "''");
    await this.#ensure(
      client,
      this.#c.table,
      `CREATE TABLE IF NOT EXISTS ${this.#table} (${cols}, ${meta}, PRIMARY KEY (${pk})) WITH comment = '${comment}'`,
    );
    this.#created = true;
  }

  #tableConfig(): TableSinkConfig {
    const { keyspace, table, key } = this.#c;
    return { path: `${keyspace}`, table, ...(key === undefined ? {} : { key }) };
  }

  async storedPositions(): Promise<TopicPartitionOffset[]> {
    try {
      const client = await this.#connect();
      await this.#ensureOffsets(client);
      return await this.#positions(client);
    } catch (err) {
      throw this.#error(err);
    }
  }

  async #positions(client: Client): Promise<TopicPartitionOffset[]> {
    const rs = await client.execute(
      `SELECT topic, partition, next_offset, topic_id FROM ${this.#offsets} WHERE sink_table = ?`,
      [this.#c.table],
    );
    return rs.rows.map((r) => {
      const topicId = r.get('topic_id') as string | null;
      return {
        topic: String(r.get('topic')),
        partition: Number(r.get('partition')),
        offset: Number(r.get('next_offset')),
        ...(topicId === null ? {} : { topicId }),
      };
    });
  }

  async write(
    records: StreamRecord[],
    positions: TopicPartitionOffset[],
    options?: SinkWriteOptions,
  ): Promise<SinkWriteResult> {
    // A batch of positions only (its records were all dead-lettered) has nothing to infer columns from.
    if (!this.#columns && records.length > 0) this.#columns = inferColumns(records);
    const columns = this.#columns ?? [];
    const upsert = upsertColumn(this.#tableConfig(), columns);
    const rejected: NonNullable<SinkWriteResult['rejected']> = [];
    // Table mode: the newest record per key of the batch only. Rows of one batch are written concurrently,
    // so two writes of one key could land in either order; across batches, order holds (see the README).
    const rows = new Map<unknown, unknown[]>();
    const at = upsert ? columns.indexOf(upsert) : -1;
    for (const r of records) {
      try {
        const cells = rowOf(r, columns);
        checkCells(r, cells, columns, upsert);
        // In append mode a null is left unset (no tombstone); in table mode it must replace the old value.
        const values: unknown[] = cells.map((v) => (v === null && !upsert ? undefined : v));
        values.push(r.topic, r.partition, r.offset, r.key ?? (upsert ? null : undefined), r.timestamp);
        const id = upsert ? cells[at] : `${r.topic}\u0000${r.partition}\u0000${r.offset}`;
        rows.delete(id);
        rows.set(id, values);
      } catch (err) {
        if (!isRunnelError(err)) throw err;
        rejected.push({ record: r, error: err });
      }
    }
    try {
      const client = await this.#connect();
      await this.#ensureOffsets(client);
      if (!this.#created && this.#columns) await this.#createTable(client, this.#columns);
      if (rows.size > 0) {
        const names = [...columns, ...META_COLUMNS.map((name) => ({ name }))].map((c) => quoted(c.name));
        const insert = `INSERT INTO ${this.#table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})`;
        const { default: cassandra } = await import('cassandra-driver');
        // Bounded concurrency: at most `concurrency` rows in flight; the first failure fails the batch,
        // and the whole batch is written again on retry (idempotent by primary key).
        await cassandra.concurrent.executeConcurrent(client, insert, [...rows.values()], {
          concurrencyLevel: this.#c.concurrency,
          raiseOnFirstError: true,
        });
      }
      // Before the positions (see SinkWriteOptions): a crash then replays the batch, rows and dead letters,
      // instead of leaving it stored without them. A replay refuses the same records again (no transaction
      // here to tell them stored), so their letters may come twice, never not at all.
      if (rejected.length > 0) await options?.deadLetters?.(rejected);
      if (positions.length > 0) {
        // After every row is acknowledged, never before: a crash in between replays rows, never skips them.
        // All in one partition (sink_table), so an unlogged batch is applied atomically without a batchlog.
        await client.batch(
          positions.map((p) => ({
            query: `INSERT INTO ${this.#offsets} (sink_table, topic, partition, next_offset, topic_id) VALUES (?, ?, ?, ?, ?)`,
            params: [this.#c.table, p.topic, p.partition, p.offset, p.topicId ?? null],
          })),
          { logged: false },
        );
      }
    } catch (err) {
      throw this.#error(err);
    }
    return { rejected };
  }

  /**
   * `runnel verify`: connects and reads the schema, changing nothing (a running pipeline may be writing):
   * the node answers and the credentials are accepted.
   */
  async verify(): Promise<void> {
    try {
      const client = await this.#connect();
      await this.#tableMeta(client, this.#c.table);
    } catch (err) {
      throw this.#error(err);
    } finally {
      await this.close();
    }
  }

  /** The positions kept with the rows, read without writing anything; [] before the first write. */
  async peekPositions(): Promise<TopicPartitionOffset[]> {
    try {
      const client = await this.#connect();
      return (await this.#tableMeta(client, 'runnel_offsets')) ? await this.#positions(client) : [];
    } catch (err) {
      throw this.#error(err);
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.#disconnect();
    if (!this.#c.columns) this.#columns = undefined;
  }

  /**
   * Permanent (credentials, permission, a request the node refuses: one line, and the run stops) or
   * retriable (no node answers, a timeout, an overloaded or starting node): the client is dropped and the
   * next try connects anew.
   */
  #error(err: unknown): RunnelError {
    if (isRunnelError(err)) return err;
    const where = `${this.#where} (table ${this.#c.keyspace}.${this.#c.table})`;
    const e = err as { name?: string; code?: unknown; message?: string; innerErrors?: Record<string, unknown> };
    const message = (e?.message ?? String(err)).split('\n')[0]!;
    const inner = e?.name === 'NoHostAvailableError' ? Object.values(e.innerErrors ?? {}) : [];
    const authFailed =
      e?.name === 'AuthenticationError' ||
      (inner.length > 0 && inner.every((x) => (x as { name?: string })?.name === 'AuthenticationError'));
    const refused =
      authFailed ||
      (e?.name === 'ResponseError' && typeof e.code === 'number' && PERMANENT_RESPONSES.has(e.code)) ||
      e?.name === 'TypeError' ||
      e?.name === 'ArgumentError';
    if (refused) {
      const why = authFailed
        ? `authentication failed${inner.length > 0 ? `: ${String((inner[0] as Error).message).split('\n')[0]}` : ''}`
        : message;
      return new RunnelError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `cannot write ${where}: ${why}; fix that, or set RUNNEL_CASSANDRA`,
        { cause: err, value: this.#where },
      );
    }
    void this.#disconnect();
    const reason =
      inner.length > 0
        ? `no node answers (${inner.map((x) => String((x as Error)?.message ?? x).split('\n')[0]).join('; ')})`
        : message;
    return new RunnelError(ErrorCodes.SINK_UNAVAILABLE, `${where}: ${reason}`, { retriable: true, cause: err });
  }
}

/**
 * What Cassandra would refuse for the whole batch, refused per record instead so it goes to the
 * dead-letter topic: a table-mode key that is null or empty text, an integer beyond bigint.
 */
function checkCells(r: StreamRecord, cells: Cell[], columns: Column[], upsert: Column | undefined): void {
  cells.forEach((v, i) => {
    if (typeof v === 'number' && columns[i]!.type === 'integer' && Math.abs(v) >= INT64) {
      throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `field "${columns[i]!.name}" is beyond a 64-bit integer`, {
        value: v,
      });
    }
  });
  if (upsert) {
    const k = cells[columns.indexOf(upsert)];
    if (k === null || k === '') {
      throw new RunnelError(ErrorCodes.SCHEMA_MISMATCH, `key field "${upsert.name}" is missing, null or empty`, {
        value: r.value,
      });
    }
  }
}
